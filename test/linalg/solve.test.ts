import { describe, expect, it } from 'vitest';
import { identity, matmul } from '../../src/linalg/dense.js';
import { luFactor, luSolve, solve } from '../../src/linalg/solve.js';
import { Rng } from '../../src/util/rng.js';

function random(rng: Rng, len: number): Float64Array {
  const a = new Float64Array(len);
  for (let i = 0; i < len; i++) a[i] = rng.normal();
  return a;
}

function maxAbsDiff(a: Float64Array, b: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('LU solve', () => {
  it('recovers X from A·X for random non-symmetric systems', () => {
    const rng = new Rng(1);
    for (const [n, cols] of [
      [1, 1],
      [7, 3],
      [40, 5],
      [65, 1],
    ]) {
      const a = random(rng, n * n);
      const x = random(rng, n * cols);
      const b = matmul(a, x, n, n, cols);
      const got = solve(a, n, b, cols);
      expect(maxAbsDiff(got, x)).toBeLessThan(1e-9);
    }
  });

  it('needs pivoting: a zero leading entry', () => {
    const a = Float64Array.of(0, 1, 1, 0);
    const b = Float64Array.of(2, 3);
    expect(Array.from(solve(a, 2, b, 1))).toEqual([3, 2]);
  });

  it('pivots for stability where no pivoting would lose all digits', () => {
    const eps = 1e-20;
    const a = Float64Array.of(eps, 1, 1, 1);
    // Exact solution ≈ (1, 1) for b = (1, 2).
    const x = solve(a, 2, Float64Array.of(1, 2), 1);
    expect(x[0]).toBeCloseTo(1, 12);
    expect(x[1]).toBeCloseTo(1, 12);
  });

  it('reuses one factorisation for several right-hand sides', () => {
    const rng = new Rng(2);
    const n = 12;
    const a = random(rng, n * n);
    const f = luFactor(a, n);
    const inv = luSolve(f, identity(n), n);
    expect(maxAbsDiff(matmul(a, inv, n, n, n), identity(n))).toBeLessThan(1e-10);
    expect(Array.from(a)).toEqual(Array.from(random(new Rng(2), n * n)));
  });

  it('handles an empty system', () => {
    expect(solve(new Float64Array(0), 0, new Float64Array(0), 3).length).toBe(0);
  });

  it('rejects singular, non-finite and mis-sized input', () => {
    expect(() => solve(Float64Array.of(1, 2, 2, 4), 2, Float64Array.of(1, 1), 1)).toThrow(
      /singular/,
    );
    expect(() => solve(Float64Array.of(1, Number.NaN, 0, 1), 2, Float64Array.of(1, 1), 1)).toThrow(
      /non-finite/,
    );
    expect(() => luFactor(new Float64Array(5), 2)).toThrow(/expected 4/);
    expect(() => solve(identity(2), 2, new Float64Array(3), 2)).toThrow(/right-hand side/);
    expect(() => luFactor(new Float64Array(0), -1)).toThrow(/invalid size/);
  });
});
