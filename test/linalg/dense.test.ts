import { describe, expect, it } from 'vitest';
import {
  gemm,
  identity,
  matmul,
  matmulNT,
  matmulTN,
  transpose,
  view,
} from '../../src/linalg/dense.js';
import { Rng } from '../../src/util/rng.js';

function random(rng: Rng, len: number): Float64Array {
  const a = new Float64Array(len);
  for (let i = 0; i < len; i++) a[i] = rng.normal();
  return a;
}

/** Textbook triple loop, the reference for the blocked kernel. */
function naive(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[i * k + p] * b[p * n + j];
      c[i * n + j] = s;
    }
  }
  return c;
}

function maxDiff(x: Float64Array, y: Float64Array): number {
  expect(x.length).toBe(y.length);
  let d = 0;
  for (let i = 0; i < x.length; i++) d = Math.max(d, Math.abs(x[i] - y[i]));
  return d;
}

describe('matmul', () => {
  it('matches the naive product on odd shapes crossing every block boundary', () => {
    const rng = new Rng(1);
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 5, 7],
      [67, 259, 5],
      [130, 300, 1030],
      [5, 513, 66],
    ]) {
      const a = random(rng, m * k);
      const b = random(rng, k * n);
      expect(maxDiff(matmul(a, b, m, k, n), naive(a, b, m, k, n))).toBeLessThan(1e-11);
    }
  });

  it('handles transposed operands', () => {
    const rng = new Rng(2);
    const [m, k, n] = [37, 70, 45];
    const a = random(rng, m * k);
    const b = random(rng, k * n);
    const ref = naive(a, b, m, k, n);
    expect(maxDiff(matmulTN(transpose(a, m, k), b, m, k, n), ref)).toBeLessThan(1e-12);
    expect(maxDiff(matmulNT(a, transpose(b, k, n), m, k, n), ref)).toBeLessThan(1e-12);
  });

  it('gemm accumulates alpha·op(A)·op(B) into a sub-block of C', () => {
    const rng = new Rng(3);
    const a = random(rng, 6 * 4);
    const b = random(rng, 4 * 5);
    const c = new Float64Array(10 * 10).fill(1);
    // C[2:8, 3:8] += −2·A·B with C's leading dimension 10.
    gemm(false, false, 6, 5, 4, -2, view(a, 4), view(b, 5), view(c, 10, 2 * 10 + 3));
    const ref = naive(a, b, 6, 4, 5);
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 10; j++) {
        const inside = i >= 2 && i < 8 && j >= 3 && j < 8;
        const want = inside ? 1 - 2 * ref[(i - 2) * 5 + (j - 3)] : 1;
        expect(c[i * 10 + j]).toBeCloseTo(want, 12);
      }
    }
  });

  it('multiplies by the identity exactly', () => {
    const rng = new Rng(4);
    const a = random(rng, 9 * 9);
    expect(matmul(a, identity(9), 9, 9, 9)).toEqual(a);
  });
});

describe('transpose', () => {
  it('swaps rows and columns', () => {
    const a = Float64Array.from({ length: 6 }, (_, i) => i);
    expect(Array.from(transpose(a, 2, 3))).toEqual([0, 3, 1, 4, 2, 5]);
    const rng = new Rng(5);
    const b = random(rng, 70 * 33);
    expect(transpose(transpose(b, 70, 33), 33, 70)).toEqual(b);
  });
});
