/**
 * Multi-threaded gemm and symv for the eigensolver, behind synchronous calls. Worker threads
 * (./kernel-worker.js) run the same kernels module as the main thread (./kernels.js), see the
 * operands through SharedArrayBuffers, and the main thread works on its share and then blocks
 * in Atomics.wait until the workers are done (allowed on Node's main thread), so callers such
 * as `eigh` stay synchronous.
 *
 * The pool is started lazily on the first large call, its workers are unref()ed so they never
 * keep the process alive, and calls whose operands are not all shared, or that are too small
 * to repay the hand-off (~0.1 ms), run on the calling thread alone. Threads: env
 * NSCL_EIGH_THREADS (1 disables workers), default min(available cores, 4); `setThreads`
 * overrides it.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { gemmWasmBytes } from './gemm-wasm.js';
import {
  BUSY,
  createKernels,
  DONE,
  FAILED,
  type GemmTask,
  type KernelMessage,
  type Kernels,
  type SymvTask,
} from './kernels.js';

/** Below this many flops (2mnk) a gemm stays on the calling thread. */
const GEMM_PARALLEL_MIN_FLOPS = 2 ** 23;
/** Below this many matrix entries ((n−s)²/2) a symv stays on the calling thread. */
const SYMV_PARALLEL_MIN_ENTRIES = 2 ** 17;
/**
 * Rows (or columns) per gemm chunk: each chunk re-packs the other operand, which costs about
 * 8/CHUNK of the chunk's compute, while smaller chunks balance better between threads.
 */
const GEMM_CHUNK = 256;
const GEMM_MIN_CHUNK = 32;
/** Symv chunks (of equal work) per thread. */
const SYMV_CHUNKS_PER_THREAD = 4;
/** How long to wait for a worker to start before falling back to one thread. */
const START_TIMEOUT_MS = 10_000;

interface PoolWorker {
  worker: Worker;
  state: Int32Array;
}

let local: Kernels | undefined;
let wasm: Uint8Array | undefined;
let requested: number | undefined;
const pool: PoolWorker[] = [];
/** Per-chunk partial results of symv. */
let symvScratch: Float64Array[] = [];

/** The calling thread's kernels. */
export function localKernels(): Kernels {
  if (!local) local = createKernels(wasmBytes());
  return local;
}

function wasmBytes(): Uint8Array {
  if (!wasm) wasm = gemmWasmBytes();
  return wasm;
}

/** Threads used by large gemms and symvs (the calling thread included). */
export function threadCount(): number {
  if (requested === undefined) {
    const env = Number(process.env.NSCL_EIGH_THREADS);
    requested = Number.isInteger(env) && env >= 1 ? env : Math.min(availableParallelism(), 4);
  }
  return typeof SharedArrayBuffer === 'undefined' ? 1 : requested;
}

/** Worker threads running now (they start with the first large call). */
export function runningWorkers(): number {
  return pool.length;
}

/** Sets the thread count (1 = single-threaded); surplus workers are stopped. */
export function setThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`invalid thread count ${threads}`);
  requested = threads;
  for (const w of pool.splice(Math.max(0, threads - 1))) void w.worker.terminate();
}

/** A zeroed Float64Array that workers can see (SharedArrayBuffer-backed when threads are on). */
export function sharedFloat64(length: number): Float64Array {
  if (threadCount() === 1) return new Float64Array(length);
  return new Float64Array(new SharedArrayBuffer(length * 8));
}

function isShared(x: Float64Array): boolean {
  return x.buffer instanceof SharedArrayBuffer;
}

function startWorker(): PoolWorker | undefined {
  const state = new Int32Array(new SharedArrayBuffer(4));
  // Resolved next to this module, so that src/ and dist/ each start their own copy.
  const worker = new Worker(new URL('./kernel-worker.js', import.meta.url), {
    workerData: { wasm: wasmBytes(), state: state.buffer },
  });
  worker.unref();
  // Failures are reported through the state word; listening keeps them from being fatal.
  worker.on('error', () => {});
  Atomics.wait(state, 0, BUSY, START_TIMEOUT_MS);
  if (state[0] === DONE) return { worker, state };
  void worker.terminate();
  return undefined;
}

/** Grows the pool to threads − 1 workers; if one cannot start, runs single-threaded from then on. */
function workers(): PoolWorker[] {
  const threads = threadCount();
  while (pool.length < threads - 1) {
    const w = startWorker();
    if (!w) {
      setThreads(1);
      return [];
    }
    pool.push(w);
  }
  return pool;
}

