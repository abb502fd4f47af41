/**
 * Performance bench (not part of `npm test`); USAGE says what it measures. Each tfjs part runs
 * in its own child process: one process per backend keeps the measurement free of the other
 * backend's kernels and memory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { type BackendInfo, describeBackend, selectBackend } from '../backend/select-backend.js';
import { WASM_THREADS_ENV, wasmThreads } from '../backend/wasm-threads.js';
import { applyOverrides } from '../config/load-config.js';
import { loadPreset } from '../config/presets.js';
import { eigh, type SymmetricEigen } from '../linalg/eigh.js';
import { nullSpaceSize } from '../linalg/null-space-rule.js';
import { buildProjector } from '../linalg/projector.js';
import type { ContinualModel } from '../models/continual-model.js';
import type { ProjectedLayer } from '../models/parameter.js';
import type { CovarianceState } from '../nullspace/covariance.js';
import type { CovarianceMode } from '../nullspace/layer-inputs.js';
import type { UpdateTransform } from '../nullspace/projected-optimizer.js';
import { nullSpaceProjector, type ProjectionOptions } from '../nullspace/projection-state.js';
import { TensorProjector } from '../nullspace/tensor-projector.js';
import { outputSize } from '../ops/im2col.js';
import { createStrategy } from '../registry/components.js';
import { parseConfig } from '../registry/experiment-config.js';
import { loadSequence } from '../registry/load-sequence.js';
import { runContinual } from '../train/continual-run.js';
import { strategyContext } from '../train/strategy-context.js';
import { isMain } from '../util/entry-point.js';
import { Rng } from '../util/rng.js';
import {
  type ComparedWork,
  type ConvSpec,
  compareSides,
  comparisonWork,
  convFlops,
  convWork,
  type KernelTime,
  median,
  pythonCommand,
  type Side,
  serveOurWork,
  startOurSide,
  startPytorchSide,
  torchUnavailable,
  type Work,
} from './compare.js';
import { benchEigh, covarianceLike, EIGH_SIZES, type EighBenchRow } from './eigh-bench.js';
import {
  adamConfig,
  buildModel,
  MODELS,
  randomImages,
  syntheticSequence,
  TooSlow,
  timedCovariancePass,
  timedSteps,
} from './workloads.js';

const SCRIPT = fileURLToPath(import.meta.url);
/** Steps run before timing: the first ones compile kernels and grow the memory pools. */
const WARMUP = 2;

const PARTS = [
  'throughput',
  'boundary',
  'memory',
  'eigh',
  'vs-pytorch',
  'wasm-threads',
  'profile',
  'ab',
] as const;
type Part = (typeof PARTS)[number];

// ---------------------------------------------------------------------------------------------
// a. Throughput

/**
 * Projectors whose null space is about half of each layer: the covariance of n/2 random rows
 * has rank n/2, so the absolute rule at 1e-9·λmax keeps the other half. Layers of one size share
 * a decomposition (the data is random either way), which keeps the set-up to one eigh per size.
 */
function halfNullProjectors(model: ContinualModel): {
  projectors: Map<string, TensorProjector>;
  seconds: number;
} {
  const start = performance.now();
  const bySize = new Map<number, SymmetricEigen>();
  const projectors = new Map<string, TensorProjector>();
  for (const layer of model.projectedLayers) {
    const n = layer.inputSize;
    let eigen = bySize.get(n);
    if (!eigen) {
      eigen = eigh(covarianceLike(n, Math.max(1, n >> 1), new Rng(n)), n);
      bySize.set(n, eigen);
    }
    const threshold = 1e-9 * eigen.values[n - 1];
    const kept = nullSpaceSize(eigen.values, { kind: 'absolute', threshold });
    projectors.set(layer.name, new TensorProjector(buildProjector(eigen, kept, true)));
  }
  return { projectors, seconds: (performance.now() - start) / 1000 };
}

/**
 * Floating-point work of one training step's projected layers (forward and both backward
 * products, 6·rows·n·out each, rows = batch × output positions) against that of projecting
 * their updates (4·n·m·out, m the stored basis width): the ratio that bounds the projection
 * overhead when both run equally fast. BatchNorm, heads and activations are left out.
 */
function projectionFlopRatio(
  model: ContinualModel,
  shape: readonly number[],
  batch: number,
  projectors: Map<string, TensorProjector>,
): number {
  let step = 0;
  let projection = 0;
  tf.tidy(() => {
    const x = tf.zeros([batch, shape[0], shape[1], shape[2]]) as tf.Tensor4D;
    const onLayerInput = (layer: ProjectedLayer, input: tf.Tensor) => {
      const [, h, w] = input.shape;
      const positions = layer.geometry ? outputSize(layer.geometry, h ?? 1, w ?? 1) : [1, 1];
      const out = layer.kernel.shape[layer.kernel.shape.length - 1];
      step += 6 * batch * positions[0] * positions[1] * layer.inputSize * out;
      const m = projectors.get(layer.name)?.projector.m ?? 0;
      projection += 4 * layer.inputSize * m * out;
    };
    model.features(x, { training: false, onLayerInput });
  });
  return projection / step;
}

interface ThroughputRow {
  model: string;
  batch: number;
  warmup: number;
  steps: number;
  plainImagesPerSecond: number;
  projectedImagesPerSecond: number;
  plainSecondsPerStep: number;
  projectedSecondsPerStep: number;
  plainCpuSecondsPerStep: number;
  projectedCpuSecondsPerStep: number;
  overheadPercent: number;
  cpuOverheadPercent: number;
  projectorSetupSeconds: number;
  /** Projection flops / projected layers' step flops (see projectionFlopRatio). */
  projectionFlopRatio: number;
  /** Wall time inside the projection calls per step (synchronous backends only). */
  projectionSecondsPerStep: number;
}

/** A model whose first (warm-up) step ran past --max-step-seconds: not timed further. */
interface SkippedThroughputRow {
  model: string;
  batch: number;
  skipped: string;
  firstStepSeconds: number;
}

