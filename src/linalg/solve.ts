/**
 * Dense float64 linear solves A·X = B by LU factorisation with partial pivoting (LAPACK dgetrf /
 * dgetrs, unblocked). Partial pivoting rather than Cholesky because the systems that need it, such
 * as AlphaEdit's P·C + λI, are well-posed but not symmetric.
 */

export interface LuFactorization {
  readonly n: number;
  /** n×n row-major: strictly lower part is L (unit diagonal implied), upper part with diagonal is U. */
  readonly lu: Float64Array;
  /** Row i of P·A is row pivots[i] of A. */
  readonly pivots: Int32Array;
}

/** P·A = L·U of a square n×n row-major matrix (input not modified). Throws on non-finite input or an exactly zero pivot. */
export function luFactor(a: Float64Array, n: number): LuFactorization {
  checkSize('luFactor', n);
  if (a.length !== n * n) throw new Error(`luFactor: expected ${n * n} entries, got ${a.length}`);
  // An off-diagonal NaN can slip past every pivot test, so check the input as a whole.
  if (!a.every(Number.isFinite)) throw new Error('luFactor: matrix has non-finite entries');
  const lu = Float64Array.from(a);
  const pivots = new Int32Array(n);
  for (let i = 0; i < n; i++) pivots[i] = i;
  for (let k = 0; k < n; k++) {
    const p = pivotRow(lu, n, k);
    const pivot = lu[p * n + k];
    if (pivot === 0 || !Number.isFinite(pivot)) {
      throw new Error(`luFactor: matrix is singular (pivot ${pivot} in column ${k})`);
    }
    if (p !== k) {
      swapRows(lu, n, p, k);
      const t = pivots[p];
      pivots[p] = pivots[k];
      pivots[k] = t;
    }
    eliminateBelow(lu, n, k);
  }
  return { n, lu, pivots };
}

/** The row at or below k with the largest |entry| in column k: keeps the multipliers ≤ 1 in size. */
function pivotRow(lu: Float64Array, n: number, k: number): number {
  let best = k;
  let max = Math.abs(lu[k * n + k]);
  for (let i = k + 1; i < n; i++) {
    const v = Math.abs(lu[i * n + k]);
    if (v > max) {
      max = v;
      best = i;
    }
  }
  return best;
}

/** Right-looking rank-1 update of the trailing block; row-wise so the inner loop is contiguous. */
function eliminateBelow(lu: Float64Array, n: number, k: number): void {
  const rowK = k * n;
  const inv = 1 / lu[rowK + k];
  for (let i = k + 1; i < n; i++) {
    const rowI = i * n;
    const l = lu[rowI + k] * inv;
    lu[rowI + k] = l;
    if (l === 0) continue;
    for (let j = k + 1; j < n; j++) lu[rowI + j] -= l * lu[rowK + j];
  }
}

function swapRows(a: Float64Array, cols: number, i: number, j: number): void {
  const ri = i * cols;
  const rj = j * cols;
  for (let c = 0; c < cols; c++) {
    const t = a[ri + c];
    a[ri + c] = a[rj + c];
    a[rj + c] = t;
  }
}

/** X with A·X = B for the factorised A and an n×cols row-major B (B not modified). */
export function luSolve(f: LuFactorization, b: Float64Array, cols: number): Float64Array {
  const { n, lu, pivots } = f;
  checkSize('luSolve', cols);
  if (b.length !== n * cols) {
    throw new Error(`luSolve: right-hand side has ${b.length} entries, expected ${n}×${cols}`);
  }
  const x = new Float64Array(n * cols);
  for (let i = 0; i < n; i++) x.set(b.subarray(pivots[i] * cols, (pivots[i] + 1) * cols), i * cols);
  forwardUnitLower(lu, n, x, cols);
  backwardUpper(lu, n, x, cols);
  return x;
}

/** L·Y = X in place, all right-hand sides at once so each step is a contiguous row axpy. */
function forwardUnitLower(lu: Float64Array, n: number, x: Float64Array, cols: number): void {
  for (let i = 1; i < n; i++) {
    const rowI = i * cols;
    for (let k = 0; k < i; k++) {
      const l = lu[i * n + k];
      if (l === 0) continue;
      const rowK = k * cols;
      for (let c = 0; c < cols; c++) x[rowI + c] -= l * x[rowK + c];
    }
  }
}

/** U·X = Y in place. */
function backwardUpper(lu: Float64Array, n: number, x: Float64Array, cols: number): void {
  for (let i = n - 1; i >= 0; i--) {
    const rowI = i * cols;
    for (let k = i + 1; k < n; k++) {
      const u = lu[i * n + k];
      if (u === 0) continue;
      const rowK = k * cols;
      for (let c = 0; c < cols; c++) x[rowI + c] -= u * x[rowK + c];
    }
    const inv = 1 / lu[i * n + i];
    for (let c = 0; c < cols; c++) x[rowI + c] *= inv;
  }
}

/** X with A·X = B for a square n×n A and an n×cols B, both row-major. */
export function solve(a: Float64Array, n: number, b: Float64Array, cols: number): Float64Array {
  return luSolve(luFactor(a, n), b, cols);
}

function checkSize(where: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`${where}: invalid size ${n}`);
}
