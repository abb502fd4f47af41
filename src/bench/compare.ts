/**
 * Same-session comparisons for the bench: two sides (our code in a child process and PyTorch in
 * a Python one, or our code under two settings) run the same work in turn, round after round,
 * each round in the opposite order, so that both see the same load on a shared machine. Each
 * side is a long-lived process answering one request at a time ('COMPARE_JSON {…}' lines on
 * stdout; anything else there is ignored); each request builds its model and data afresh and
 * times only the work after its warm-up, so every round measures the same thing.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, selectBackend } from '../backend/select-backend.js';
import { eigh } from '../linalg/eigh.js';
import { threadCount } from '../linalg/threads.js';
import type { CovarianceMode } from '../nullspace/layer-inputs.js';
import { conv2d, inputGradient, kernelGradient } from '../ops/conv2d.js';
import { outputSize } from '../ops/im2col.js';
import type { PatchGeometry } from '../ops/patch-geometry.js';
import { Rng } from '../util/rng.js';
import { fullRankCovariance } from './eigh-bench.js';
import { PYTORCH_PEER } from './pytorch-peer.js';
import {
  adamConfig,
  buildModel,
  type ModelFields,
  randomImages,
  type Shape,
  timedCovariancePass,
  timedSteps,
  trainEpoch,
} from './workloads.js';

interface StepFields extends ModelFields {
  batch: number;
  warmup: number;
  steps: number;
}

type StepSpec = StepFields & { kind: 'step' };
/** Kernel times of one step instead of its time. */
type ProfileSpec = StepFields & { kind: 'profile' };

/** One pass of one convolution layer: the forward product or one of its two gradients. */
export interface ConvSpec {
  kind: 'conv';
  batch: number;
  size: number;
  cin: number;
  cout: number;
  kernel: number;
  stride: number;
  pass: 'forward' | 'input-grad' | 'kernel-grad';
  repeats: number;
}

export type WorkSpec =
  | StepSpec
  | ProfileSpec
  | ConvSpec
  | {
      kind: 'covariance';
      model: 'resnet18';
      width: number;
      shape: Shape;
      batch: number;
      images: number;
      mode: CovarianceMode;
    }
  | { kind: 'eigh'; n: number };

export interface Work {
  readonly name: string;
  /** What one figure is: seconds per step, per image or per decomposition. */
  readonly label: string;
  readonly spec: WorkSpec;
}

const CIFAR: Shape = [32, 32, 3];

/** Every comparable piece of work; `quick` shortens the timed part, not the work itself. */
export function comparisonWork(quick: boolean): Work[] {
  const step = (width: number, warmup: number, steps: number): WorkSpec => ({
    kind: 'step',
    model: 'resnet18',
    width,
    shape: CIFAR,
    batch: 32,
    warmup,
    steps,
  });
  return [
    {
      name: 'resnet18-w20-step',
      label: 's/step, ResNet-18 w20, batch 32 of 32×32×3, cross-entropy, Adam',
      spec: step(20, 2, quick ? 2 : 5),
    },
    {
      name: 'resnet18-w64-step',
      label: 's/step, ResNet-18 w64, batch 32 of 32×32×3, cross-entropy, Adam',
      spec: step(64, 1, quick ? 1 : 2),
    },
    {
      name: 'mlp-step',
      label: 's/step, MLP 784-400-400 + head, batch 32, cross-entropy, Adam',
      spec: {
        kind: 'step',
        model: 'mlp',
        hidden: [400, 400],
        shape: [28, 28, 1],
        batch: 32,
        warmup: 5,
        steps: quick ? 10 : 40,
      },
    },
    {
      name: 'covariance-per-sample',
      label: 's/image, every patch row of every image, ResNet-18 w20, batches of 32',
      spec: {
        kind: 'covariance',
        model: 'resnet18',
        width: 20,
        shape: CIFAR,
        batch: 32,
        images: quick ? 32 : 64,
        mode: 'per-sample',
      },
    },
    {
      name: 'covariance-batch-mean',
      label: "s/image, the batch mean image's patch rows, ResNet-18 w64, batches of 32",
      spec: {
        kind: 'covariance',
        model: 'resnet18',
        width: 64,
        shape: CIFAR,
        batch: 32,
        images: quick ? 64 : 256,
        mode: 'batch-mean',
      },
    },
    ...[576, 2304, 4608].map(
      (n): Work => ({
        name: `eigh-${n}`,
        label: `s, all eigenpairs of a full-rank ${n}×${n} float64 covariance`,
        spec: { kind: 'eigh', n },
      }),
    ),
  ];
}