async function throughput(
  models: string[],
  steps: (model: string) => number,
  warmupFor: (model: string) => number,
  maxStepSeconds: number,
): Promise<(ThroughputRow | SkippedThroughputRow)[]> {
  const rows: (ThroughputRow | SkippedThroughputRow)[] = [];
  for (const key of models) {
    const spec = MODELS[key];
    const rng = new Rng(7);
    const model = buildModel(spec, rng);
    const n = steps(key);
    const warmup = warmupFor(key);
    const batch = 32;
    const images = randomImages((warmup + n) * batch, spec.shape, rng);
    const { projectors, seconds: setup } = halfNullProjectors(model);
    const flopRatio = projectionFlopRatio(model, spec.shape, batch, projectors);
    // wasm and cpu run kernels as they are called, so the wall time around the calls is the
    // projection's own cost, free of the step-to-step noise of the difference of two timings.
    let projectionSeconds = 0;
    let projectedSteps = 0;
    const project: UpdateTransform = (p, s) => {
      if (!p.projected) return s;
      const start = performance.now();
      const out = projectors.get(p.projected.name)!.apply(s);
      projectionSeconds += (performance.now() - start) / 1000;
      return out;
    };
    const timed = async (transform?: UpdateTransform) => {
      const optimizer = adamConfig(transform);
      try {
        return await timedSteps(model, images, batch, optimizer, warmup, maxStepSeconds);
      } finally {
        optimizer.dispose();
      }
    };
    let plain: Awaited<ReturnType<typeof timedSteps>>;
    let projected: typeof plain;
    try {
      plain = await timed();
      log(`  ${key}: plain ${plain.imagesPerSecond.toFixed(2)} img/s`);
      projected = await timed(project);
      projectedSteps = warmup + projected.steps;
    } catch (err) {
      if (!(err instanceof TooSlow)) throw err;
      log(`  ${key}: skipped, ${err.message}`);
      rows.push({
        model: key,
        batch,
        skipped: `${err.message} (> --max-step-seconds ${maxStepSeconds})`,
        firstStepSeconds: err.firstStepSeconds,
      });
      continue;
    } finally {
      for (const p of projectors.values()) p.dispose();
      model.dispose();
    }
    rows.push({
      model: key,
      batch,
      warmup,
      steps: n,
      plainImagesPerSecond: plain.imagesPerSecond,
      projectedImagesPerSecond: projected.imagesPerSecond,
      plainSecondsPerStep: plain.secondsPerStep,
      projectedSecondsPerStep: projected.secondsPerStep,
      plainCpuSecondsPerStep: plain.cpuSecondsPerStep,
      projectedCpuSecondsPerStep: projected.cpuSecondsPerStep,
      overheadPercent: 100 * (projected.secondsPerStep / plain.secondsPerStep - 1),
      cpuOverheadPercent: 100 * (projected.cpuSecondsPerStep / plain.cpuSecondsPerStep - 1),
      projectorSetupSeconds: setup,
      projectionFlopRatio: flopRatio,
      projectionSecondsPerStep: projectionSeconds / projectedSteps,
    });
    log(`  ${key}: projected ${projected.imagesPerSecond.toFixed(2)} img/s`);
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------
// b. Task boundary

interface BoundaryLayerRow {
  layer: string;
  n: number;
  kept: number;
  eighSeconds: number;
  buildSeconds: number;
}

interface BoundaryRow {
  model: string;
  /** 'full-rank' rows time the refresh alone, on synthetic full-rank covariances. */
  mode: CovarianceMode | 'full-rank';
  images: number;
  batchSize: number;
  covarianceSeconds: number | null;
  /** null when the per-layer decomposition was skipped. */
  refreshSeconds: number | null;
  layers: BoundaryLayerRow[];
}

interface BoundaryCase {
  model: string;
  mode: CovarianceMode;
  images: number;
  batchSize: number;
  decompose: boolean;
}

/** accumulate (the covariance pass) and, per layer, eigh + rule + projector build + upload. */
async function boundary(c: BoundaryCase): Promise<BoundaryRow> {
  const spec = MODELS[c.model];
  const rng = new Rng(11);
  const model = buildModel(spec, rng);
  const images = randomImages(c.images, spec.shape, rng);
  const { state, seconds: covarianceSeconds } = timedCovariancePass(
    model,
    images,
    c.mode,
    c.batchSize,
  );
  log(
    `  ${c.model} ${c.mode}: covariance pass over ${c.images} images ${covarianceSeconds.toFixed(1)} s`,
  );
  const covariances = Object.entries(state.snapshot().covariances).map(([layer, cov]) => ({
    layer,
    cov,
  }));
  const refreshed = c.decompose ? timedRefresh(covariances, state.options) : null;
  state.dispose();
  model.dispose();
  return { ...c, covarianceSeconds, ...(refreshed ?? { refreshSeconds: null, layers: [] }) };
}

/** nullSpaceProjector and the projector's upload for each layer, timed apart. */
function timedRefresh(
  covariances: { layer: string; cov: CovarianceState }[],
  options: Pick<ProjectionOptions, 'rule' | 'normalize'>,
): { refreshSeconds: number; layers: BoundaryLayerRow[] } {
  const start = performance.now();
  const layers = covariances.map(({ layer, cov }) => {
    const t0 = performance.now();
    const { projector } = nullSpaceProjector(cov, options);
    const t1 = performance.now();
    new TensorProjector(projector).dispose();
    const t2 = performance.now();
    return {
      layer,
      n: cov.n,
      kept: projector.nullDim,
      eighSeconds: (t1 - t0) / 1000,
      buildSeconds: (t2 - t1) / 1000,
    };
  });
  return { refreshSeconds: (performance.now() - start) / 1000, layers };
}

/**
 * The refresh of every projected layer of a model on full-rank covariances, as after a real
 * task (a few random images give rank-deficient ones, on which divide and conquer deflates
 * and runs faster than it would). Each is W + n·I with W a symmetric matrix of standard normal
 * entries, whose spectrum is symmetric about n with no clusters, and a threshold of n puts
 * about half of it in the null space: the most back-transformation the projector can need.
 */
function fullRankRefresh(key: string): BoundaryRow {
  const model = buildModel(MODELS[key], new Rng(3));
  const rng = new Rng(5);
  const covariances = model.projectedLayers.map((layer) => {
    const n = layer.inputSize;
    const sum = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) sum[i * n + j] = sum[j * n + i] = rng.normal();
      sum[i * n + i] = n + rng.normal();
    }
    return { layer: layer.name, cov: { n, sum, count: 1 } };
  });
  model.dispose();
  // One threshold for all layers would not halve each; the rule is per layer, so run each alone.
  const rows = covariances.map((entry) =>
    timedRefresh([entry], { rule: { kind: 'absolute', threshold: entry.cov.n }, normalize: true }),
  );
  const layers = rows.flatMap((r) => r.layers);
  const refreshSeconds = rows.reduce((t, r) => t + r.refreshSeconds, 0);
  log(`  ${key}: full-rank refresh ${refreshSeconds.toFixed(1)} s`);
  return {
    model: key,
    mode: 'full-rank',
    images: 0,
    batchSize: 0,
    covarianceSeconds: null,
    refreshSeconds,
    layers,
  };
}

