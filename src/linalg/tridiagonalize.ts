/**
 * Blocked Householder reduction of a symmetric matrix to tridiagonal form (LAPACK dsytrd /
 * dlatrd), and the blocked back-transformation with the resulting orthogonal matrix
 * (dormtr via compact-WY blocks, dlarft).
 *
 * Storage: the working matrix is row-major and only its upper triangle (columns ≥ row) is
 * kept up to date, so that "the part of column i below the diagonal" is the contiguous row
 * segment a[i, i+1:]. Reflector i is H_i = I − τ_i v_i v_iᵀ with v_i zero before index i+1
 * and v_i[i+1] = 1; it is stored in that row segment once the row is reduced.
 */
import { gemm, sharedFloat64, view } from './dense.js';
import { symvUpper } from './threads.js';

/** Panel width of the reduction: reflectors accumulated before one rank-2k trailing update. */
const PANEL = 32;
/** Rows per block of the trailing update, so that only ~the upper triangle is recomputed. */
const UPDATE_ROWS = 128;
/** Reflectors per compact-WY block in the back-transformation. */
const BACK_BLOCK = 64;

export interface Tridiagonal {
  /** Diagonal, length n. */
  d: Float64Array;
  /** Off-diagonal, length n (e[i] couples i and i+1; e[n−1] = 0). */
  e: Float64Array;
  /** Householder scalars τ_i, length n (zero where no reflection was needed). */
  tau: Float64Array;
}

/**
 * Reduces the symmetric matrix held in the upper triangle of `a` (n×n row-major, overwritten
 * with the reflectors) to T = Qᵀ A Q, Q = H_0 H_1 … H_{n−3}.
 */
export function tridiagonalize(a: Float64Array, n: number): Tridiagonal {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const tau = new Float64Array(n);
  // Rows 0..nb−1 hold V (the panel's reflectors), rows nb..2nb−1 hold W, both n wide.
  const vw = sharedFloat64(2 * PANEL * n);
  const wv = sharedFloat64(2 * PANEL * n);
  const y = new Float64Array(n);
  for (let j = 0; j < n; j += PANEL) {
    const nb = Math.min(PANEL, n - j);
    vw.fill(0);
    reducePanel(a, n, j, nb, d, e, tau, vw, y);
    const r0 = j + nb;
    if (r0 < n) trailingUpdate(a, n, r0, nb, vw, wv);
  }
  return { d, e, tau };
}

/**
 * Reduces rows j..j+nb−1 (dlatrd). The trailing matrix is not updated here; instead the
 * reflectors v and the vectors w with A_current = A_stored − V Wᵀ − W Vᵀ are accumulated,
 * and each row is brought up to date just before it is reduced.
 */
function reducePanel(
  a: Float64Array,
  n: number,
  j: number,
  nb: number,
  d: Float64Array,
  e: Float64Array,
  tau: Float64Array,
  vw: Float64Array,
  y: Float64Array,
): void {
  const wBase = nb * n;
  for (let c = 0; c < nb; c++) {
    const i = j + c;
    const row = i * n;
    // Bring row i (columns i..n−1) up to date with this panel's earlier reflectors.
    for (let p = 0; p < c; p++) {
      const vp = p * n;
      const wp = wBase + p * n;
      const vi = vw[vp + i];
      const wi = vw[wp + i];
      for (let q = i; q < n; q++) a[row + q] -= vi * vw[wp + q] + wi * vw[vp + q];
    }
    d[i] = a[row + i];
    if (i >= n - 1) break;
    const t = householder(a, row + i + 1, n - i - 1);
    e[i] = t.beta;
    tau[i] = t.tau;
    const vRow = c * n;
    for (let q = i + 1; q < n; q++) vw[vRow + q] = a[row + q];
    if (t.tau === 0) continue;
    // y = A22 v with A22 = A[i+1:, i+1:] as stored (upper triangle, one pass per row).
    const v = vw.subarray(vRow, vRow + n);
    symvUpper(a, n, i + 1, v, y);
    // Correct for the panel's pending updates: y −= V (Wᵀv) + W (Vᵀv).
    for (let p = 0; p < c; p++) {
      const vp = p * n;
      const wp = wBase + p * n;
      let wv = 0;
      let vv = 0;
      for (let q = i + 1; q < n; q++) {
        wv += vw[wp + q] * v[q];
        vv += vw[vp + q] * v[q];
      }
      for (let q = i + 1; q < n; q++) y[q] -= vw[vp + q] * wv + vw[wp + q] * vv;
    }
    // w = τ y − (τ/2)(τ yᵀv) v, so that H A22 H = A22 − v wᵀ − w vᵀ.
    const tv = t.tau;
    let yv = 0;
    for (let q = i + 1; q < n; q++) yv += y[q] * v[q];
    const alpha = -0.5 * tv * tv * yv;
    const wRow = wBase + c * n;
    for (let q = i + 1; q < n; q++) vw[wRow + q] = tv * y[q] + alpha * v[q];
  }
}

/**
 * Turns x = a[off : off+len] into a Householder vector in place (dlarfg): afterwards
 * (I − τ v vᵀ) x = β e_1 with v = (1, a[off+1 :]).
 */
