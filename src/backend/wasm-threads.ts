import { createRequire } from 'node:module';
import os, { availableParallelism } from 'node:os';
import { Worker as NodeWorker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';

/** The environment variable that sets the wasm backend's thread count (1 = single-threaded). */
export const WASM_THREADS_ENV = 'NSCL_WASM_THREADS';

/** The emscripten build starts this many pthread workers, the most XNNPACK's pool can use. */
const MAX_WASM_THREADS = 8;

/** How long the threaded module may take to start its workers before init is given up. */
const START_TIMEOUT_MS = 60_000;

/**
 * Threads for the wasm backend: `requested`, else $NSCL_WASM_THREADS, else one per core (up to
 * 8). README, Performance, has the single- against multi-threaded measurement.
 */
export function wasmThreads(requested?: number): number {
  const env = process.env[WASM_THREADS_ENV];
  const wanted =
    requested ?? (env ? Number(env) : Math.min(availableParallelism(), MAX_WASM_THREADS));
  if (!Number.isInteger(wanted) || wanted < 1 || wanted > MAX_WASM_THREADS) {
    const from = requested === undefined ? `${WASM_THREADS_ENV}=${env}` : `${requested}`;
    throw new Error(`wasm threads must be an integer from 1 to ${MAX_WASM_THREADS}, got ${from}`);
  }
  return typeof SharedArrayBuffer === 'undefined' ? 1 : wanted;
}

/** What tfjs-backend-wasm's module is used for here. */
export interface WasmModule {
  setThreadsCount(threads: number): void;
  getThreadsCount(): number;
}

/**
 * Initialises tfjs' wasm backend with `threads` XNNPACK threads. One thread is the plain SIMD
 * build. More use the threaded SIMD build that the package ships but tfjs turns off under Node
 * (tfjs issue #3830), for two reasons that are worked around here, only while the backend
 * starts:
 *  - its pthread workers are started from a blob: URL, which Node's worker_threads refuse, and
 *    are sent the main script as a Blob, which they cannot read: each worker is started instead
 *    from a short script that runs the package's own worker code (wasm-out/…worker.js) and loads
 *    the main script from wasm-out/tfjs-backend-wasm-threaded-simd.js, the glue the bundled
 *    factory was built from (same wasm binary);
 *  - XNNPACK's pool is capped at emscripten_num_logical_cores() / 2 (a guess at hyperthreads),
 *    which the module reads from os.cpus() as it starts: os.cpus() lists 2 × threads entries.
 * The workers are unref()ed once the pool runs, so they never keep the process alive.
 */
export async function startWasmBackend(mod: WasmModule, threads: number): Promise<boolean> {
  if (threads === 1) return tf.setBackend('wasm');
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  mod.setThreadsCount(threads);
  const workers: NodeWorker[] = [];
  const source = workerSource();
  class PthreadWorker extends NodeWorker {
    constructor(blobUrl: string) {
      URL.revokeObjectURL(blobUrl);
      super(source, { eval: true });
      workers.push(this);
    }
  }
  const cpus = os.cpus;
  const previousWorker = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  // The module assigns worker_threads' Worker to the global before starting workers.
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    get: () => PthreadWorker,
    set: () => {},
  });
  os.cpus = () => {
    const real = cpus();
    return Array.from(
      { length: Math.max(real.length, 2 * threads) },
      (_, i) => real[i % real.length],
    );
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`threaded wasm did not start in ${START_TIMEOUT_MS / 1000} s`)),
        START_TIMEOUT_MS,
      );
    });
    return await Promise.race([tf.setBackend('wasm'), timeout]);
  } catch (err) {
    for (const w of workers) void w.terminate();
    throw err;
  } finally {
    clearTimeout(timer);
    os.cpus = cpus;
    if (previousWorker) Object.defineProperty(globalThis, 'Worker', previousWorker);
    else delete (globalThis as { Worker?: unknown }).Worker;
    for (const w of workers) w.unref();
  }
}

/** The script each pthread worker runs (CommonJS, as eval'd worker code is). */
function workerSource(): string {
  const require = createRequire(import.meta.url);
  const file = (name: string) =>
    JSON.stringify(require.resolve(`@tensorflow/tfjs-backend-wasm/wasm-out/${name}`));
  const workerScript = file('tfjs-backend-wasm-threaded-simd.worker.js');
  // The worker code arrives as a string whose "\n" escapes became newlines; tfjs re-escapes them too.
  return `"use strict";
URL.createObjectURL = () => ${file('tfjs-backend-wasm-threaded-simd.js')};
URL.revokeObjectURL = () => {};
const code = require(${workerScript}).wasmWorkerContents.replaceAll("\\n", "\\\\n");
new Function("require", "__filename", code)(require, ${workerScript});
`;
}