interface WholeBoundaryRow {
  model: string;
  mode: CovarianceMode;
  /** Images in the task's training split. */
  trainImages: number;
  /** adam-nscl.boundaryImages: how many of them the boundary reads. */
  boundaryImages: number | null;
  batchSize: number;
  seconds: number;
}

/**
 * Adam-NSCL's whole task boundary as the run loop calls it, afterTask: covariance pass,
 * BatchNorm Fisher pass and every layer's eigendecomposition and projector.
 */
async function wholeBoundary(row: Omit<WholeBoundaryRow, 'seconds'>): Promise<WholeBoundaryRow> {
  const spec = MODELS[row.model];
  const rng = new Rng(13);
  const model = buildModel(spec, rng);
  const sequence = syntheticSequence(randomImages(row.trainImages, spec.shape, rng));
  const config = parseConfig(
    {
      strategy: 'adam-nscl',
      train: { batchSize: row.batchSize },
      'adam-nscl': { covarianceMode: row.mode, boundaryImages: row.boundaryImages },
    },
    'bench',
  );
  const strategy = createStrategy(config);
  const start = performance.now();
  await strategy.afterTask?.(strategyContext({ model, sequence, task: 0, config, rng }));
  const seconds = (performance.now() - start) / 1000;
  log(`  ${row.model}: whole adam-nscl boundary ${seconds.toFixed(1)} s`);
  strategy.dispose?.();
  model.dispose();
  return { ...row, seconds };
}

// ---------------------------------------------------------------------------------------------
// c. Memory across tasks

interface MemoryRow {
  task: number;
  rssMiB: number;
  /** The process's peak resident set so far. */
  peakRssMiB: number;
  tfBytes: number;
  tfTensors: number;
}

async function memoryAcrossTasks(backend: BackendInfo, trainLimit: number): Promise<MemoryRow[]> {
  const raw = applyOverrides(loadPreset('default') as Record<string, unknown>, [
    `data.trainLimit=${trainLimit}`,
    'data.testLimit=200',
    'train.epochs=1',
    'log.progress=false',
    'log.report=false',
    'log.tensorboard=false',
  ]);
  const config = parseConfig(raw, 'bench memory');
  const sequence = await loadSequence(config);
  const outDir = mkdtempSync(join(os.tmpdir(), 'nscl-bench-'));
  const rows: MemoryRow[] = [snapshotMemory(0)];
  try {
    await runContinual({
      config,
      sequence,
      backend,
      outDir,
      stopAfterTasks: 3,
      log: (line) => {
        if (line.startsWith('task ')) rows.push(snapshotMemory(rows.length));
      },
    });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  rows.push({ ...snapshotMemory(-1) });
  return rows;
}

function snapshotMemory(task: number): MemoryRow {
  const m = tf.memory();
  return {
    task,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    peakRssMiB: process.resourceUsage().maxRSS / 2 ** 10,
    tfBytes: m.numBytes,
    tfTensors: m.numTensors,
  };
}

// ---------------------------------------------------------------------------------------------
// Orchestration

interface Options {
  quick: boolean;
  backends: string[];
  steps: number | null;
  parts: Part[];
  json: boolean;
  allModels: boolean;
  maxStepSeconds: number;
  /** Where the figures go (merged with the parts already there). */
  out: string;
  /** Internal: answer comparison requests on stdin (compare.ts, serveOurWork). */
  serve: boolean;
  /** Rounds of the same-session comparisons. */
  rounds: number;
  /** Another checkout of this project, the A of --part ab. */
  baseline: string | null;
  /** Names of the comparison work to run (all when null). */
  work: string[] | null;
  /** The set of vs-pytorch, profile or ab figures a run replaces ('before', 'after', …). */
  set: string;
}

const USAGE = `usage: nullspace-cl bench [--quick] [--backend wasm,cpu] [--steps N] [--all-models]
         [--part throughput,boundary,memory,eigh,vs-pytorch,wasm-threads,profile,ab]
         [--out FILE] [--rounds N] [--work NAME,…] [--set NAME] [--baseline DIR]

parts (default throughput,boundary,memory,eigh):
  throughput    training step of ResNet-18 (w64, w20) and the MLP with and without null-space
                projection: the projection's own time per step and its flop ratio
  boundary      covariance pass per mode, refresh per layer and on full-rank covariances,
                Adam-NSCL's whole afterTask
  eigh          eigh per size, with reconstruction and orthogonality errors
  memory        tensor and RSS memory over a 3-task Adam-NSCL run
  vs-pytorch    the same steps, covariance passes and eigendecompositions on PyTorch
                ($NSCL_PYTHON, else python3, with torch) in the same session, rounds
                interleaved: ratios ours/PyTorch stored under the set named by --set
  wasm-threads  the tfjs work of vs-pytorch on wasm with one thread against one per core
  profile       the kernels of a ResNet-18 step on both sides, and each convolution pass alone
  ab            the same work on --baseline DIR (another checkout) and on this one, interleaved

Prints tables and writes --out (default bench/results.json, from the working directory),
keeping the parts not rerun.`;

function parseOptions(argv: string[]): Options | null {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      backend: { type: 'string' },
      steps: { type: 'string' },
      part: { type: 'string' },
      json: { type: 'boolean', default: false },
      'all-models': { type: 'boolean', default: false },
      'max-step-seconds': { type: 'string', default: '300' },
      out: { type: 'string', default: join('bench', 'results.json') },
      serve: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      set: { type: 'string', default: 'after' },
      work: { type: 'string' },
      baseline: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) return null;
  const parts = (values.part ?? 'throughput,boundary,memory,eigh').split(',') as Part[];
  for (const p of parts) {
    if (!(PARTS as readonly string[]).includes(p)) throw new Error(`unknown --part '${p}'`);
  }
  const rounds = Number(values.rounds ?? (values.quick ? 1 : 2));
  if (!(Number.isInteger(rounds) && rounds > 0))
    throw new Error(`--rounds expects a positive integer, got '${values.rounds}'`);
  const steps = values.steps === undefined ? null : Number(values.steps);
  if (steps !== null && !(Number.isInteger(steps) && steps > 0))
    throw new Error(`--steps expects a positive integer, got '${values.steps}'`);
  return {
    quick: values.quick,
    backends: (values.backend ?? 'wasm,cpu').split(','),
    steps,
    parts,
    json: values.json,
    allModels: values['all-models'],
    maxStepSeconds: Number(values['max-step-seconds']),
    out: values.out,
    serve: values.serve,
    rounds,
    set: values.set,
    work: values.work?.split(',') ?? null,
    baseline: values.baseline ?? null,
  };
}

