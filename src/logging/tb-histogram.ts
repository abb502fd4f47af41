/**
 * Histograms as TensorBoard's HistogramProto (tensorflow/core/framework/summary.proto), the
 * form its histogram and distribution dashboards read from a Summary.Value's `histo` field.
 */
import { decodeFields, fieldDouble, fieldDoubles, ProtoWriter } from './protobuf.js';

// Field numbers from summary.proto's HistogramProto.
const HISTO_MIN = 1;
const HISTO_MAX = 2;
const HISTO_NUM = 3;
const HISTO_SUM = 4;
const HISTO_SUM_SQUARES = 5;
const HISTO_BUCKET_LIMIT = 6;
const HISTO_BUCKET = 7;

export interface HistogramValue {
  readonly min: number;
  readonly max: number;
  readonly num: number;
  readonly sum: number;
  readonly sumSquares: number;
  /**
   * Right edge of each bucket. As in TensorFlow, bucket i holds [bucketLimit[i−1], bucketLimit[i]);
   * the last limit is `max` and that bucket is closed, so the largest value has a bucket.
   */
  readonly bucketLimit: readonly number[];
  readonly bucket: readonly number[];
}

/** TensorBoard's own default; the dashboards re-bin for display, so more would not show. */
export const DEFAULT_BUCKETS = 30;

/** Equal-width buckets between the smallest and the largest value. */
export function histogramOf(values: ArrayLike<number>, buckets = DEFAULT_BUCKETS): HistogramValue {
  if (!Number.isInteger(buckets) || buckets < 1) {
    throw new RangeError(`buckets must be a positive integer, got ${buckets}`);
  }
  const xs = Array.from(values);
  if (xs.length === 0) throw new RangeError('histogram of no values');
  const bad = xs.find((x) => !Number.isFinite(x));
  if (bad !== undefined) throw new RangeError(`histogram of a non-finite value ${bad}`);
  const min = Math.min(...xs);
  const max = Math.max(...xs);
  const k = min === max ? 1 : buckets;
  const bucketLimit = Array.from({ length: k }, (_, i) =>
    i === k - 1 ? max : min + ((max - min) * (i + 1)) / k,
  );
  const bucket = new Array<number>(k).fill(0);
  for (const x of xs) bucket[Math.min(k - 1, upperBound(bucketLimit, x))]++;
  return {
    min,
    max,
    num: xs.length,
    sum: xs.reduce((a, x) => a + x, 0),
    sumSquares: xs.reduce((a, x) => a + x * x, 0),
    bucketLimit,
    bucket,
  };
}

/** Index of the first limit above x: the bucket TensorFlow's Histogram::Add picks. */
function upperBound(limits: readonly number[], x: number): number {
  let lo = 0;
  let hi = limits.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (limits[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function encodeHistogram(h: HistogramValue): ProtoWriter {
  // proto3 omits zero scalars; doing the same keeps the bytes identical to TensorFlow's.
  const w = new ProtoWriter();
  const scalars: [number, number][] = [
    [HISTO_MIN, h.min],
    [HISTO_MAX, h.max],
    [HISTO_NUM, h.num],
    [HISTO_SUM, h.sum],
    [HISTO_SUM_SQUARES, h.sumSquares],
  ];
  for (const [field, v] of scalars) if (v !== 0) w.double(field, v);
  return w.packedDoubles(HISTO_BUCKET_LIMIT, h.bucketLimit).packedDoubles(HISTO_BUCKET, h.bucket);
}

export function decodeHistogram(data: Uint8Array): HistogramValue {
  const scalars = new Map<number, number>();
  const bucketLimit: number[] = [];
  const bucket: number[] = [];
  for (const f of decodeFields(data)) {
    if (f.field === HISTO_BUCKET_LIMIT) bucketLimit.push(...fieldDoubles(f));
    else if (f.field === HISTO_BUCKET) bucket.push(...fieldDoubles(f));
    else if (f.field >= HISTO_MIN && f.field <= HISTO_SUM_SQUARES) {
      scalars.set(f.field, fieldDouble(f));
    }
  }
  const get = (field: number) => scalars.get(field) ?? 0;
  return {
    min: get(HISTO_MIN),
    max: get(HISTO_MAX),
    num: get(HISTO_NUM),
    sum: get(HISTO_SUM),
    sumSquares: get(HISTO_SUM_SQUARES),
    bucketLimit,
    bucket,
  };
}

/**
 * Eigenvalues at or below this are drawn at log10 = −12: exact zeros and the rounding noise of
 * a float64 eigensolver on float32 covariances both sit far below it.
 */
export const SPECTRUM_FLOOR = 1e-12;

/**
 * log10 of each eigenvalue, floored. Spectra span 1e−12…1e3, so equal-width buckets of the raw
 * values would put the whole null space into the first bucket; in log10 the buckets split the
 * decades evenly. Zeros and the tiny negatives rounding leaves land on the floor, not at NaN/−∞.
 */
export function spectrumLog10(spectrum: ArrayLike<number>, floor = SPECTRUM_FLOOR): number[] {
  if (!(floor > 0)) throw new RangeError(`spectrum floor must be positive, got ${floor}`);
  return Array.from(spectrum, (v) => Math.log10(Math.max(v, floor)));
}