/**
 * The convolution layers of ResNet-18 at batch 32, each pass on its own: every stride-1 3×3
 * width of w64 (the reference) and of w20, and w64's first strided one (whose input gradient is
 * a transposed convolution).
 */
export function convWork(): Work[] {
  const layers: [string, number, number, number, number, number][] = [
    ['w64-stage1', 32, 64, 64, 3, 1],
    ['w64-stage2', 16, 128, 128, 3, 1],
    ['w64-stage3', 8, 256, 256, 3, 1],
    ['w64-stage4', 4, 512, 512, 3, 1],
    ['w64-stage2-stride2', 32, 64, 128, 3, 2],
    ['w20-stage1', 32, 20, 20, 3, 1],
  ];
  const passes = ['forward', 'input-grad', 'kernel-grad'] as const;
  return layers.flatMap(([name, size, cin, cout, kernel, stride]) =>
    passes.map(
      (pass): Work => ({
        name: `conv-${name}-${pass}`,
        label: `s, ${pass} of a ${kernel}×${kernel} stride-${stride} conv ${cin}→${cout} on 32 images of ${size}×${size}`,
        spec: { kind: 'conv', batch: 32, size, cin, cout, kernel, stride, pass, repeats: 5 },
      }),
    ),
  );
}

/** The layer's geometry: 'same'-style padding of half the kernel, as ResNet-18's convolutions. */
function convGeometry(spec: ConvSpec): PatchGeometry {
  return {
    kernelSize: [spec.kernel, spec.kernel],
    strides: [spec.stride, spec.stride],
    padding: spec.kernel >> 1,
  };
}

/** Multiply-adds × 2 of one pass (each of the three passes does the same work). */
export function convFlops(spec: ConvSpec): number {
  const [ho, wo] = outputSize(convGeometry(spec), spec.size, spec.size);
  return 2 * spec.batch * ho * wo * spec.kernel * spec.kernel * spec.cin * spec.cout;
}

function runOurConv(spec: ConvSpec): number[] {
  const geometry = convGeometry(spec);
  const [ho, wo] = outputSize(geometry, spec.size, spec.size);
  const rng = new Rng(5);
  const tensor = (shape: [number, number, number, number]) =>
    tf.tensor4d(
      Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()),
      shape,
    );
  const x = tensor([spec.batch, spec.size, spec.size, spec.cin]);
  const w = tensor([spec.kernel, spec.kernel, spec.cin, spec.cout]);
  const dy = tensor([spec.batch, ho, wo, spec.cout]);
  const pass = {
    forward: () => conv2d(x, w, geometry),
    'input-grad': () => inputGradient(dy, w, x.shape, geometry),
    'kernel-grad': () => kernelGradient(x, dy, geometry),
  }[spec.pass];
  // wasm and cpu run a kernel within the call, so the call's time is the kernel's.
  const seconds: number[] = [];
  for (let i = 0; i <= spec.repeats; i++) {
    const start = performance.now();
    const out = pass();
    seconds.push((performance.now() - start) / 1000);
    out.dispose();
  }
  tf.dispose([x, w, dy]);
  return seconds.slice(1);
}

export interface KernelTime {
  kernel: string;
  ms: number;
  calls: number;
}