/**
 * Steps timed per model after the warm-up. ResNet steps take seconds (w20 on wasm) to minutes
 * (w64), so those get one to three timed steps; the numbers are per step either way.
 */
function stepsFor(options: Options, backend: string): (model: string) => number {
  return (model) => {
    if (options.steps !== null) return options.steps;
    if (model === 'mlp-784-400-400') return options.quick ? 20 : 50;
    return backend === 'cpu' || options.quick ? 1 : 3;
  };
}

/**
 * On the cpu backend one ResNet-18 step takes minutes (w20: 311–380 s), so there w64 needs
 * --all-models, and --quick leaves out both ResNets.
 */
function throughputModels(options: Options, backend: string): string[] {
  const cpu = backend === 'cpu' && !options.allModels;
  const w64 = !options.quick && !cpu;
  const w20 = !(options.quick && cpu);
  return [...(w64 ? ['resnet18-w64'] : []), ...(w20 ? ['resnet18-w20'] : []), 'mlp-784-400-400'];
}

/** A w64 step takes minutes here; its second step already runs at steady speed, so one warm-up. */
function warmupFor(model: string): number {
  return model === 'resnet18-w64' ? 1 : WARMUP;
}

/** The part run inside a child: one backend, results as one JSON line on stdout. */
async function child(options: Options): Promise<void> {
  const backend = await selectBackend(options.backends[0]);
  log(describeBackend(backend));
  const part = options.parts[0];
  let result: unknown;
  if (part === 'throughput') {
    result = await throughput(
      throughputModels(options, backend.name),
      stepsFor(options, backend.name),
      warmupFor,
      options.maxStepSeconds,
    );
  } else if (part === 'boundary') {
    // A per-sample covariance pass costs ~0.6 GFLOP per image at w20 and ~9 at w64 (the Gram
    // matrices, more than the forward pass), so the image counts are scaled down and the table
    // gives the cost per image; batch-mean (the reference code's variant) costs one image's
    // Gram per batch.
    const cases: BoundaryCase[] = [
      {
        model: 'mlp-784-400-400',
        mode: 'per-sample',
        images: 2000,
        batchSize: 64,
        decompose: true,
      },
      {
        model: 'resnet18-w20',
        mode: 'per-sample',
        images: options.quick ? 32 : 128,
        batchSize: 32,
        decompose: true,
      },
      ...(options.quick
        ? []
        : ([
            {
              model: 'resnet18-w64',
              mode: 'per-sample',
              images: 16,
              batchSize: 16,
              decompose: false,
            },
            {
              model: 'resnet18-w64',
              mode: 'batch-mean',
              // The covariance part of the whole boundary below (adam-nscl.boundaryImages = 1000).
              images: 1000,
              batchSize: 32,
              decompose: true,
            },
          ] as BoundaryCase[])),
    ];
    const rows: BoundaryRow[] = [];
    for (const c of cases) rows.push(await boundary(c));
    if (!options.quick) rows.push(fullRankRefresh('resnet18-w64'));
    // A 10-split CIFAR-100 task (5 000 images, batch 32) with the boundary capped.
    const whole = options.quick
      ? []
      : [
          await wholeBoundary({
            model: 'resnet18-w64',
            mode: 'batch-mean',
            trainImages: 5000,
            boundaryImages: 1000,
            batchSize: 32,
          }),
        ];
    result = { rows, whole };
  } else if (part === 'memory') {
    result = await memoryAcrossTasks(backend, options.quick ? 300 : 1000);
  }
  process.stdout.write(`\nBENCH_JSON ${JSON.stringify({ backend, result })}\n`);
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Runs one part in a fresh process (tsx's loader flags come along in execArgv). */
function runChild(
  part: Part,
  backend: string,
  options: Options,
): { backend: BackendInfo; result: unknown } {
  const args = [...process.execArgv, SCRIPT, '--part', part, '--backend', backend, '--json'];
  if (options.quick) args.push('--quick');
  if (options.steps !== null) args.push('--steps', String(options.steps));
  if (options.allModels) args.push('--all-models');
  args.push('--max-step-seconds', String(options.maxStepSeconds));
  log(`\n== ${part} on ${backend}`);
  const res = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 2 ** 20,
  });
  const line = res.stdout.split('\n').find((l) => l.startsWith('BENCH_JSON '));
  if (res.status !== 0 || !line)
    throw new Error(`bench child (${part}, ${backend}) failed (exit ${res.status})`);
  return JSON.parse(line.slice('BENCH_JSON '.length));
}

const commits = new Map<string, string>();

