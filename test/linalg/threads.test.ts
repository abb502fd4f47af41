import { afterAll, describe, expect, it } from 'vitest';
import { gemm, sharedFloat64, view } from '../../src/linalg/dense.js';
import { eigh } from '../../src/linalg/eigh.js';
import { runningWorkers, setThreads, symvUpper, threadCount } from '../../src/linalg/threads.js';
import { Rng } from '../../src/util/rng.js';
import { randomSymmetric } from '../helpers.js';

function randomShared(rng: Rng, length: number): Float64Array {
  const a = sharedFloat64(length);
  for (let i = 0; i < length; i++) a[i] = rng.normal();
  return a;
}

/** Runs f single-threaded and with two threads (workers really started) and returns both results. */
function bothPaths<T>(f: () => T): { single: T; threaded: T } {
  setThreads(1);
  const single = f();
  setThreads(2);
  const threaded = f();
  expect(runningWorkers()).toBe(1);
  return { single, threaded };
}

const initialThreads = threadCount();
afterAll(() => setThreads(initialThreads));

describe('threaded kernels', () => {
  it('gives bit-identical gemm results on both paths, for row and column splits and transposes', () => {
    const rng = new Rng(5);
    // (m, n, k) large enough to be split: rows split when m ≥ n, columns otherwise.
    for (const [m, n, k, ta, tb] of [
      [301, 190, 170, false, false],
      [130, 517, 150, true, true],
      [260, 260, 131, true, false],
    ] as const) {
      setThreads(2);
      const a = randomShared(rng, m * k);
      const b = randomShared(rng, k * n);
      const c0 = randomShared(rng, m * n);
      const run = () => {
        const c = sharedFloat64(m * n);
        c.set(c0);
        gemm(ta, tb, m, n, k, -0.5, view(a, ta ? m : k), view(b, tb ? k : n), view(c, n));
        return c;
      };
      const { single, threaded } = bothPaths(run);
      expect(threaded).toEqual(single);
    }
  });

  it('gives the same symmetric matrix-vector product up to rounding', () => {
    const rng = new Rng(6);
    const n = 700;
    const s = 9;
    setThreads(2);
    const a = randomShared(rng, n * n);
    const x = randomShared(rng, n);
    const run = () => {
      const y = new Float64Array(n);
      symvUpper(a, n, s, x, y);
      return y;
    };
    const { single, threaded } = bothPaths(run);
    // Reference from the upper triangle, mirrored.
    for (const y of [single, threaded]) {
      for (let i = s; i < n; i += 37) {
        let ref = 0;
        for (let j = s; j < n; j++) ref += (i <= j ? a[i * n + j] : a[j * n + i]) * x[j];
        expect(Math.abs(y[i] - ref)).toBeLessThan(1e-11);
      }
    }
    for (let i = s; i < n; i++) expect(Math.abs(threaded[i] - single[i])).toBeLessThan(1e-12);
  });

  it('eigh agrees on both paths to rounding', () => {
    const rng = new Rng(7);
    const n = 560;
    const a = randomSymmetric(rng, n);
    const { single, threaded } = bothPaths(() => eigh(a, n));
    expect(threaded.vectors.buffer).toBeInstanceOf(ArrayBuffer);
    let scale = 0;
    for (const v of single.values) scale = Math.max(scale, Math.abs(v));
    for (let j = 0; j < n; j++) {
      expect(Math.abs(threaded.values[j] - single.values[j])).toBeLessThan(1e-12 * scale);
    }
    // Eigenvectors agree up to sign (the spectrum of a random matrix is well separated).
    for (let j = 0; j < n; j += 13) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += threaded.vectors[i * n + j] * single.vectors[i * n + j];
      expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-9);
    }
  });
});
