/**
 * Benchmark of the float64 symmetric eigensolver on covariance-like matrices:
 *   npx tsx src/bench/eigh-bench.ts [n ...]        (default: 27 576 1152 2304 4608)
 * For each n it times `eigh` on XᵀX/N with X of 2n rows (full rank) and reports the relative
 * reconstruction error ‖A − V Λ Vᵀ‖_F/‖A‖_F and the orthogonality error ‖VᵀV − I‖_max; a
 * rank-deficient matrix (X with n/2 rows) is timed as well. Threads: env NSCL_EIGH_THREADS
 * (default: available cores, at most 4); the count and the machine's load are printed first.
 */
import { availableParallelism, loadavg } from 'node:os';
import { gemm, transpose, view } from '../linalg/dense.js';
import { eigh } from '../linalg/eigh.js';
import { threadCount } from '../linalg/threads.js';
import { isMain } from '../util/entry-point.js';
import { Rng } from '../util/rng.js';

export interface EighBenchRow {
  n: number;
  seconds: number;
  /** CPU seconds of the whole process (all threads) during the call; cpu/wall ≈ threads busy. */
  cpuSeconds: number;
  reconstructionError: number;
  orthogonalityError: number;
}

export const EIGH_SIZES = [27, 576, 1152, 2304, 4608];

/**
 * a·bᵀ for a, b (n×k row-major), computing only the lower triangle by block rows (half the
 * flops of a full product) and mirroring it: the bench's own O(n³) set-up and checks would
 * otherwise take longer than the solver at n = 4608.
 */
function symmetricProduct(a: Float64Array, b: Float64Array, n: number, k: number): Float64Array {
  const c = new Float64Array(n * n);
  const block = 256;
  for (let r1 = 0; r1 < n; r1 += block) {
    const rows = Math.min(block, n - r1);
    gemm(false, true, rows, r1 + rows, k, 1, view(a, k, r1 * k), view(b, k), view(c, n, r1 * n));
  }
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) c[i * n + j] = c[j * n + i];
  return c;
}

/** XᵀX / rows for X (rows × n) with standard normal entries and uneven column scales. */
export function covarianceLike(n: number, rows: number, rng: Rng): Float64Array {
  const xt = new Float64Array(n * rows); // Xᵀ, so that XᵀX = Xᵀ (Xᵀ)ᵀ
  for (let j = 0; j < n; j++) {
    const scale = 1 / (1 + j / 8); // a decaying spectrum, as in real activations
    for (let i = 0; i < rows; i++) xt[j * rows + i] = rng.normal() * scale;
  }
  const c = symmetricProduct(xt, xt, n, rows);
  for (let i = 0; i < c.length; i++) c[i] /= rows;
  return c;
}

/** ‖A − V Λ Vᵀ‖_F / ‖A‖_F and ‖VᵀV − I‖_max. */
function eigenErrors(
  a: Float64Array,
  n: number,
  values: Float64Array,
  vectors: Float64Array,
): { reconstructionError: number; orthogonalityError: number } {
  const vl = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) vl[i * n + j] = vectors[i * n + j] * values[j];
  const r = symmetricProduct(vl, vectors, n, n);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n * n; i++) {
    num += (r[i] - a[i]) ** 2;
    den += a[i] ** 2;
  }
  const vt = transpose(vectors, n, n);
  const g = symmetricProduct(vt, vt, n, n);
  let orth = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) orth = Math.max(orth, Math.abs(g[i * n + j] - (i === j ? 1 : 0)));
  }
  return {
    reconstructionError: den > 0 ? Math.sqrt(num / den) : Math.sqrt(num),
    orthogonalityError: orth,
  };
}

function timeOne(a: Float64Array, n: number): EighBenchRow {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const { values, vectors } = eigh(a, n);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return { n, seconds, cpuSeconds, ...eigenErrors(a, n, values, vectors) };
}

/** The bench's full-rank test matrix of size n: a covariance of 2n rows, seeded by n. */
export function fullRankCovariance(n: number): Float64Array {
  return covarianceLike(n, 2 * n, new Rng(n));
}

/** Times eigh on a full-rank covariance of each size (the rows returned to the bench runner). */
export function benchEigh(sizes: number[]): EighBenchRow[] {
  return sizes.map((n) => timeOne(fullRankCovariance(n), n));
}

function format(label: string, r: EighBenchRow): string {
  return [
    label.padEnd(14),
    String(r.n).padStart(6),
    r.seconds.toFixed(2).padStart(9),
    r.cpuSeconds.toFixed(2).padStart(9),
    r.reconstructionError.toExponential(2).padStart(12),
    r.orthogonalityError.toExponential(2).padStart(12),
  ].join(' ');
}

async function main(): Promise<void> {
  const args = process.argv
    .slice(2)
    .map(Number)
    .filter((x) => Number.isInteger(x) && x > 0);
  const sizes = args.length > 0 ? args : EIGH_SIZES;
  const load = loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  console.log(`eigh threads: ${threadCount()} of ${availableParallelism()} cores; load ${load}`);
  console.log(
    `${'matrix'.padEnd(14)} ${'n'.padStart(6)} ${'seconds'.padStart(9)} ${'cpu s'.padStart(9)} ${'recon err'.padStart(12)} ${'orth err'.padStart(12)}`,
  );
  for (const n of sizes) {
    const [full] = benchEigh([n]);
    console.log(format('XᵀX, 2n rows', full));
    const rng = new Rng(n + 1);
    const deficient = covarianceLike(n, Math.max(1, n >> 1), rng);
    console.log(format('XᵀX, n/2 rows', timeOne(deficient, n)));
  }
}

if (isMain(import.meta.url)) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