/**
 * The code a checkout holds: HEAD, marked dirty when the working tree differs from it; looked
 * up once per checkout, as a bench run measures one state of the code.
 */
function gitCommit(dir: string = dirname(SCRIPT)): string {
  const known = commits.get(dir);
  if (known) return known;
  const git = (...args: string[]) => spawnSync('git', ['-C', dir, ...args], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD').stdout.trim();
  const dirty = git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '';
  const commit = !head ? dir : dirty ? `${head}-dirty` : head;
  commits.set(dir, commit);
  return commit;
}

function machine() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    totalMemoryGiB: os.totalmem() / 2 ** 30,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    tfjs: tf.version_core,
    /** Other work on the machine while the bench ran (1, 5, 15 min), read at the end. */
    loadAverage: os.loadavg(),
  };
}

const pad = (x: string | number, w: number) => String(x).padStart(w);

type ThroughputEntry = { backend: BackendInfo; result: (ThroughputRow | SkippedThroughputRow)[] };

function throughputTable(entries: ThroughputEntry[]): string {
  const lines = [
    `${'backend'.padEnd(8)} ${'model'.padEnd(16)} ${pad('steps', 5)} ${pad('plain img/s', 12)} ${pad('NSCL img/s', 11)} ${pad('s/step', 8)} ${pad('overhead', 9)} ${pad('cpu-s/step', 10)} ${pad('cpu ovh', 8)} ${pad('flop ratio', 10)} ${pad('proj s/step', 11)}`,
  ];
  for (const { backend, result } of entries) {
    for (const r of result) {
      if ('skipped' in r) {
        lines.push(`${backend.name.padEnd(8)} ${r.model.padEnd(16)} skipped: ${r.skipped}`);
        continue;
      }
      lines.push(
        `${backend.name.padEnd(8)} ${r.model.padEnd(16)} ${pad(r.steps, 5)} ${pad(r.plainImagesPerSecond.toFixed(1), 12)} ${pad(r.projectedImagesPerSecond.toFixed(1), 11)} ${pad(r.plainSecondsPerStep.toFixed(3), 8)} ${pad(`${r.overheadPercent.toFixed(1)}%`, 9)} ${pad(r.plainCpuSecondsPerStep.toFixed(3), 10)} ${pad(`${r.cpuOverheadPercent.toFixed(1)}%`, 8)} ${pad(r.projectionFlopRatio === undefined ? '—' : `${(100 * r.projectionFlopRatio).toFixed(0)}%`, 10)} ${pad(r.projectionSecondsPerStep === undefined ? '—' : r.projectionSecondsPerStep.toFixed(3), 11)}`,
      );
    }
  }
  return lines.join('\n');
}

function boundaryTable(rows: BoundaryRow[]): string {
  const lines = [
    `${'model'.padEnd(16)} ${'covariance'.padEnd(10)} ${pad('images', 6)} ${pad('batch', 5)} ${pad('cov s', 7)} ${pad('ms/img', 7)} ${pad('refresh s', 9)}  largest layers (n: eigh s + build s)`,
  ];
  for (const r of rows) {
    const largest = [...r.layers]
      .sort((a, b) => b.n - a.n)
      .filter((l, i, all) => all.findIndex((m) => m.n === l.n) === i)
      .slice(0, 3)
      .map((l) => `${l.n}: ${l.eighSeconds.toFixed(2)}+${l.buildSeconds.toFixed(2)}`)
      .join(', ');
    const cov = r.covarianceSeconds;
    lines.push(
      `${r.model.padEnd(16)} ${r.mode.padEnd(10)} ${pad(r.images || '—', 6)} ${pad(r.batchSize || '—', 5)} ${pad(cov === null ? '—' : cov.toFixed(1), 7)} ${pad(cov === null ? '—' : ((1000 * cov) / r.images).toFixed(1), 7)} ${pad(r.refreshSeconds === null ? '—' : r.refreshSeconds.toFixed(1), 9)}  ${largest || '(skipped)'}`,
    );
  }
  return lines.join('\n');
}

function wholeBoundaryTable(rows: WholeBoundaryRow[]): string {
  return [
    `${'model'.padEnd(16)} ${'covariance'.padEnd(10)} ${pad('task images', 11)} ${pad('read', 5)} ${pad('batch', 5)} ${pad('seconds', 8)}`,
    ...rows.map(
      (r) =>
        `${r.model.padEnd(16)} ${r.mode.padEnd(10)} ${pad(r.trainImages, 11)} ${pad(r.boundaryImages ?? 'all', 5)} ${pad(r.batchSize, 5)} ${pad(r.seconds.toFixed(1), 8)}`,
    ),
  ].join('\n');
}

function eighTable(rows: EighBenchRow[]): string {
  return [
    `${pad('n', 6)} ${pad('eigh s', 8)} ${pad('recon err', 10)} ${pad('orth err', 10)}`,
    ...rows.map(
      (r) =>
        `${pad(r.n, 6)} ${pad(r.seconds.toFixed(2), 8)} ${pad(r.reconstructionError.toExponential(1), 10)} ${pad(r.orthogonalityError.toExponential(1), 10)}`,
    ),
  ].join('\n');
}

function memoryTable(rows: MemoryRow[]): string {
  const label = (t: number) => (t === 0 ? 'start' : t < 0 ? 'after run' : `task ${t}`);
  return [
    `${'point'.padEnd(10)} ${pad('RSS MiB', 8)} ${pad('peak MiB', 8)} ${pad('tf MiB', 7)} ${pad('tensors', 8)}`,
    ...rows.map(
      (r) =>
        `${label(r.task).padEnd(10)} ${pad(r.rssMiB.toFixed(0), 8)} ${pad(r.peakRssMiB?.toFixed(0) ?? '—', 8)} ${pad((r.tfBytes / 2 ** 20).toFixed(2), 7)} ${pad(r.tfTensors, 8)}`,
    ),
  ].join('\n');
}

interface VsPytorchRow {
  work: string;
  /** Seconds per step, per image or per decomposition (see `units`). */
  ours: number;
  pytorch: number;
  ratio: number;
  /** Threads on each side (tfjs' wasm pool or the eigh pool; torch and its BLAS). */
  threads: number;
  oursSamples: number[];
  pytorchSamples: number[];
  /** 1-minute load average after each round. */
  load: number[];
}

