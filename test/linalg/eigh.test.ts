import { describe, expect, it } from 'vitest';
import { matmul, matmulTN, transpose } from '../../src/linalg/dense.js';
import { eigh, eighColumns } from '../../src/linalg/eigh.js';
import { Rng } from '../../src/util/rng.js';
import { randomSymmetric } from '../helpers.js';

function randomMatrix(rng: Rng, rows: number, cols: number): Float64Array {
  const a = new Float64Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  return a;
}

/** A random orthogonal matrix: the Q of Gram–Schmidt on a Gaussian matrix (columns). */
function randomOrthogonal(rng: Rng, n: number): Float64Array {
  const q = randomMatrix(rng, n, n);
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let p = 0; p < j; p++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += q[i * n + p] * q[i * n + j];
        for (let i = 0; i < n; i++) q[i * n + j] -= s * q[i * n + p];
      }
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += q[i * n + j] ** 2;
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < n; i++) q[i * n + j] *= inv;
  }
  return q;
}

/** Q diag(d) Qᵀ, symmetrized exactly. */
function withSpectrum(q: Float64Array, d: Float64Array, n: number): Float64Array {
  const qd = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) qd[i * n + j] = q[i * n + j] * d[j];
  const a = matmul(qd, transpose(q, n, n), n, n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < i; j++) {
      const s = (a[i * n + j] + a[j * n + i]) / 2;
      a[i * n + j] = s;
      a[j * n + i] = s;
    }
  }
  return a;
}

/** XᵀX for X with `rows` Gaussian rows: PSD, of rank min(rows, n). */
function gram(rng: Rng, rows: number, n: number): Float64Array {
  const x = randomMatrix(rng, rows, n);
  return matmulTN(x, x, n, rows, n);
}

function frobenius(a: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}

/** Checks the decomposition and returns the eigenvalues. */
function checkEigh(a: Float64Array, n: number, tol = 1e-10): Float64Array {
  const copy = a.slice();
  const { values, vectors, n: size } = eigh(a, n);
  expect(size).toBe(n);
  expect(a).toEqual(copy); // input untouched
  expect(values.length).toBe(n);
  expect(vectors.length).toBe(n * n);
  for (let j = 1; j < n; j++) expect(values[j]).toBeGreaterThanOrEqual(values[j - 1]);
  // Reconstruction ‖A − V Λ Vᵀ‖_F / ‖A‖_F.
  const vl = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) vl[i * n + j] = vectors[i * n + j] * values[j];
  const r = matmul(vl, transpose(vectors, n, n), n, n, n);
  for (let i = 0; i < r.length; i++) r[i] -= a[i];
  const norm = frobenius(a);
  expect(frobenius(r) / (norm > 0 ? norm : 1)).toBeLessThan(tol);
  // Orthonormality ‖VᵀV − I‖_max.
  const g = matmulTN(vectors, vectors, n, n, n);
  let orth = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) orth = Math.max(orth, Math.abs(g[i * n + j] - (i === j ? 1 : 0)));
  }
  expect(orth).toBeLessThan(tol);
  return values;
}

