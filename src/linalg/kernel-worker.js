// @ts-check
/**
 * The program of each worker thread of ./threads: the kernels of ./kernels.js, built from the
 * WebAssembly bytes the main thread hands over (so that ./gemm-wasm, TypeScript, is never
 * loaded here), running every task posted to it. The worker's start and the end of each task
 * are reported through the shared state word, not by message: the main thread waits for them
 * in Atomics.wait, with its event loop blocked.
 */
/** @import { MessagePort } from 'node:worker_threads' */
/** @import { KernelMessage, Kernels } from './kernels.js' */
import { parentPort, workerData } from 'node:worker_threads';
import { createKernels, DONE, FAILED } from './kernels.js';

/** @type {{ wasm: Uint8Array, state: SharedArrayBuffer }} */
const { wasm, state: stateBuffer } = workerData;
const state = new Int32Array(stateBuffer);
// Only ever loaded as a worker's entry point, where parentPort is set.
const port = /** @type {MessagePort} */ (parentPort);

/** @param {number} value */
function signal(value) {
  Atomics.store(state, 0, value);
  Atomics.notify(state, 0);
}

/** @returns {Kernels | undefined} */
function build() {
  try {
    return createKernels(wasm);
  } catch {
    // Tells the main thread at once, rather than after its start timeout, to go on alone.
    signal(FAILED);
    return undefined;
  }
}

const kernels = build();
if (kernels) {
  port.on('message', (/** @type {KernelMessage} */ m) => {
    try {
      if (m.kind === 'gemm') kernels.gemmChunks(m.task);
      else kernels.symvChunks(m.task);
      signal(DONE);
    } catch {
      signal(FAILED);
    }
  });
  signal(DONE);
}
