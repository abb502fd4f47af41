import { describe, expect, it } from 'vitest';
import { matmul, transpose } from '../../src/linalg/dense.js';
import { eigh, eighColumns } from '../../src/linalg/eigh.js';
import { nullSpaceSize, validateRule } from '../../src/linalg/null-space-rule.js';
import {
  applyProjector,
  buildProjector,
  denseProjector,
  projectorColumns,
  projectorFromBasis,
} from '../../src/linalg/projector.js';
import { maxAbsDiff, norm, randomNormal } from '../helpers.js';

/** XᵀX/rows for a rows×n X whose columns live in a `rank`-dimensional subspace. */
function lowRankCovariance(n: number, rank: number, rows: number, seed: number): Float64Array {
  const basis = randomNormal(rank * n, seed);
  const coeff = randomNormal(rows * rank, seed + 1);
  const x = matmul(coeff, basis, rows, rank, n);
  const c = matmul(transpose(x, rows, n), x, n, rows, n);
  return c.map((v) => v / rows);
}

describe('null-space rules', () => {
  const values = Float64Array.from([-1e-16, 1e-12, 5e-12, 1e-3, 0.5, 2]);

  it('relative: λ ≤ a·λ_min on |λ|', () => {
    expect(nullSpaceSize(values, { kind: 'relative', a: 10 })).toBe(1);
    expect(nullSpaceSize(Float64Array.from([1, 5, 10, 11]), { kind: 'relative', a: 10 })).toBe(3);
  });

  it('absolute: λ ≤ τ', () => {
    expect(nullSpaceSize(values, { kind: 'absolute', threshold: 2e-2 })).toBe(4);
    expect(nullSpaceSize(values, { kind: 'absolute', threshold: 0 })).toBe(0);
  });

  it('energy: smallest directions holding ≤ ε of the total', () => {
    const v = Float64Array.from([1, 1, 2, 96]);
    expect(nullSpaceSize(v, { kind: 'energy', epsilon: 0.02 })).toBe(2);
    expect(nullSpaceSize(v, { kind: 'energy', epsilon: 0.04 })).toBe(3);
  });

  it('rejects bad parameters', () => {
    expect(() => validateRule({ kind: 'relative', a: 0.5 })).toThrow(/a must be ≥ 1/);
    expect(() => validateRule({ kind: 'energy', epsilon: 1 })).toThrow(/epsilon/);
  });
});

describe('low-rank projector', () => {
  const n = 24;
  const cov = lowRankCovariance(n, 9, 60, 7);
  const eigen = eigh(cov, n);
  const k = nullSpaceSize(eigen.values, { kind: 'absolute', threshold: 1e-9 });

  it('finds the exact null space of a rank-deficient covariance', () => {
    expect(k).toBe(n - 9);
  });

  it.each([
    ['null-space basis', 5],
    ['kept-range basis', n - 9],
  ])('P·G matches the dense projector (%s)', (_label, nullDim) => {
    const p = buildProjector(eigen, nullDim, false);
    expect(p.m).toBe(Math.min(nullDim, n - nullDim));
    const g = randomNormal(n * 4, 3);
    const dense = denseProjector(p);
    expect(maxAbsDiff(applyProjector(p, g, 4), matmul(dense, g, n, n, 4))).toBeLessThan(1e-12);
    // Idempotent and symmetric: a projector.
    expect(maxAbsDiff(matmul(dense, dense, n, n, n), dense)).toBeLessThan(1e-12);
    expect(maxAbsDiff(transpose(dense, n, n), dense)).toBeLessThan(1e-12);
  });

  it('projected updates are orthogonal to the kept range, so C·ΔW = 0', () => {
    const p = buildProjector(eigen, k, false);
    const g = randomNormal(n * 3, 5);
    const projected = applyProjector(p, g, 3);
    expect(norm(matmul(cov, projected, n, n, 3)) / norm(g)).toBeLessThan(1e-10);
    expect(norm(matmul(cov, g, n, n, 3)) / norm(g)).toBeGreaterThan(0.1);
  });

  it('normalisation divides by ‖U2U2ᵀ‖_F = √k (and k = 0 freezes the layer)', () => {
    const plain = denseProjector(buildProjector(eigen, k, false));
    const scaled = denseProjector(buildProjector(eigen, k, true));
    expect(norm(plain)).toBeCloseTo(Math.sqrt(k), 10);
    expect(norm(scaled)).toBeCloseTo(1, 10);
    expect(norm(denseProjector(buildProjector(eigen, 0, true)))).toBe(0);
  });

  it('from the eigenvectors eighColumns picks equals the one from the full decomposition', () => {
    const n = 12;
    const x = randomNormal(n * 40, 8);
    const c = matmul(transpose(x, 40, n), x, n, 40, n);
    for (const k of [0, 3, 6, 9, 12]) {
      const part = eighColumns(c, n, () => projectorColumns(n, k));
      const fromBasis = denseProjector(projectorFromBasis(n, k, part.vectors));
      expect(maxAbsDiff(fromBasis, denseProjector(buildProjector(eigh(c, n), k)))).toBeLessThan(
        1e-12,
      );
    }
    expect(projectorColumns(n, 9)).toEqual([9, 12]);
    expect(() => projectorFromBasis(n, 3, new Float64Array(5))).toThrow(/expected 12×3/);
  });
});