describe('eigh', () => {
  it('handles n = 1 and n = 2 exactly', () => {
    const one = eigh(Float64Array.of(-3.5), 1);
    expect(Array.from(one.values)).toEqual([-3.5]);
    expect(Math.abs(one.vectors[0])).toBe(1);
    const values = checkEigh(Float64Array.of(2, 1, 1, 2), 2, 1e-14);
    expect(values[0]).toBeCloseTo(1, 14);
    expect(values[1]).toBeCloseTo(3, 14);
  });

  it('reads only the lower triangle', () => {
    const rng = new Rng(11);
    const n = 40;
    const a = randomSymmetric(rng, n);
    const lower = a.slice();
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) lower[i * n + j] = Number.NaN;
    const x = eigh(a, n);
    const y = eigh(lower, n);
    expect(y.values).toEqual(x.values);
    expect(y.vectors).toEqual(x.vectors);
  });

  it('returns zeros and an orthonormal basis for the zero matrix', () => {
    const n = 50;
    const values = checkEigh(new Float64Array(n * n), n);
    expect(Array.from(values)).toEqual(new Array(n).fill(0));
  });

  it('diagonalizes a diagonal matrix with repeated entries', () => {
    const n = 70;
    const a = new Float64Array(n * n);
    const diag = Array.from({ length: n }, (_, i) => (i * 7) % 5);
    for (let i = 0; i < n; i++) a[i * n + i] = diag[i];
    const values = checkEigh(a, n, 1e-14);
    expect(Array.from(values)).toEqual(diag.sort((x, y) => x - y));
  });

  it('decomposes random symmetric matrices of many sizes', () => {
    const rng = new Rng(12);
    for (const n of [3, 5, 17, 32, 33, 64, 65, 129, 300]) checkEigh(randomSymmetric(rng, n), n);
  });

  it('recovers a known spectrum Q diag(d) Qᵀ', () => {
    const rng = new Rng(13);
    const n = 120;
    const d = Float64Array.from({ length: n }, () => rng.normal() * 10);
    const values = checkEigh(withSpectrum(randomOrthogonal(rng, n), d, n), n);
    const sorted = d.slice().sort();
    for (let i = 0; i < n; i++) expect(Math.abs(values[i] - sorted[i])).toBeLessThan(1e-11 * 30);
  });

  it('keeps eigenvectors orthogonal inside clusters of equal and nearly equal eigenvalues', () => {
    const rng = new Rng(14);
    const n = 200;
    // Three exact multiplicities (0 ×80, 1 ×60, 5 ×40) and a tight cluster around 2.
    const d = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (i < 80) d[i] = 0;
      else if (i < 140) d[i] = 1;
      else if (i < 180) d[i] = 5;
      else d[i] = 2 + (i - 180) * 1e-13;
    }
    const values = checkEigh(withSpectrum(randomOrthogonal(rng, n), d, n), n);
    const sorted = d.slice().sort();
    for (let i = 0; i < n; i++)
      expect(Math.abs(values[i] - sorted[i])).toBeLessThan(1e-12 * 5 * 10);
  });

  it('finds the exact null space of rank-deficient PSD matrices', () => {
    const rng = new Rng(15);
    for (const [rows, n] of [
      [10, 27],
      [60, 150],
      [100, 288],
    ]) {
      const a = gram(rng, rows, n);
      const values = checkEigh(a, n);
      const scale = values[n - 1];
      // n − rows eigenvalues are zero up to rounding, the rest clearly positive.
      const zeros = Array.from(values).filter((v) => Math.abs(v) < 1e-12 * scale).length;
      expect(zeros).toBe(n - rows);
      expect(values[n - rows]).toBeGreaterThan(1e-6 * scale);
      // The null-space eigenvectors are annihilated by A.
      const { vectors } = eigh(a, n);
      for (let j = 0; j < n - rows; j++) {
        let worst = 0;
        for (let i = 0; i < n; i++) {
          let s = 0;
          for (let p = 0; p < n; p++) s += a[i * n + p] * vectors[p * n + j];
          worst = Math.max(worst, Math.abs(s));
        }
        expect(worst).toBeLessThan(1e-10 * scale);
      }
    }
  });

  it('decomposes full-rank PSD covariance matrices', () => {
    const rng = new Rng(16);
    for (const n of [9, 100, 256]) {
      const values = checkEigh(gram(rng, 2 * n, n), n);
      expect(values[0]).toBeGreaterThan(0);
    }
  });

  it('handles graded and tiny-scale matrices', () => {
    const rng = new Rng(17);
    const n = 80;
    const d = Float64Array.from({ length: n }, (_, i) => 10 ** (-i / 8));
    checkEigh(withSpectrum(randomOrthogonal(rng, n), d, n), n);
    const tiny = randomSymmetric(rng, 50).map((x) => x * 1e-200);
    checkEigh(tiny, 50);
  });
});

describe('eighColumns', () => {
  it('gives all eigenvalues and exactly the chosen eigenvectors of the full decomposition', () => {
    const rng = new Rng(23);
    const n = 90;
    const a = randomSymmetric(rng, n);
    const full = eigh(a, n);
    let seen: Float64Array | undefined;
    const part = eighColumns(a, n, (values) => {
      seen = values;
      return [20, 31];
    });
    expect(seen).toBe(part.values);
    expect(Array.from(part.values)).toEqual(Array.from(full.values));
    expect([part.from, part.to, part.vectors.length]).toEqual([20, 31, n * 11]);
    // The same vectors up to sign, column by column.
    for (let j = 0; j < 11; j++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += part.vectors[i * 11 + j] * full.vectors[i * n + 20 + j];
      expect(Math.abs(dot)).toBeCloseTo(1, 12);
    }
  });

  it('rejects a range outside the matrix', () => {
    const a = randomSymmetric(new Rng(2), 5);
    expect(() => eighColumns(a, 5, () => [3, 6])).toThrow(/outside 0..5/);
  });
});

describe('non-finite input', () => {
  it('is refused, naming the first non-finite entry of the lower triangle and its value', () => {
    const rng = new Rng(31);
    const n = 7;
    for (const [i, j, value, text] of [
      [3, 1, Number.NaN, 'NaN'],
      [5, 5, Number.POSITIVE_INFINITY, 'Infinity'],
      [4, 0, Number.NEGATIVE_INFINITY, '-Infinity'],
    ] as const) {
      const a = randomSymmetric(rng, n);
      a[i * n + j] = value;
      a[j * n + i] = value;
      // A later one, in row order, is not the one reported.
      a[(n - 1) * n + (n - 2)] = Number.NaN;
      const message = `eigh: the matrix has a non-finite entry ${text} at row ${i}, column ${j} (0-based)`;
      expect(() => eigh(a, n)).toThrow(message);
      let chosen = false;
      const choose = (): [number, number] => {
        chosen = true;
        return [0, n];
      };
      expect(() => eighColumns(a, n, choose)).toThrow(message);
      expect(chosen).toBe(false);
    }
  });
});