/** Posts `message(i)` to each worker i, runs `own` here, then waits for all workers. */
function runTeam(team: PoolWorker[], message: (i: number) => KernelMessage, own: () => void): void {
  team.forEach((w, i) => {
    Atomics.store(w.state, 0, BUSY);
    w.worker.postMessage(message(i));
  });
  own();
  let failed = false;
  for (const w of team) {
    while (Atomics.load(w.state, 0) === BUSY) Atomics.wait(w.state, 0, BUSY);
    failed ||= w.state[0] === FAILED;
  }
  if (failed) throw new Error('linalg: a worker thread failed');
}

/**
 * C += alpha · op(A) · op(B) (row-major operands as array, offset, leading dimension), split
 * between threads when it is large and all operands are shared; otherwise on this thread.
 */
export function gemmParallel(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float64Array,
  aOff: number,
  lda: number,
  b: Float64Array,
  bOff: number,
  ldb: number,
  c: Float64Array,
  cOff: number,
  ldc: number,
): void {
  const kernels = localKernels();
  // Split the longer side of C, so that the operand re-packed per chunk is the smaller one.
  const splitRows = m >= n;
  const extent = splitRows ? m : n;
  const parallel =
    threadCount() > 1 &&
    2 * m * n * k >= GEMM_PARALLEL_MIN_FLOPS &&
    extent >= 2 * GEMM_MIN_CHUNK &&
    isShared(a) &&
    isShared(b) &&
    isShared(c);
  const team = parallel ? workers() : [];
  if (team.length === 0) {
    kernels.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, c, cOff, ldc);
    return;
  }
  // At least two chunks per thread, rounded to the 4-wide register tile.
  const perThread = Math.ceil(extent / (2 * (team.length + 1)));
  const chunk = Math.max(GEMM_MIN_CHUNK, Math.min(GEMM_CHUNK, Math.ceil(perThread / 4) * 4));
  const counter = new Int32Array(new SharedArrayBuffer(4));
  const task: GemmTask = {
    ...{ transA, transB, m, n, k, alpha },
    ...{ a, aOff, lda, b, bOff, ldb, c, cOff, ldc },
    ...{ splitRows, chunk, counter },
  };
  runTeam(
    team,
    () => ({ kind: 'gemm', task }),
    () => kernels.gemmChunks(task),
  );
}

/**
 * y[s:n] = A[s:n, s:n] · x[s:n], reading only the upper triangle of the row-major n×n A. Half
 * the flops of the tridiagonalization are here, bound by memory traffic; large products are
 * split by rows between threads (each with its own partial y, summed at the end).
 */
export function symvUpper(
  a: Float64Array,
  n: number,
  s: number,
  x: Float64Array,
  y: Float64Array,
): void {
  const kernels = localKernels();
  const size = n - s;
  const parallel =
    threadCount() > 1 &&
    (size * size) / 2 >= SYMV_PARALLEL_MIN_ENTRIES &&
    isShared(a) &&
    isShared(x);
  const team = parallel ? workers() : [];
  if (team.length === 0) {
    y.fill(0, s, n);
    kernels.symvRows(a, n, s, n, x, y);
    return;
  }
  const chunks = (team.length + 1) * SYMV_CHUNKS_PER_THREAD;
  const bounds = equalWorkBounds(s, n, chunks);
  const ys = partialVectors(chunks, n);
  const task: SymvTask = {
    a,
    n,
    s,
    x,
    ys,
    bounds,
    counter: new Int32Array(new SharedArrayBuffer(4)),
  };
  runTeam(
    team,
    () => ({ kind: 'symv', task }),
    () => kernels.symvChunks(task),
  );
  // Chunk c only reaches y[bounds[c]:]; summing in chunk order keeps results reproducible.
  y.set(ys[0].subarray(s, n), s);
  for (let c = 1; c < chunks; c++) {
    const part = ys[c];
    for (let q = bounds[c]; q < n; q++) y[q] += part[q];
  }
}

/** `count` shared vectors of length ≥ n, reused across calls. */
function partialVectors(count: number, n: number): Float64Array[] {
  if (symvScratch.length < count || symvScratch[0].length < n) {
    symvScratch = Array.from({ length: count }, () => sharedFloat64(n));
  }
  return symvScratch;
}

/**
 * Cuts rows [s, n) into `chunks` ranges of about equal work (row r costs n − r), at multiples
 * of 4 from s so that the kernel's 4-row groups stay aligned.
 */
function equalWorkBounds(s: number, n: number, chunks: number): Int32Array {
  const size = n - s;
  const bounds = new Int32Array(chunks + 1);
  bounds[0] = s;
  for (let c = 1; c < chunks; c++) {
    const r = s + size - size * Math.sqrt(1 - c / chunks);
    bounds[c] = Math.min(n, Math.max(bounds[c - 1], s + Math.round((r - s) / 4) * 4));
  }
  bounds[chunks] = n;
  return bounds;
}