interface VsPytorchSet {
  measured: { at: string; commit: string; quick: boolean; rounds: number; loadAverage: number[] };
  ours: { side: string; eighThreads: number };
  pytorch: { side: string; blas: string[]; python: string };
  units: Record<string, string>;
  rows: VsPytorchRow[];
}

/**
 * The same work on our side and on PyTorch's (src/bench/pytorch-peer.ts), in one session with
 * the same thread counts; null, after one line saying why, where Python cannot import torch.
 */
async function vsPytorch(options: Options): Promise<VsPytorchSet | null> {
  const python = pythonCommand();
  const missing = torchUnavailable(python);
  if (missing) {
    console.log(`vs-pytorch: skipped, ${missing}; NSCL_PYTHON names another interpreter`);
    return null;
  }
  const backend = options.backends[0];
  log(`\n== vs-pytorch on ${backend}, ${options.rounds} round(s)`);
  return withSides(
    () => startOurSide('ours', SCRIPT, backend),
    () => startPytorchSide(python),
    async (ours, torch) => {
      const info = ours.info as { side: string; backend: BackendInfo; eighThreads: number };
      log(`  ${info.side}; eigh threads ${info.eighThreads}; ${torch.info.side as string}`);
      const threadsFor = (w: Work) =>
        w.spec.kind === 'eigh'
          ? info.eighThreads
          : (info.backend.threads ?? os.availableParallelism());
      const works = selectedWork(options);
      const compared = await compareSides(ours, torch, works, options.rounds, log, threadsFor);
      return {
        measured: measuredNow(options),
        ours: { side: info.side, eighThreads: info.eighThreads },
        pytorch: {
          side: torch.info.side as string,
          blas: torch.info.blas as string[],
          python: torch.info.python as string,
        },
        units: Object.fromEntries(works.map((w) => [w.name, w.label])),
        rows: compared.map((r, i) => ({
          work: r.work,
          ours: r.a,
          pytorch: r.b,
          ratio: r.a / r.b,
          threads: threadsFor(works[i]),
          oursSamples: r.aSamples,
          pytorchSamples: r.bSamples,
          load: r.load,
        })),
      };
    },
  );
}

/** When and on what a comparison was measured. */
function measuredNow(options: Options): VsPytorchSet['measured'] {
  return {
    at: new Date().toISOString(),
    commit: gitCommit(),
    quick: options.quick,
    rounds: options.rounds,
    loadAverage: os.loadavg(),
  };
}

/** One work of an A/B comparison: A's and B's medians and samples, and B's speed-up over A. */
interface PairedRow {
  work: string;
  a: number;
  b: number;
  /** a / b. */
  speedup: number;
  /** Median over rounds of each round's a / b: robust to load that drifts. */
  pairedSpeedup: number;
  aSamples: number[];
  bSamples: number[];
  load: number[];
}

function pairedRows(compared: readonly ComparedWork[]): PairedRow[] {
  return compared.map((r) => ({
    work: r.work,
    a: r.a,
    b: r.b,
    speedup: r.a / r.b,
    pairedSpeedup: median(r.aSamples.map((x, i) => x / r.bSamples[i])),
    aSamples: r.aSamples,
    bSamples: r.bSamples,
    load: r.load,
  }));
}

/** Two sides started in turn, used, and closed whatever happens. */
async function withSides<T>(
  startA: () => Promise<Side>,
  startB: () => Promise<Side>,
  use: (a: Side, b: Side) => Promise<T>,
): Promise<T> {
  const a = await startA();
  try {
    const b = await startB();
    try {
      return await use(a, b);
    } finally {
      b.close();
    }
  } finally {
    a.close();
  }
}

function pairedTable(rows: readonly PairedRow[], labels: [string, string], width: number): string {
  return [
    `${'work'.padEnd(width)} ${pad(labels[0], 10)} ${pad(labels[1], 10)} ${pad('speed-up', 8)} ${pad('paired', 6)}`,
    ...rows.map(
      (r) =>
        `${r.work.padEnd(width)} ${pad(r.a.toPrecision(3), 10)} ${pad(r.b.toPrecision(3), 10)} ${pad(r.speedup.toFixed(2), 8)} ${pad(r.pairedSpeedup.toFixed(2), 6)}`,
    ),
  ].join('\n');
}

/** The tfjs work of the comparisons on wasm with one thread and with one per core, interleaved. */
async function wasmThreadsAB(options: Options): Promise<{
  measured: VsPytorchSet['measured'];
  threads: number;
  /** a: one thread, b: one per core. */
  rows: PairedRow[];
}> {
  const threads = wasmThreads();
  log(`\n== wasm, 1 thread against ${threads}, ${options.rounds} round(s)`);
  const works = selectedWork(options).filter((w) => w.spec.kind !== 'eigh');
  const compared = await withSides(
    () => startOurSide('1 thread', SCRIPT, 'wasm', { [WASM_THREADS_ENV]: '1' }),
    () =>
      startOurSide(`${threads} threads`, SCRIPT, 'wasm', { [WASM_THREADS_ENV]: String(threads) }),
    (single, threaded) => compareSides(single, threaded, works, options.rounds, log),
  );
  return { measured: measuredNow(options), threads, rows: pairedRows(compared) };
}

interface ConvRow {
  work: string;
  ours: number;
  pytorch: number | null;
  ratio: number | null;
  oursGflops: number;
  pytorchGflops: number | null;
}

interface ProfiledStep {
  model: string;
  ours: KernelTime[];
  pytorch: KernelTime[] | null;
}

interface Profiled {
  measured: VsPytorchSet['measured'];
  ours: string;
  pytorch: string | null;
  threads: number;
  steps: ProfiledStep[];
  convs: ConvRow[];
}

/**
 * Where a training step's time goes: the kernels of one ResNet-18 step (w20, w64) on our side
 * (tf.profile) and PyTorch's (its profiler, self time per operator), and each pass of each
 * convolution layer timed alone on both sides, interleaved (PyTorch left out where it cannot
 * be imported).
 */