/** Kernel times (tf.profile) of one training step after `spec.warmup` steps, largest first. */
export async function profileOurStep(spec: ProfileSpec): Promise<KernelTime[]> {
  const model = buildModel(spec, new Rng(7));
  const optimizer = adamConfig();
  try {
    const batch = (seed: number) => randomImages(spec.batch, spec.shape, new Rng(seed));
    for (let i = 0; i < spec.warmup; i++) await trainEpoch(model, batch(i), spec.batch, optimizer);
    const info = await tf.profile(async () => {
      await trainEpoch(model, batch(spec.warmup), spec.batch, optimizer);
      return [];
    });
    const byKernel = new Map<string, KernelTime>();
    for (const k of info.kernels) {
      const entry = byKernel.get(k.name) ?? { kernel: k.name, ms: 0, calls: 0 };
      entry.ms += k.kernelTimeMs as number;
      entry.calls++;
      byKernel.set(k.name, entry);
    }
    return [...byKernel.values()].sort((a, b) => b.ms - a.ms);
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/**
 * Our side of one piece of work: seconds of each timed step, or one figure (seconds per image
 * of the covariance pass, seconds of the decomposition).
 */
export async function runOurWork(spec: Exclude<WorkSpec, ProfileSpec>): Promise<number[]> {
  if (spec.kind === 'conv') return runOurConv(spec);
  if (spec.kind === 'eigh') {
    const a = fullRankCovariance(spec.n);
    const start = performance.now();
    eigh(a, spec.n);
    return [(performance.now() - start) / 1000];
  }
  const model = buildModel(spec, new Rng(7));
  try {
    if (spec.kind === 'step') {
      const images = randomImages((spec.warmup + spec.steps) * spec.batch, spec.shape, new Rng(1));
      const optimizer = adamConfig();
      try {
        const timed = await timedSteps(model, images, spec.batch, optimizer, spec.warmup, Infinity);
        return timed.stepSeconds;
      } finally {
        optimizer.dispose();
      }
    }
    const pass = (images: number, seed: number) => {
      const data = randomImages(images, spec.shape, new Rng(seed));
      const { state, seconds } = timedCovariancePass(model, data, spec.mode, spec.batch);
      state.dispose();
      return seconds;
    };
    // One batch first, as the PyTorch side does: kernels are set up on first use.
    pass(spec.batch, 2);
    return [pass(spec.images, 3) / spec.images];
  } finally {
    model.dispose();
  }
}

const PREFIX = 'COMPARE_JSON ';

function reply(value: unknown): void {
  process.stdout.write(`\n${PREFIX}${JSON.stringify(value)}\n`);
}

/** Runs our side inside a child (run-bench --serve): one request a line on stdin. */
export async function serveOurWork(backend: string): Promise<void> {
  const info = await selectBackend(backend);
  reply({ side: describeBackend(info), backend: info, eighThreads: threadCount() });
  for await (const line of createInterface({ input: process.stdin })) {
    const { spec } = JSON.parse(line) as { spec: WorkSpec };
    try {
      reply(
        spec.kind === 'profile'
          ? { kernels: await profileOurStep(spec) }
          : { seconds: await runOurWork(spec) },
      );
    } catch (err) {
      reply({ error: err instanceof Error ? err.message : String(err) });
    }
  }
}

/** One side of a comparison: a process that answers requests in turn. */
export class Side {
  private readonly lines: Interface;
  private readonly pending: ((value: Record<string, unknown>) => void)[] = [];
  private readonly queued: Record<string, unknown>[] = [];
  private exited: string | null = null;
  /** The process's first reply: what it is and how it is set up. */
  info: Record<string, unknown> = {};

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
  ) {
    this.lines = createInterface({ input: child.stdout! });
    this.lines.on('line', (line) => {
      if (!line.startsWith(PREFIX)) return;
      const value = JSON.parse(line.slice(PREFIX.length)) as Record<string, unknown>;
      const waiter = this.pending.shift();
      if (waiter) waiter(value);
      else this.queued.push(value);
    });
    child.on('exit', (code, signal) => {
      this.exited = `${name} exited (${signal ?? code})`;
      for (const waiter of this.pending.splice(0)) waiter({ error: this.exited });
    });
  }

  static async start(name: string, command: string, args: string[], env: NodeJS.ProcessEnv) {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'inherit'] });
    const side = new Side(name, child);
    side.info = await side.next();
    if (typeof side.info.error === 'string') throw new Error(side.info.error);
    return side;
  }

  private next(): Promise<Record<string, unknown>> {
    const ready = this.queued.shift();
    if (ready) return Promise.resolve(ready);
    if (this.exited) return Promise.resolve({ error: this.exited });
    return new Promise((resolve) => this.pending.push(resolve));
  }

  /** The answer to one piece of work; `threads` sizes the PyTorch side's pools. */
  async request(work: Work, threads: number): Promise<Record<string, unknown>> {
    this.child.stdin!.write(`${JSON.stringify({ spec: work.spec, threads })}\n`);
    const answer = await this.next();
    if (typeof answer.error === 'string')
      throw new Error(`${this.name}, ${work.name}: ${answer.error}`);
    return answer;
  }

  /** The figures of one piece of work (seconds per step, image, call or decomposition). */
  async run(work: Work, threads: number): Promise<number[]> {
    return (await this.request(work, threads)).seconds as number[];
  }

  close(): void {
    this.child.stdin!.end();
    this.lines.close();
  }
}

