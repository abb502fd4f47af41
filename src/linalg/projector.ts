import type { SymmetricEigen } from './eigh.js';

/**
 * The projector P = s·U2U2ᵀ onto the null space U2 (the k eigenvectors of the smallest
 * eigenvalues), kept in low-rank form. With n − k < k it stores the kept range U1 instead and
 * applies P = s·(I − U1U1ᵀ); either way applying it to an n×c matrix costs O(n·m·c) with
 * m = min(k, n − k), never n²·c. s = 1/‖U2U2ᵀ‖_F = 1/√k when normalised (the reference code's
 * default), else 1.
 */
export interface LowRankProjector {
  readonly n: number;
  /** Null-space dimension k. */
  readonly nullDim: number;
  /** Which subspace `basis` spans. */
  readonly basisSpans: 'null' | 'range';
  /** n×m row-major orthonormal columns. */
  readonly basis: Float64Array;
  readonly m: number;
  readonly scale: number;
}

/**
 * The eigenvector columns [from, to) a projector with null-space dimension `nullDim` stores:
 * the null space itself, or the kept range when that is smaller.
 */
export function projectorColumns(n: number, nullDim: number): [from: number, to: number] {
  if (!(Number.isInteger(nullDim) && nullDim >= 0 && nullDim <= n))
    throw new Error(`null-space dimension ${nullDim} outside 0..${n}`);
  return nullDim <= n - nullDim ? [0, nullDim] : [nullDim, n];
}

/** The projector from the columns `projectorColumns` names (n×m row-major, orthonormal). */
export function projectorFromBasis(
  n: number,
  nullDim: number,
  basis: Float64Array,
  normalize = true,
): LowRankProjector {
  const [from, to] = projectorColumns(n, nullDim);
  const m = to - from;
  if (basis.length !== n * m)
    throw new Error(`projector basis: expected ${n}×${m} = ${n * m} entries, got ${basis.length}`);
  const scale = nullDim === 0 ? 0 : normalize ? 1 / Math.sqrt(nullDim) : 1;
  return { n, nullDim, basisSpans: from === 0 ? 'null' : 'range', basis, m, scale };
}

export function buildProjector(
  eigen: SymmetricEigen,
  nullDim: number,
  normalize = true,
): LowRankProjector {
  const { n } = eigen;
  const [from, to] = projectorColumns(n, nullDim);
  const m = to - from;
  const basis = new Float64Array(n * m);
  for (let i = 0; i < n; i++) basis.set(eigen.vectors.subarray(i * n + from, i * n + to), i * m);
  return projectorFromBasis(n, nullDim, basis, normalize);
}

/** P·G for an n×c row-major G, in float64 (the reference for the tensor version). */
export function applyProjector(p: LowRankProjector, g: Float64Array, cols: number): Float64Array {
  const { n, m, basis } = p;
  const coeff = new Float64Array(m * cols); // Uᵀ G
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const u = basis[i * m + j];
      if (u === 0) continue;
      for (let c = 0; c < cols; c++) coeff[j * cols + c] += u * g[i * cols + c];
    }
  }
  const out = new Float64Array(n * cols);
  const sign = p.basisSpans === 'null' ? 1 : -1;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < cols; c++) {
      let acc = 0;
      for (let j = 0; j < m; j++) acc += basis[i * m + j] * coeff[j * cols + c];
      const projected = p.basisSpans === 'null' ? acc : g[i * cols + c] + sign * acc;
      out[i * cols + c] = p.scale * projected;
    }
  }
  return out;
}

/** The dense n×n projector, for tests and small layers only. */
export function denseProjector(p: LowRankProjector): Float64Array {
  const identity = new Float64Array(p.n * p.n);
  for (let i = 0; i < p.n; i++) identity[i * p.n + i] = 1;
  return applyProjector(p, identity, p.n);
}

/**
 * P = I − MMᵀ for an n×m row-major M with orthonormal columns: the complement of a kept
 * subspace, unscaled (GPM's update rule). m = n leaves nothing free, so P = 0.
 */
export function complementProjector(basis: Float64Array, n: number, m: number): LowRankProjector {
  if (!(m >= 0 && m <= n) || basis.length !== n * m)
    throw new Error(`complement basis: expected ${n}×${m} = ${n * m} entries, got ${basis.length}`);
  return { n, nullDim: n - m, basisSpans: 'range', basis, m, scale: 1 };
}
