/**
 * Float64 symmetric eigensolver (LAPACK dsyevd in pure TypeScript):
 *   1. blocked Householder tridiagonalization A = Q T Qᵀ (./tridiagonalize),
 *   2. divide and conquer on T = Z Λ Zᵀ (./divide-conquer), which keeps eigenvectors of
 *      clustered eigenvalues orthogonal,
 *   3. back-transformation V = Q Z with compact-WY blocks.
 * The O(n³) work is in the gemm of ./dense; the big work arrays are allocated with
 * `sharedFloat64` so that gemm can split that work between threads.
 */
import { firstNonFinite } from '../util/divergence.js';
import { sharedFloat64 } from './dense.js';
import { tridiagonalEigen } from './divide-conquer.js';
import { applyQ, tridiagonalize } from './tridiagonalize.js';

export interface SymmetricEigen {
  readonly n: number;
  /** Eigenvalues in ascending order. */
  readonly values: Float64Array;
  /** n×n row-major; column j (vectors[i*n + j]) is the unit eigenvector of values[j]. */
  readonly vectors: Float64Array;
}

/**
 * Eigendecomposition of a real symmetric n×n row-major matrix (only the lower triangle is
 * read; input not modified). Throws if that triangle holds a NaN or an infinity.
 */
export function eigh(a: Float64Array, n: number): SymmetricEigen {
  const { values, vectors } = eighColumns(a, n, () => [0, n]);
  return { n, values, vectors };
}

/** All eigenvalues and the eigenvectors of one contiguous range of them. */
export interface PartialEigen {
  readonly n: number;
  /** All eigenvalues, ascending. */
  readonly values: Float64Array;
  /** The chosen columns: eigenvectors of values[from..to). */
  readonly from: number;
  readonly to: number;
  /** n×(to − from) row-major; column j is the unit eigenvector of values[from + j]. */
  readonly vectors: Float64Array;
}

/**
 * Like `eigh`, but `choose` sees the eigenvalues first and names the range of eigenvectors
 * wanted, and only those are back-transformed (about a third of eigh's time at n = 4 608
 * when all are). A null-space projector needs just the smaller of its two subspaces.
 */
export function eighColumns(
  a: Float64Array,
  n: number,
  choose: (values: Float64Array) => readonly [from: number, to: number],
): PartialEigen {
  if (!Number.isInteger(n) || n < 0) throw new Error(`eigh: invalid size ${n}`);
  if (a.length < n * n) throw new Error(`eigh: expected ${n * n} entries, got ${a.length}`);
  assertFinite(a, n);
  if (n === 0)
    return { n, values: new Float64Array(0), from: 0, to: 0, vectors: new Float64Array(0) };
  const work = upperFromLower(a, n);
  const { d, e, tau } = tridiagonalize(work, n);
  const { values, vectors } = tridiagonalEigen(d, e, n);
  const [from, to] = choose(values);
  if (!(Number.isInteger(from) && Number.isInteger(to) && 0 <= from && from <= to && to <= n))
    throw new Error(`eigh: column range [${from}, ${to}) outside 0..${n}`);
  const z = to - from === n ? vectors : columns(vectors, n, from, to);
  applyQ(work, tau, n, z, to - from);
  // Callers get an ordinary array, not a view of shared memory.
  const own = z.buffer instanceof SharedArrayBuffer ? new Float64Array(z) : z;
  return { n, values, from, to, vectors: own };
}

/**
 * Throws on the first NaN or infinity of the lower triangle: the solver would otherwise turn
 * every eigenvalue into NaN, and the error would surface far from its cause.
 */
function assertFinite(a: Float64Array, n: number): void {
  for (let i = 0; i < n; i++) {
    const j = firstNonFinite(a.subarray(i * n, i * n + i + 1));
    if (j >= 0) {
      throw new Error(
        `eigh: the matrix has a non-finite entry ${a[i * n + j]} at row ${i}, column ${j} (0-based)`,
      );
    }
  }
}

/** Columns [from, to) of an n×n row-major matrix, as an n×(to − from) shared matrix. */
function columns(m: Float64Array, n: number, from: number, to: number): Float64Array {
  const width = to - from;
  const out = sharedFloat64(n * width);
  for (let i = 0; i < n; i++) out.set(m.subarray(i * n + from, i * n + to), i * width);
  return out;
}

/** Copies the lower triangle of a into the upper triangle of a fresh matrix (its transpose). */
function upperFromLower(a: Float64Array, n: number): Float64Array {
  const w = sharedFloat64(n * n);
  const B = 64;
  for (let j0 = 0; j0 < n; j0 += B) {
    for (let i0 = 0; i0 <= j0; i0 += B) {
      // Block (i0, j0) of the upper triangle reads block (j0, i0) of the lower one.
      const i1 = Math.min(n, i0 + B);
      const j1 = Math.min(n, j0 + B);
      for (let j = j0; j < j1; j++) {
        const src = j * n;
        for (let i = i0; i < i1 && i <= j; i++) w[i * n + j] = a[src + i];
      }
    }
  }
  return w;
}