/** Our side: `script` (run-bench) started again with --serve, under extra environment. */
export function startOurSide(
  name: string,
  script: string,
  backend: string,
  env: NodeJS.ProcessEnv = {},
): Promise<Side> {
  return Side.start(
    name,
    process.execPath,
    [...process.execArgv, script, '--serve', '--backend', backend],
    { ...process.env, ...env },
  );
}

/** The Python interpreter the PyTorch side runs on: $NSCL_PYTHON, else python3. */
export function pythonCommand(): string {
  return process.env.NSCL_PYTHON || 'python3';
}

/** null when `python` can import torch, else why not (one line). */
export function torchUnavailable(python: string): string | null {
  const res = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  if (res.error) return `${python} cannot be run (${res.error.message})`;
  if (res.status === 0) return null;
  const last = res.stderr.trim().split('\n').pop() ?? `exit ${res.status}`;
  return `${python} cannot import torch (${last})`;
}

export function startPytorchSide(python: string): Promise<Side> {
  return Side.start('pytorch', python, ['-c', PYTORCH_PEER], process.env);
}

export const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export interface ComparedWork {
  work: string;
  /** Median over rounds of each side's median figure. */
  a: number;
  b: number;
  aSamples: number[];
  bSamples: number[];
  /** os.loadavg()[0] after each round of this work. */
  load: number[];
}

/**
 * Runs every work on both sides for `rounds` rounds, alternating which side goes first, and
 * logs each pair of figures as it comes.
 */
export async function compareSides(
  a: Side,
  b: Side,
  works: readonly Work[],
  rounds: number,
  log: (line: string) => void,
  /** Threads of the PyTorch side's pools; our sides take theirs from their backend. */
  threadsFor?: (work: Work) => number,
): Promise<ComparedWork[]> {
  const samples = works.map(() => ({ a: [] as number[], b: [] as number[], load: [] as number[] }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, work] of works.entries()) {
      const threads = threadsFor?.(work);
      const order = round % 2 === 0 ? [a, b] : [b, a];
      const figures = new Map<Side, number>();
      for (const side of order) figures.set(side, median(await side.run(work, threads ?? 1)));
      const load = os.loadavg()[0];
      samples[i].a.push(figures.get(a)!);
      samples[i].b.push(figures.get(b)!);
      samples[i].load.push(load);
      const threadsText =
        threads === undefined ? '' : `${threads} thread${threads > 1 ? 's' : ''}, `;
      log(
        `  round ${round + 1} ${work.name}: ${a.name} ${figures.get(a)!.toPrecision(3)} s, ${b.name} ${figures.get(b)!.toPrecision(3)} s (${threadsText}load ${load.toFixed(1)})`,
      );
    }
  }
  return works.map((w, i) => ({
    work: w.name,
    a: median(samples[i].a),
    b: median(samples[i].b),
    aSamples: samples[i].a,
    bSamples: samples[i].b,
    load: samples[i].load,
  }));
}
