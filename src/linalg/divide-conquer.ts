/**
 * Symmetric tridiagonal eigensolver by divide and conquer (Cuppen; LAPACK dstedc/dlaed0–3).
 *
 * T is split in the middle as diag(T1, T2) + |β| u uᵀ, both halves are solved recursively, and
 * the merge solves the rank-one update D + ρ z zᵀ: after deflation (negligible z_i, or nearly
 * equal d_i combined by a Givens rotation), the secular equation gives the new eigenvalues, z
 * is recomputed from them (Gu–Eisenstat / Löwner) so that the eigenvectors (D − λ)⁻¹ ẑ are
 * orthogonal to working precision even inside clusters, and the eigenvectors of T follow from
 * one gemm per half. Small blocks are solved by implicit QL.
 */
import { gemm, sharedFloat64, view } from './dense.js';
import { secularRoot } from './secular.js';
import { tridiagonalQl } from './tridiagonal-ql.js';

/** Subproblems at most this large are solved directly by implicit QL. */
const LEAF_SIZE = 32;
const EPS = 2 ** -53;
/** Column support inside a merge: only the top half, only the bottom half, or both. */
const TOP = 1;
const BOTTOM = 2;

export interface TridiagonalEigen {
  /** Ascending eigenvalues. */
  values: Float64Array;
  /** n×n row-major; column j is the unit eigenvector of values[j]. */
  vectors: Float64Array;
}

/**
 * Eigen-decomposition of the symmetric tridiagonal matrix with diagonal d[0:n] and
 * off-diagonal e[0:n−1] (inputs are not modified).
 */
export function tridiagonalEigen(d: Float64Array, e: Float64Array, n: number): TridiagonalEigen {
  const q = sharedFloat64(n * n);
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(d[i]));
  for (let i = 0; i < n - 1; i++) scale = Math.max(scale, Math.abs(e[i]));
  if (scale === 0) {
    for (let i = 0; i < n; i++) q[i * n + i] = 1;
    return { values: new Float64Array(n), vectors: q };
  }
  // Work on T/‖T‖_max so that tolerances are absolute and nothing over- or underflows.
  const ds = new Float64Array(n);
  const es = new Float64Array(n);
  for (let i = 0; i < n; i++) ds[i] = d[i] / scale;
  for (let i = 0; i < n - 1; i++) es[i] = e[i] / scale;
  solve(ds, es, q, n, 0, n);
  for (let i = 0; i < n; i++) ds[i] *= scale;
  return { values: ds, vectors: q };
}

/** Solves the block [lo, hi): d[lo:hi] ← eigenvalues, Q[lo:hi, lo:hi] ← eigenvectors. */
function solve(
  d: Float64Array,
  e: Float64Array,
  q: Float64Array,
  n: number,
  lo: number,
  hi: number,
): void {
  const m = hi - lo;
  if (m <= LEAF_SIZE) {
    solveLeaf(d, e, q, n, lo, m);
    return;
  }
  const mid = lo + (m >> 1);
  // T = diag(T1 − |β| e_last e_lastᵀ, T2 − |β| e_1 e_1ᵀ) + |β| u uᵀ, u = (e_last; sign(β) e_1).
  const beta = e[mid - 1];
  d[mid - 1] -= Math.abs(beta);
  d[mid] -= Math.abs(beta);
  solve(d, e, q, n, lo, mid);
  solve(d, e, q, n, mid, hi);
  merge(d, q, n, lo, mid, hi, beta);
}

function solveLeaf(
  d: Float64Array,
  e: Float64Array,
  q: Float64Array,
  n: number,
  lo: number,
  m: number,
): void {
  const dl = d.slice(lo, lo + m);
  const el = new Float64Array(m);
  for (let i = 0; i < m - 1; i++) el[i] = e[lo + i];
  const vt = new Float64Array(m * m);
  tridiagonalQl(dl, el, m, vt);
  d.set(dl, lo);
  for (let r = 0; r < m; r++) {
    const row = (lo + r) * n + lo;
    for (let c = 0; c < m; c++) q[row + c] = vt[c * m + r];
  }
}

/**
 * Merges the solved halves [lo, mid) and [mid, hi) coupled by β: the eigenproblem of
 * D + ρ z zᵀ with D = the halves' eigenvalues, z = (last row of Q1, sign(β)·first row of Q2)/√2,
 * ρ = 2|β|.
 */
