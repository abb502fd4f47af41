/**
 * Implicit QL iteration with Wilkinson shifts for a small symmetric tridiagonal matrix
 * (EISPACK tql2 as in JAMA). Used as the leaf solver of divide-and-conquer, where the
 * subproblems have a few dozen rows, so the O(n³) Givens updates are cheap.
 */

const EPS = 2 ** -52;
const MAX_SWEEPS = 60;

/**
 * Eigen-decomposes the tridiagonal with diagonal d[0:n] and off-diagonal e[0:n−1] (e[i]
 * couples i and i+1; both arrays are overwritten). On return d holds the eigenvalues in
 * ascending order and row j of `vt` (n×n, row-major, overwritten) the unit eigenvector of d[j].
 */
export function tridiagonalQl(d: Float64Array, e: Float64Array, n: number, vt: Float64Array): void {
  vt.fill(0, 0, n * n);
  for (let i = 0; i < n; i++) vt[i * n + i] = 1;
  if (n === 1) return;
  e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    // Find a negligible off-diagonal element that splits the matrix below row l.
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > EPS * tst1) m++;
    let sweeps = 0;
    while (m > l && sweeps++ < MAX_SWEEPS) {
      // Wilkinson-like shift from the leading 2×2 block.
      let g = d[l];
      let p = (d[l + 1] - g) / (2 * e[l]);
      let r = Math.hypot(p, 1);
      if (p < 0) r = -r;
      d[l] = e[l] / (p + r);
      d[l + 1] = e[l] * (p + r);
      const dl1 = d[l + 1];
      let h = g - d[l];
      for (let i = l + 2; i < n; i++) d[i] -= h;
      f += h;
      // Implicit QL sweep from m−1 down to l, chasing the bulge with Givens rotations.
      p = d[m];
      let c = 1;
      let c2 = 1;
      let c3 = 1;
      const el1 = e[l + 1];
      let s = 0;
      let s2 = 0;
      for (let i = m - 1; i >= l; i--) {
        c3 = c2;
        c2 = c;
        s2 = s;
        g = c * e[i];
        h = c * p;
        r = Math.hypot(p, e[i]);
        e[i + 1] = s * r;
        s = e[i] / r;
        c = p / r;
        p = c * d[i] - s * g;
        d[i + 1] = h + s * (c * g + s * d[i]);
        rotateRows(vt, n, i, i + 1, c, s);
      }
      p = (-s * s2 * c3 * el1 * e[l]) / dl1;
      e[l] = s * p;
      d[l] = c * p;
      if (!(Math.abs(e[l]) > EPS * tst1)) break;
    }
    d[l] += f;
    e[l] = 0;
  }
  sortAscending(d, vt, n);
}

/** Rows i and k of vt (eigenvectors as rows) ← the Givens rotation used by tql2 on columns. */
function rotateRows(vt: Float64Array, n: number, i: number, k: number, c: number, s: number): void {
  const ri = i * n;
  const rk = k * n;
  for (let q = 0; q < n; q++) {
    const h = vt[rk + q];
    const x = vt[ri + q];
    vt[rk + q] = s * x + c * h;
    vt[ri + q] = c * x - s * h;
  }
}

/** Selection sort of eigenvalues with their eigenvector rows (n is small here). */
function sortAscending(d: Float64Array, vt: Float64Array, n: number): void {
  for (let i = 0; i < n - 1; i++) {
    let k = i;
    for (let j = i + 1; j < n; j++) if (d[j] < d[k]) k = j;
    if (k === i) continue;
    const t = d[i];
    d[i] = d[k];
    d[k] = t;
    for (let q = 0; q < n; q++) {
      const x = vt[i * n + q];
      vt[i * n + q] = vt[k * n + q];
      vt[k * n + q] = x;
    }
  }
}