function householder(a: Float64Array, off: number, len: number): { beta: number; tau: number } {
  const alpha = a[off];
  let scale = 0;
  for (let q = 1; q < len; q++) scale = Math.max(scale, Math.abs(a[off + q]));
  if (scale === 0) {
    a[off] = 1;
    return { beta: alpha, tau: 0 };
  }
  // Scaled sum of squares avoids overflow/underflow for extreme magnitudes.
  let ss = 0;
  for (let q = 1; q < len; q++) {
    const x = a[off + q] / scale;
    ss += x * x;
  }
  const xnorm = scale * Math.sqrt(ss);
  const beta = -Math.sign(alpha || 1) * Math.hypot(alpha, xnorm);
  const tau = (beta - alpha) / beta;
  const inv = 1 / (alpha - beta);
  for (let q = 1; q < len; q++) a[off + q] *= inv;
  a[off] = 1;
  return { beta, tau };
}

/**
 * A[r0:, r0:] −= Vᵀ W + Wᵀ V on (roughly) the upper triangle, as one gemm per block of rows:
 * with P = [V; W] and R = [W; V] (2nb × n), the update is A −= Pᵀ R.
 */
function trailingUpdate(
  a: Float64Array,
  n: number,
  r0: number,
  nb: number,
  vw: Float64Array,
  wv: Float64Array,
): void {
  wv.set(vw.subarray(nb * n, 2 * nb * n), 0);
  wv.set(vw.subarray(0, nb * n), nb * n);
  const k = 2 * nb;
  for (let r1 = r0; r1 < n; r1 += UPDATE_ROWS) {
    const rows = Math.min(UPDATE_ROWS, n - r1);
    gemm(
      true,
      false,
      rows,
      n - r1,
      k,
      -1,
      view(vw, n, r1),
      view(wv, n, r1),
      view(a, n, r1 * n + r1),
    );
  }
}

/**
 * Z ← Q Z for the Q of `tridiagonalize` (reflectors in the upper triangle of `a`), Z n×cols
 * row-major. Reflectors are applied in compact-WY blocks H_j…H_{j+b−1} = I − Vᵀ T V (rows of V
 * are the reflectors), last block first, each as two gemms.
 */
export function applyQ(
  a: Float64Array,
  tau: Float64Array,
  n: number,
  z: Float64Array,
  cols: number,
): void {
  const count = Math.max(0, n - 2); // reflectors 0..n−3 (H_{n−2} is always the identity)
  const vb = sharedFloat64(BACK_BLOCK * n);
  const t = sharedFloat64(BACK_BLOCK * BACK_BLOCK);
  const gram = sharedFloat64(BACK_BLOCK * BACK_BLOCK);
  const yb = sharedFloat64(BACK_BLOCK * cols);
  const ty = sharedFloat64(BACK_BLOCK * cols);
  const lastStart = Math.floor((count - 1) / BACK_BLOCK) * BACK_BLOCK;
  for (let j = lastStart; j >= 0; j -= BACK_BLOCK) {
    const nb = Math.min(BACK_BLOCK, count - j);
    // Gather the block's reflectors as rows (zero before index i+1, unit at i+1).
    vb.fill(0, 0, nb * n);
    for (let c = 0; c < nb; c++) {
      const i = j + c;
      for (let q = i + 1; q < n; q++) vb[c * n + q] = a[i * n + q];
      vb[c * n + i + 1] = 1;
    }
    const s = j + 1; // first row touched by the block
    const m = n - s;
    const v = view(vb, n, s);
    // The reflectors' inner products V Vᵀ (nb × nb), then the block's T from them.
    gram.fill(0);
    gemm(false, true, nb, nb, m, 1, v, v, view(gram, BACK_BLOCK));
    blockTriangularFactor(gram, tau, j, nb, t);
    // Y = V Z[s:, :]  (nb × cols)
    yb.fill(0, 0, nb * cols);
    gemm(false, false, nb, cols, m, 1, v, view(z, cols, s * cols), view(yb, cols));
    // TY = T Y (T is upper triangular; its zeros cost little next to the other products).
    ty.fill(0, 0, nb * cols);
    gemm(false, false, nb, cols, nb, 1, view(t, BACK_BLOCK), view(yb, cols), view(ty, cols));
    // Z[s:, :] −= Vᵀ (T Y)
    gemm(true, false, m, cols, nb, -1, v, view(ty, cols), view(z, cols, s * cols));
  }
}

/**
 * Upper-triangular T with H_j…H_{j+nb−1} = I − Vᵀ T V (dlarft, forward, rows as vectors):
 * T[c][c] = τ_c and T[0:c, c] = −τ_c T[0:c, 0:c] (V[0:c] v_c), where gram[p][c] = v_p · v_c.
 */
function blockTriangularFactor(
  gram: Float64Array,
  tau: Float64Array,
  j: number,
  nb: number,
  t: Float64Array,
): void {
  const ld = BACK_BLOCK;
  t.fill(0);
  const tmp = new Float64Array(nb);
  for (let c = 0; c < nb; c++) {
    const tc = tau[j + c];
    t[c * ld + c] = tc;
    if (tc === 0) continue;
    for (let p = 0; p < c; p++) tmp[p] = -tc * gram[p * ld + c];
    for (let r = 0; r < c; r++) {
      let s = 0;
      for (let p = r; p < c; p++) s += t[r * ld + p] * tmp[p];
      t[r * ld + c] = s;
    }
  }
}
