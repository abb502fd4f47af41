import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WASM_THREADS_ENV, wasmThreads } from '../../src/backend/wasm-threads.js';
import { maxAbsDiff } from '../helpers.js';

const FIXTURE = fileURLToPath(new URL('./wasm-threads-fixture.ts', import.meta.url));

interface Run {
  backend: string;
  losses: number[];
  weights: number[];
  gradients: number[][];
}

/** The fixture in a fresh process with the thread count set through the environment. */
function runWith(threads: number): Run {
  const out = execFileSync(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, [WASM_THREADS_ENV]: String(threads) },
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
    // A pool that kept the process alive would hang here; the timeout turns that into a failure.
    timeout: 100_000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Run;
}

/** Largest difference relative to the largest magnitude of `a`. */
function scaled(a: number[], b: number[]): number {
  return maxAbsDiff(a, b) / a.reduce((m, x) => Math.max(m, Math.abs(x)), 0);
}

describe('threaded wasm', () => {
  it('trains and differentiates like the single-threaded backend, and lets the process exit', () => {
    const single = runWith(1);
    const threaded = runWith(2);
    expect(single.backend).toMatch(/SIMD on, threads 1\)$/);
    expect(threaded.backend).toMatch(/SIMD on, threads 2\)$/);
    expect(threaded.losses).toHaveLength(3);
    for (const [i, loss] of threaded.losses.entries())
      expect(loss).toBeCloseTo(single.losses[i], 5);
    expect(threaded.weights).toHaveLength(single.weights.length);
    expect(scaled(single.weights, threaded.weights)).toBeLessThan(1e-5);
    for (const [i, g] of threaded.gradients.entries())
      expect(scaled(single.gradients[i], g)).toBeLessThan(1e-5);
  });

  it('takes the count from the option, else the environment, and rejects bad ones', () => {
    const previous = process.env[WASM_THREADS_ENV];
    try {
      process.env[WASM_THREADS_ENV] = '3';
      expect(wasmThreads()).toBe(3);
      expect(wasmThreads(1)).toBe(1);
      for (const bad of ['0', '1.5', 'two', '9']) {
        process.env[WASM_THREADS_ENV] = bad;
        expect(() => wasmThreads()).toThrow(/wasm threads must be an integer from 1 to 8/);
      }
      delete process.env[WASM_THREADS_ENV];
      expect(wasmThreads()).toBeGreaterThanOrEqual(1);
    } finally {
      if (previous === undefined) delete process.env[WASM_THREADS_ENV];
      else process.env[WASM_THREADS_ENV] = previous;
    }
  });
});
