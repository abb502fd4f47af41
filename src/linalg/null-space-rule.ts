/**
 * How many of a covariance's smallest eigen-directions count as its (approximate) null space.
 * - relative: λ ≤ a·λ_min, Adam-NSCL's rule (a = 10 or 30 in the paper);
 * - absolute: λ ≤ threshold, AlphaEdit's rule;
 * - energy: the smallest directions whose eigenvalues sum to at most ε of the total (GPM-style).
 */
export type NullSpaceRule =
  | { readonly kind: 'relative'; readonly a: number }
  | { readonly kind: 'absolute'; readonly threshold: number }
  | { readonly kind: 'energy'; readonly epsilon: number };

/**
 * Eigenvalues of a PSD matrix as the reference's SVD sees them: |λ| ascending. Rounding can make
 * the smallest eigenvalues slightly negative; as singular values they are tiny and positive, so
 * `a·λ_min` stays a sensible threshold.
 */
export function singularSpectrum(valuesAscending: Float64Array): Float64Array {
  return Float64Array.from(valuesAscending, Math.abs).sort();
}

/**
 * The null-space dimension k for eigenvalues sorted ascending: the first k eigenvectors form U2.
 * Sorting |λ| can reorder only directions that are all within rounding of zero.
 */
export function nullSpaceSize(valuesAscending: Float64Array, rule: NullSpaceRule): number {
  const s = singularSpectrum(valuesAscending);
  if (s.length === 0) return 0;
  switch (rule.kind) {
    case 'relative':
      return countAtMost(s, rule.a * s[0]);
    case 'absolute':
      return countAtMost(s, rule.threshold);
    case 'energy': {
      let total = 0;
      for (const v of s) total += v;
      let k = 0;
      let acc = 0;
      while (k < s.length && acc + s[k] <= rule.epsilon * total) acc += s[k++];
      return k;
    }
  }
}

function countAtMost(sorted: Float64Array, threshold: number): number {
  let k = 0;
  while (k < sorted.length && sorted[k] <= threshold) k++;
  return k;
}

export function validateRule(rule: NullSpaceRule): void {
  const bad = (what: string) => new Error(`null-space rule '${rule.kind}': ${what}`);
  if (rule.kind === 'relative' && !(rule.a >= 1)) throw bad(`a must be ≥ 1, got ${rule.a}`);
  if (rule.kind === 'absolute' && !(rule.threshold >= 0))
    throw bad(`threshold must be ≥ 0, got ${rule.threshold}`);
  if (rule.kind === 'energy' && !(rule.epsilon >= 0 && rule.epsilon < 1))
    throw bad(`epsilon must be in [0, 1), got ${rule.epsilon}`);
}