function merge(
  d: Float64Array,
  q: Float64Array,
  n: number,
  lo: number,
  mid: number,
  hi: number,
  beta: number,
): void {
  const m = hi - lo;
  const n1 = mid - lo;
  const rho = 2 * Math.abs(beta);
  const sign = beta >= 0 ? 1 : -1;
  const z = new Float64Array(m);
  const dv = d.slice(lo, hi);
  const support = new Uint8Array(m);
  for (let c = 0; c < m; c++) {
    z[c] =
      c < n1 ? q[(mid - 1) * n + lo + c] * Math.SQRT1_2 : sign * q[mid * n + lo + c] * Math.SQRT1_2;
    support[c] = c < n1 ? TOP : BOTTOM;
  }
  const order = mergeSortedHalves(dv, n1, m);
  const { kept, deflated } = deflate(dv, z, rho, order, support, q, n, lo, m);
  const k = kept.length;

  // Secular equation for the kept part; row j of `u` becomes the eigenvector of λ_j in the
  // basis of the kept columns.
  const dl = new Float64Array(k);
  const zl = new Float64Array(k);
  const w = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    dl[i] = dv[kept[i]];
    zl[i] = z[kept[i]];
    w[i] = rho * zl[i] * zl[i];
  }
  const lambda = new Float64Array(k);
  const u = new Float64Array(k * k);
  const diff = new Float64Array(k);
  for (let j = 0; j < k; j++)
    lambda[j] = secularRoot(k, dl, w, j, u.subarray(j * k, (j + 1) * k), diff);
  secularEigenvectors(k, dl, zl, u);

  // New columns: Q_block[:, kept] · uᵀ, computed per half over the columns supported there.
  const top = sharedFloat64(n1 * k);
  const bottom = sharedFloat64((m - n1) * k);
  updateHalf(q, n, lo, lo, n1, kept, support, TOP, u, k, top);
  updateHalf(q, n, lo, mid, m - n1, kept, support, BOTTOM, u, k, bottom);

  assemble(d, q, n, lo, mid, hi, lambda, top, bottom, deflated, dv);
}

/** Permutation that sorts dv, whose halves [0, n1) and [n1, m) are each already ascending. */
function mergeSortedHalves(dv: Float64Array, n1: number, m: number): Int32Array {
  const order = new Int32Array(m);
  let a = 0;
  let b = n1;
  for (let t = 0; t < m; t++) {
    if (b >= m || (a < n1 && dv[a] <= dv[b])) order[t] = a++;
    else order[t] = b++;
  }
  return order;
}

/**
 * Deflation (dlaed2). Columns with ρ|z_c| ≤ tol are already eigenvectors; of two columns with
 * nearly equal d, a Givens rotation moves all of z into one of them and the other becomes an
 * eigenvector (the neglected coupling |t·c·s| is below tol). Returns the kept columns in
 * ascending order of d (strictly increasing) and the deflated ones.
 */
function deflate(
  dv: Float64Array,
  z: Float64Array,
  rho: number,
  order: Int32Array,
  support: Uint8Array,
  q: Float64Array,
  n: number,
  lo: number,
  m: number,
): { kept: number[]; deflated: number[] } {
  let zmax = 0;
  let dmax = 0;
  for (let c = 0; c < m; c++) {
    zmax = Math.max(zmax, Math.abs(z[c]));
    dmax = Math.max(dmax, Math.abs(dv[c]));
  }
  const tol = 8 * EPS * Math.max(dmax, zmax);
  const kept: number[] = [];
  const deflated: number[] = [];
  let prev = -1; // candidate column not yet known to be kept
  for (let t = 0; t < m; t++) {
    const c = order[t];
    if (rho * Math.abs(z[c]) <= tol) {
      deflated.push(c);
      continue;
    }
    if (prev < 0) {
      prev = c;
      continue;
    }
    const tau = Math.hypot(z[c], z[prev]);
    const cs = z[c] / tau;
    const sn = -z[prev] / tau;
    const gap = dv[c] - dv[prev];
    if (Math.abs(gap * cs * sn) <= tol) {
      z[c] = tau;
      z[prev] = 0;
      rotateColumns(q, n, lo, m, lo + prev, lo + c, cs, sn);
      support[prev] |= support[c];
      support[c] = support[prev];
      const dp = dv[prev] * cs * cs + dv[c] * sn * sn;
      dv[c] = dv[prev] * sn * sn + dv[c] * cs * cs;
      dv[prev] = dp;
      deflated.push(prev);
    } else {
      kept.push(prev);
    }
    prev = c;
  }
  if (prev >= 0) kept.push(prev);
  return { kept, deflated };
}

