/**
 * Uncentered input covariance of a projected layer, accumulated over every task so far:
 * C = Σ xxᵀ / N over all input (patch) rows x seen, in float64. Storing the sum and the count
 * (not the mean) makes merging tasks exact and weights each task by its number of rows.
 */
export interface CovarianceState {
  readonly n: number;
  readonly sum: Float64Array;
  count: number;
}

export function emptyCovariance(n: number): CovarianceState {
  return { n, sum: new Float64Array(n * n), count: 0 };
}

/** Adds a batch's Gram matrix XᵀX (n×n, from `rows` input rows). */
export function addGram(state: CovarianceState, gram: ArrayLike<number>, rows: number): void {
  if (gram.length !== state.n * state.n) {
    throw new Error(
      `Gram matrix has ${gram.length} entries, expected ${state.n}² = ${state.n ** 2}`,
    );
  }
  const s = state.sum;
  for (let i = 0; i < s.length; i++) s[i] += gram[i];
  state.count += rows;
}

/** Adds the rows of a row-major matrix X (rows×n) directly; for tests and small inputs. */
export function addRows(state: CovarianceState, x: ArrayLike<number>, rows: number): void {
  const { n, sum } = state;
  for (let r = 0; r < rows; r++) {
    const off = r * n;
    for (let i = 0; i < n; i++) {
      const xi = x[off + i];
      if (xi === 0) continue;
      for (let j = 0; j < n; j++) sum[i * n + j] += xi * x[off + j];
    }
  }
  state.count += rows;
}

/** The covariance C = sum / count; throws when nothing was accumulated. */
export function covarianceMatrix(state: CovarianceState): Float64Array {
  if (state.count === 0) throw new Error('covariance has no samples yet');
  const c = new Float64Array(state.sum.length);
  const inv = 1 / state.count;
  for (let i = 0; i < c.length; i++) c[i] = state.sum[i] * inv;
  return c;
}