async function profileParts(options: Options): Promise<Profiled> {
  const backend = options.backends[0];
  const python = pythonCommand();
  const missing = torchUnavailable(python);
  if (missing) console.log(`profile: PyTorch side skipped, ${missing}`);
  log(`\n== profile on ${backend}`);
  const ours = await startOurSide('ours', SCRIPT, backend);
  let torch: Side | null = null;
  try {
    if (!missing) torch = await startPytorchSide(python);
    const info = ours.info as { side: string; backend: BackendInfo };
    const threads = info.backend.threads ?? os.availableParallelism();
    const steps: ProfiledStep[] = [];
    for (const work of selectedWork(options)) {
      if (work.spec.kind !== 'step' || work.spec.model !== 'resnet18') continue;
      const profile = { ...work, spec: { ...work.spec, kind: 'profile' as const } };
      const kernels = async (side: Side) =>
        (await side.request(profile, threads)).kernels as KernelTime[];
      steps.push({
        model: `resnet18-w${work.spec.width}`,
        ours: await kernels(ours),
        pytorch: torch ? await kernels(torch) : null,
      });
      log(`  resnet18-w${work.spec.width} profiled`);
    }
    const works = convWork();
    const timed = torch
      ? await compareSides(ours, torch, works, options.rounds, log, () => threads)
      : null;
    const convs: ConvRow[] = [];
    for (const [i, work] of works.entries()) {
      const flops = convFlops(work.spec as ConvSpec);
      const oursSeconds = timed ? timed[i].a : median(await ours.run(work, threads));
      const pytorch = timed ? timed[i].b : null;
      convs.push({
        work: work.name,
        ours: oursSeconds,
        pytorch,
        ratio: pytorch === null ? null : oursSeconds / pytorch,
        oursGflops: flops / oursSeconds / 1e9,
        pytorchGflops: pytorch === null ? null : flops / pytorch / 1e9,
      });
    }
    return {
      measured: measuredNow(options),
      ours: info.side,
      pytorch: torch ? (torch.info.side as string) : null,
      threads,
      steps,
      convs,
    };
  } finally {
    torch?.close();
    ours.close();
  }
}

function profileTables(p: Profiled): string {
  const top = (kernels: KernelTime[] | null) => {
    if (!kernels) return ['  (PyTorch not available)'];
    const total = kernels.reduce((t, k) => t + k.ms, 0);
    return [
      `  total ${total.toFixed(0)} ms`,
      ...kernels
        .slice(0, 12)
        .map(
          (k) =>
            `  ${k.kernel.padEnd(34)} ${pad(k.ms.toFixed(1), 8)} ms ${pad(((100 * k.ms) / total).toFixed(1), 5)}% ${pad(k.calls, 5)} calls`,
        ),
    ];
  };
  const steps = p.steps.flatMap((s) => [
    `${s.model}, ours (${p.ours}):`,
    ...top(s.ours),
    `${s.model}, PyTorch (${p.pytorch ?? '—'}):`,
    ...top(s.pytorch),
  ]);
  const num = (x: number | null, scale: number, digits: number) =>
    x === null ? '—' : (scale * x).toFixed(digits);
  const convs = [
    `${'convolution pass'.padEnd(36)} ${pad('ours ms', 8)} ${pad('torch ms', 8)} ${pad('ratio', 6)} ${pad('ours GF/s', 9)} ${pad('torch GF/s', 10)}`,
    ...p.convs.map(
      (c) =>
        `${c.work.padEnd(36)} ${pad(num(c.ours, 1000, 1), 8)} ${pad(num(c.pytorch, 1000, 1), 8)} ${pad(num(c.ratio, 1, 2), 6)} ${pad(num(c.oursGflops, 1, 1), 9)} ${pad(num(c.pytorchGflops, 1, 1), 10)}`,
    ),
  ];
  return [
    `Profile of one training step, batch 32, ${p.threads} thread(s)`,
    ...steps,
    '',
    `Each convolution pass alone, batch 32, ${p.threads} thread(s)`,
    ...convs,
  ].join('\n');
}

/**
 * The same work on another checkout (--baseline, the A) and on this one (the B), interleaved in
 * one session: the measured effect of a change. Without --work: the training steps, the
 * covariance passes and every convolution pass.
 */
async function codeAB(options: Options): Promise<{
  measured: VsPytorchSet['measured'];
  baseline: string;
  current: string;
  /** a: the baseline, b: this checkout. */
  rows: PairedRow[];
}> {
  if (!options.baseline)
    throw new Error('--part ab needs --baseline DIR, a checkout to compare with');
  const baselineScript = join(options.baseline, 'src', 'bench', 'run-bench.ts');
  const backend = options.backends[0];
  const baselineName = `baseline ${gitCommit(options.baseline)}`;
  log(`\n== ${baselineName} against ${gitCommit()} on ${backend}, ${options.rounds} round(s)`);
  const works = options.work
    ? selectedWork(options)
    : [...comparisonWork(options.quick).filter((w) => w.spec.kind !== 'eigh'), ...convWork()];
  return withSides(
    () => startOurSide(baselineName, baselineScript, backend),
    () => startOurSide('current', SCRIPT, backend),
    async (a, b) => ({
      measured: measuredNow(options),
      baseline: `${baselineName} (${a.info.side as string})`,
      current: `${gitCommit()} (${b.info.side as string})`,
      rows: pairedRows(await compareSides(a, b, works, options.rounds, log)),
    }),
  );
}

/** --work's pieces (of the comparisons and the convolution passes), else the comparisons. */
function selectedWork(options: Options): Work[] {
  if (!options.work) return comparisonWork(options.quick);
  const all = [...comparisonWork(options.quick), ...convWork()];
  const unknown = options.work.filter((w) => !all.some((a) => a.name === w));
  if (unknown.length > 0)
    throw new Error(
      `unknown --work ${unknown.join(', ')}: choose from ${all.map((a) => a.name).join(', ')}`,
    );
  return all.filter((a) => options.work!.includes(a.name));
}

