/**
 * Same-session comparisons for the bench: two sides (our code in a child process and PyTorch in
 * a Python one, or our code under two settings) run the same work in turn, round after round,
 * each round in the opposite order, so that both see the same load on a shared machine. Each
 * side is a long-lived process answering one request at a time ('COMPARE_JSON {…}' lines on
 * stdout; anything else there is ignored), so models and kernels are set up inside the timed
 * work exactly as they are for every round.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import { createInterface, type Interface } from 'node:readline';
import { describeBackend, selectBackend } from '../backend/select-backend.js';
import { eigh } from '../linalg/eigh.js';
import { threadCount } from '../linalg/threads.js';
import type { ContinualModel } from '../models/continual-model.js';
import { createMlp } from '../models/mlp.js';
import { createResNet18 } from '../models/resnet18.js';
import type { CovarianceMode } from '../nullspace/layer-inputs.js';
import { ProjectionState } from '../nullspace/projection-state.js';
import { Rng } from '../util/rng.js';
import { covarianceLike } from './eigh-bench.js';
import { PYTORCH_PEER } from './pytorch-peer.js';
import { adamConfig, randomImages, syntheticSequence, timedSteps } from './workloads.js';

type Shape = [number, number, number];

export type WorkSpec =
  | {
      kind: 'step';
      model: 'resnet18' | 'mlp';
      width?: number;
      hidden?: number[];
      shape: Shape;
      batch: number;
      warmup: number;
      steps: number;
    }
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

function buildModel(spec: {
  model: 'resnet18' | 'mlp';
  width?: number;
  hidden?: number[];
  shape: Shape;
}): ContinualModel {
  const rng = new Rng(7);
  const [h, w, c] = spec.shape;
  return spec.model === 'mlp'
    ? createMlp({ inputSize: h * w * c, hidden: spec.hidden!, classesPerTask: [10] }, rng)
    : createResNet18({ inputChannels: c, baseWidth: spec.width!, classesPerTask: [10] }, rng);
}

/**
 * Our side of one piece of work: seconds of each timed step, or one figure (seconds per image
 * of the covariance pass, seconds of the decomposition).
 */
export async function runOurWork(spec: WorkSpec): Promise<number[]> {
  if (spec.kind === 'eigh') {
    const a = covarianceLike(spec.n, 2 * spec.n, new Rng(spec.n));
    const start = performance.now();
    eigh(a, spec.n);
    return [(performance.now() - start) / 1000];
  }
  const model = buildModel(spec);
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
      const state = new ProjectionState({
        rule: { kind: 'relative', a: 10 },
        normalize: true,
        covarianceMode: spec.mode,
        batchSize: spec.batch,
      });
      const start = performance.now();
      state.accumulate(model, data, syntheticSequence(data).normalization, 0);
      const seconds = (performance.now() - start) / 1000;
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
    const request = JSON.parse(line) as { spec: WorkSpec };
    try {
      reply({ seconds: await runOurWork(request.spec) });
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

  /** The figures of one piece of work; `threads` sizes the PyTorch side's pools. */
  async run(work: Work, threads: number): Promise<number[]> {
    this.child.stdin!.write(`${JSON.stringify({ spec: work.spec, threads })}\n`);
    const answer = await this.next();
    if (typeof answer.error === 'string')
      throw new Error(`${this.name}, ${work.name}: ${answer.error}`);
    return answer.seconds as number[];
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
  threadsFor: (work: Work) => number,
  log: (line: string) => void,
): Promise<ComparedWork[]> {
  const rows = works.map((w) => ({
    work: w.name,
    a: 0,
    b: 0,
    aSamples: [] as number[],
    bSamples: [] as number[],
    load: [] as number[],
  }));
  for (let round = 0; round < rounds; round++) {
    for (const [i, work] of works.entries()) {
      const threads = threadsFor(work);
      const order = round % 2 === 0 ? [a, b] : [b, a];
      const figures = new Map<Side, number>();
      for (const side of order) figures.set(side, median(await side.run(work, threads)));
      rows[i].aSamples.push(figures.get(a)!);
      rows[i].bSamples.push(figures.get(b)!);
      rows[i].load.push(os.loadavg()[0]);
      log(
        `  round ${round + 1} ${work.name}: ${a.name} ${figures.get(a)!.toPrecision(3)} s, ${b.name} ${figures.get(b)!.toPrecision(3)} s (${threads} thread${threads > 1 ? 's' : ''}, load ${os.loadavg()[0].toFixed(1)})`,
      );
    }
  }
  for (const r of rows) {
    r.a = median(r.aSamples);
    r.b = median(r.bSamples);
  }
  return rows;
}
