/**
 * Roots of the secular equation f(λ) = 1 + Σ_i w_i / (d_i − λ) = 0 (w_i = ρ z_i² > 0, d strictly
 * increasing) that arises from the rank-one update D + ρ z zᵀ in divide-and-conquer.
 *
 * Root j lies in (d_j, d_{j+1}) (the last one in (d_{k−1}, d_{k−1} + Σw)). As in LAPACK dlaed4,
 * each root is computed as λ = d_o + τ relative to the nearer pole d_o, and all differences
 * d_i − λ are formed as (d_i − d_o) − τ: this gives them to high relative accuracy, which is
 * what the Gu–Eisenstat recomputation of z needs to produce orthogonal eigenvectors.
 * The iteration fits a rational model with the two nearest poles (the "middle way") inside a
 * bracket maintained from the sign of f, falling back to bisection, so it always converges.
 */

const EPS = 2 ** -53;
const MAX_ITERATIONS = 400;

/**
 * Solves for root j. Writes delta[i] = d_i − λ_j (i < k) and returns λ_j. `diff` is scratch of
 * length k.
 */
export function secularRoot(
  k: number,
  d: Float64Array,
  w: Float64Array,
  j: number,
  delta: Float64Array,
  diff: Float64Array,
): number {
  if (k === 1) {
    delta[0] = -w[0];
    return d[0] + w[0];
  }
  let origin: number;
  let lo: number;
  let hi: number;
  // Poles a < b of the two-pole model; terms i ≤ a are lumped with pole a, the rest with b.
  let a: number;
  let b: number;
  if (j < k - 1) {
    a = j;
    b = j + 1;
    const gap = d[j + 1] - d[j];
    const half = gap / 2;
    // Which half of (d_j, d_{j+1}) holds the root decides the origin (the nearer pole).
    let fMid = 1;
    for (let i = 0; i < k; i++) fMid += w[i] / (d[i] - d[j] - half);
    if (fMid >= 0) {
      origin = j;
      lo = 0;
      hi = half;
    } else {
      origin = j + 1;
      lo = -(gap - half);
      hi = 0;
    }
  } else {
    a = k - 2;
    b = k - 1;
    origin = k - 1;
    lo = 0;
    hi = 0;
    for (let i = 0; i < k; i++) hi += w[i];
  }
  const dOrigin = d[origin];
  for (let i = 0; i < k; i++) diff[i] = d[i] - dOrigin;

  let tau = (lo + hi) / 2;
  for (let it = 0; it < MAX_ITERATIONS; it++) {
    // f, its derivative split by pole group, and a bound on the rounding error of f.
    let f = 1;
    let dLeft = 0;
    let dRight = 0;
    let errBound = 1;
    for (let i = 0; i < k; i++) {
      const del = diff[i] - tau;
      const t = w[i] / del;
      f += t;
      errBound += Math.abs(t);
      if (i <= a) dLeft += t / del;
      else dRight += t / del;
    }
    const df = dLeft + dRight;
    if (Math.abs(f) <= EPS * (8 * errBound + 2 * Math.abs(tau) * df)) break;
    if (f < 0) lo = tau;
    else hi = tau;
    if (hi - lo <= 4 * EPS * Math.max(Math.abs(lo), Math.abs(hi))) break;

    // Model f(τ+η) ≈ c + s/(Δa − η) + t/(Δb − η) matching f and both derivative groups.
    const da = diff[a] - tau;
    const db = diff[b] - tau;
    const c = f - da * dLeft - db * dRight;
    const qa = (da + db) * f - da * db * df;
    const qb = da * db * f;
    let next = Number.NaN;
    if (c === 0) {
      if (qa !== 0) next = tau + qb / qa;
    } else {
      const disc = qa * qa - 4 * qb * c;
      if (disc >= 0) {
        const r = Math.sqrt(disc);
        const q = qa >= 0 ? (qa + r) / 2 : (qa - r) / 2;
        const e1 = tau + q / c;
        const e2 = q !== 0 ? tau + qb / q : Number.NaN;
        if (e1 > lo && e1 < hi) next = e1;
        else if (e2 > lo && e2 < hi) next = e2;
      }
    }
    if (!(next > lo && next < hi)) next = tau - f / df; // Newton
    if (!(next > lo && next < hi)) next = (lo + hi) / 2; // bisection
    if (next === tau) break;
    tau = next;
  }
  for (let i = 0; i < k; i++) delta[i] = diff[i] - tau;
  return dOrigin + tau;
}