function vsPytorchTable(rows: VsPytorchRow[]): string {
  return [
    `${'work'.padEnd(22)} ${pad('ours s', 9)} ${pad('pytorch s', 9)} ${pad('ratio', 6)} ${pad('threads', 7)}`,
    ...rows.map(
      (r) =>
        `${r.work.padEnd(22)} ${pad(r.ours.toPrecision(3), 9)} ${pad(r.pytorch.toPrecision(3), 9)} ${pad(r.ratio.toFixed(2), 6)} ${pad(r.threads, 7)}`,
    ),
  ].join('\n');
}

/**
 * Parts not rerun keep their earlier figures (each part records when it was measured in
 * `measured`), so a slow part can be rerun alone; figures from another machine are dropped.
 */
function previousResults(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  const previous = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const was = previous.machine as ReturnType<typeof machine> | undefined;
  const now = machine();
  // Whole-file fields of older versions; `measured` now says them per part.
  const { quick: _quick, totalSeconds: _seconds, ...rest } = previous;
  return was?.cpu === now.cpu && was.cores === now.cores ? rest : {};
}

async function orchestrate(options: Options): Promise<void> {
  const started = Date.now();
  const results: Record<string, unknown> = { ...previousResults(options.out), machine: machine() };
  mkdirSync(dirname(options.out), { recursive: true });
  const measured = (results.measured ?? {}) as Record<string, unknown>;
  const tables: string[] = [];
  // Written after every part: a long bench interrupted late keeps what it measured.
  const record = (part: Part, value: unknown, table: string) => {
    results[part] = value;
    measured[part] = measuredNow(options);
    results.measured = measured;
    results.timestamp = new Date().toISOString();
    writeFileSync(options.out, `${JSON.stringify(results, null, 1)}\n`);
    tables.push(table);
  };
  /**
   * A part run on each requested backend; backends not rerun keep their earlier entries (see
   * `measured` for when each part was taken).
   */
  const perBackend = <E extends { backend: BackendInfo }>(part: 'throughput' | 'memory'): E[] => {
    const fresh = options.backends.map((b) => runChild(part, b, options) as unknown as E);
    const previous = Array.isArray(results[part]) ? (results[part] as E[]) : [];
    const kept = previous.filter((e) => !fresh.some((f) => f.backend.name === e.backend.name));
    return [...fresh, ...kept];
  };
  if (options.parts.includes('throughput')) {
    const entries = perBackend<ThroughputEntry>('throughput');
    record(
      'throughput',
      entries,
      `a. Training step, batch 32 (NSCL: projection with a half-dimension null space on every projected layer)\n${throughputTable(entries)}`,
    );
  }
  if (options.parts.includes('boundary')) {
    const entry = runChild('boundary', options.backends[0], options) as {
      backend: BackendInfo;
      result: { rows: BoundaryRow[]; whole: WholeBoundaryRow[] };
    };
    record(
      'boundary',
      entry,
      `b. Task boundary on ${entry.backend.name} (covariance pass; refresh = eigh + rule + projector for every layer; full-rank = refresh alone on full-rank covariances with half-dimension null spaces)\n${boundaryTable(entry.result.rows)}\n\nWhole Adam-NSCL boundary (afterTask: covariance, BatchNorm Fisher, refresh)\n${wholeBoundaryTable(entry.result.whole)}`,
    );
  }
  if (options.parts.includes('eigh')) {
    const sizes = options.quick ? EIGH_SIZES.filter((n) => n < 2304) : EIGH_SIZES;
    log('\n== eigh');
    const rows = benchEigh(sizes);
    record(
      'eigh',
      rows,
      `b. Eigendecomposition (float64, full-rank covariance)\n${eighTable(rows)}`,
    );
  }
  if (options.parts.includes('vs-pytorch')) {
    const compared = await vsPytorch(options);
    if (compared) {
      const previous = (results['vs-pytorch'] ?? {}) as Record<string, unknown>;
      record(
        'vs-pytorch',
        { ...previous, [options.set]: compared },
        `Same work, same session, ours / PyTorch (set '${options.set}'; ${compared.ours.side} vs ${compared.pytorch.side})\n${vsPytorchTable(compared.rows)}`,
      );
    }
  }
  if (options.parts.includes('wasm-threads')) {
    const compared = await wasmThreadsAB(options);
    record(
      'wasm-threads',
      compared,
      `wasm backend, 1 thread against ${compared.threads} (same session)\n${pairedTable(compared.rows, ['1 thread s', 'threaded s'], 22)}`,
    );
  }
  if (options.parts.includes('profile')) {
    const profiled = await profileParts(options);
    const previous = (results.profile ?? {}) as Record<string, unknown>;
    record('profile', { ...previous, [options.set]: profiled }, profileTables(profiled));
  }
  if (options.parts.includes('ab')) {
    const compared = await codeAB(options);
    const previous = (results.ab ?? {}) as Record<string, unknown>;
    record(
      'ab',
      { ...previous, [options.set]: compared },
      `${compared.baseline} against ${compared.current} (set '${options.set}')\n${pairedTable(compared.rows, ['baseline s', 'current s'], 36)}`,
    );
  }
  if (options.parts.includes('memory')) {
    const entries = perBackend<{ backend: BackendInfo; result: MemoryRow[] }>('memory');
    record(
      'memory',
      entries,
      `c. Memory, default preset (MLP 784-400-400), 3 tasks of adam-nscl\n${entries
        .map((e) => `${e.backend.name}\n${memoryTable(e.result)}`)
        .join('\n')}`,
    );
  }
  const m = results.machine as ReturnType<typeof machine>;
  console.log(
    `\n${m.cpu}, ${m.cores} cores, ${m.totalMemoryGiB.toFixed(1)} GiB, node ${m.node}, tfjs ${m.tfjs}\n\n${tables.join('\n\n')}\n\n(${options.out}, ${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
}

/** `nullspace-cl bench`; the parts run in children started on this same file (see runChild). */
export async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (!options) {
    console.log(USAGE);
    return 0;
  }
  if (options.serve) await serveOurWork(options.backends[0]);
  else if (options.json) await child(options);
  else await orchestrate(options);
  return 0;
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(1);
  });
}