/** Columns p, c of Q over rows [lo, lo+m): p ← cs·p + sn·c, c ← cs·c − sn·p. */
function rotateColumns(
  q: Float64Array,
  n: number,
  lo: number,
  m: number,
  p: number,
  c: number,
  cs: number,
  sn: number,
): void {
  for (let r = lo; r < lo + m; r++) {
    const row = r * n;
    const x = q[row + p];
    const y = q[row + c];
    q[row + p] = cs * x + sn * y;
    q[row + c] = cs * y - sn * x;
  }
}

/**
 * On entry u[j*k + i] = d_i − λ_j. Recomputes z from the computed λ (Löwner's formula,
 * ẑ_i² = Π_j (λ_j − d_i) / Π_{j≠i} (d_j − d_i)), then sets row j of u to the normalized
 * eigenvector ẑ_i / (d_i − λ_j). Because ẑ is the exact z of a matrix with exactly these
 * eigenvalues, the vectors are orthogonal however close the λ_j are (dlaed3).
 */
function secularEigenvectors(k: number, dl: Float64Array, zl: Float64Array, u: Float64Array): void {
  if (k === 1) {
    u[0] = 1;
    return;
  }
  const zh = new Float64Array(k);
  for (let i = 0; i < k; i++) zh[i] = u[i * k + i];
  for (let j = 0; j < k; j++) {
    const row = j * k;
    const dj = dl[j];
    for (let i = 0; i < k; i++) if (i !== j) zh[i] *= u[row + i] / (dl[i] - dj);
  }
  for (let i = 0; i < k; i++) zh[i] = Math.sqrt(-zh[i]) * (zl[i] >= 0 ? 1 : -1);
  for (let j = 0; j < k; j++) {
    const row = j * k;
    let ss = 0;
    for (let i = 0; i < k; i++) {
      const x = zh[i] / u[row + i];
      u[row + i] = x;
      ss += x * x;
    }
    const inv = 1 / Math.sqrt(ss);
    for (let i = 0; i < k; i++) u[row + i] *= inv;
  }
}

/**
 * out (rows × k) = Q[r0 : r0+rows, lo + kept_s] · u[:, s]ᵀ over the kept columns s supported in
 * this half (the others are zero there), as one gemm on gathered operands.
 */
function updateHalf(
  q: Float64Array,
  n: number,
  lo: number,
  r0: number,
  rows: number,
  kept: number[],
  support: Uint8Array,
  half: number,
  u: Float64Array,
  k: number,
  out: Float64Array,
): void {
  const sel: number[] = [];
  for (let s = 0; s < k; s++) if (support[kept[s]] & half) sel.push(s);
  const ka = sel.length;
  if (ka === 0 || rows === 0) return;
  const g = sharedFloat64(rows * ka);
  for (let r = 0; r < rows; r++) {
    const src = (r0 + r) * n + lo;
    const dst = r * ka;
    for (let t = 0; t < ka; t++) g[dst + t] = q[src + kept[sel[t]]];
  }
  const us = sharedFloat64(k * ka);
  for (let j = 0; j < k; j++) {
    const src = j * k;
    const dst = j * ka;
    for (let t = 0; t < ka; t++) us[dst + t] = u[src + sel[t]];
  }
  gemm(false, true, rows, k, ka, 1, view(g, ka), view(us, ka), view(out, k));
}

/**
 * Writes the merged block back in ascending eigenvalue order: the k new eigenpairs (λ_j with
 * columns from top/bottom) and the deflated pairs (dv[c] with the current column c of Q).
 */
function assemble(
  d: Float64Array,
  q: Float64Array,
  n: number,
  lo: number,
  mid: number,
  hi: number,
  lambda: Float64Array,
  top: Float64Array,
  bottom: Float64Array,
  deflated: number[],
  dv: Float64Array,
): void {
  const m = hi - lo;
  const k = lambda.length;
  // Output position p takes source s: s < k is new eigenpair s, s ≥ k is deflated[s − k].
  const value = (s: number) => (s < k ? lambda[s] : dv[deflated[s - k]]);
  const src = Array.from({ length: m }, (_, s) => s).sort((x, y) => value(x) - value(y));
  const block = new Float64Array(m * m);
  for (let r = 0; r < m; r++) {
    const qRow = (lo + r) * n + lo;
    const inTop = lo + r < mid;
    const fresh = inTop ? top : bottom;
    const fRow = (inTop ? r : lo + r - mid) * k;
    const bRow = r * m;
    for (let p = 0; p < m; p++) {
      const s = src[p];
      block[bRow + p] = s < k ? fresh[fRow + s] : q[qRow + deflated[s - k]];
    }
  }
  for (let r = 0; r < m; r++) q.set(block.subarray(r * m, (r + 1) * m), (lo + r) * n + lo);
  for (let p = 0; p < m; p++) d[lo + p] = value(src[p]);
}
