import { describe, expect, it } from 'vitest';
import {
  decodeHistogram,
  encodeHistogram,
  histogramOf,
  SPECTRUM_FLOOR,
  spectrumLog10,
} from '../../src/logging/tb-histogram.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('histogramOf', () => {
  it('counts every value once, in the bucket whose edges hold it', () => {
    const values = Array.from({ length: 200 }, (_, i) => Math.sin(i * 0.37) * 10 ** (i % 5));
    const h = histogramOf(values, 7);
    expect(h.num).toBe(200);
    expect(h.bucket.reduce((a, b) => a + b, 0)).toBe(200);
    expect(h.min).toBe(Math.min(...values));
    expect(h.max).toBe(Math.max(...values));
    expect(h.bucketLimit).toHaveLength(7);
    expect(h.bucketLimit[6]).toBe(h.max);
    expect(h.sum).toBeCloseTo(
      values.reduce((a, v) => a + v, 0),
      9,
    );
    expect(h.sumSquares).toBeCloseTo(
      values.reduce((a, v) => a + v * v, 0),
      6,
    );
    const inBucket = h.bucketLimit.map((right, i) => {
      const left = i === 0 ? h.min : h.bucketLimit[i - 1];
      const last = i === h.bucketLimit.length - 1;
      return values.filter((v) => v >= left && (v < right || (last && v === right))).length;
    });
    expect(inBucket).toEqual(h.bucket);
  });

  it('puts a value on an inner edge into the bucket to its right, as TensorFlow does', () => {
    const h = histogramOf([0, 1, 2, 3, 4], 4);
    expect(h.bucketLimit).toEqual([1, 2, 3, 4]);
    expect(h.bucket).toEqual([1, 1, 1, 2]);
  });

  it('gives equal values one bucket', () => {
    expect(histogramOf([-12, -12, -12])).toEqual({
      min: -12,
      max: -12,
      num: 3,
      sum: -36,
      sumSquares: 432,
      bucketLimit: [-12],
      bucket: [3],
    });
  });

  it('rejects empty input, non-finite values and bad bucket counts', () => {
    expect(() => histogramOf([])).toThrow(RangeError);
    expect(() => histogramOf([1, Number.NaN])).toThrow(/non-finite/);
    expect(() => histogramOf([1, Number.NEGATIVE_INFINITY])).toThrow(/non-finite/);
    expect(() => histogramOf([1, 2], 0)).toThrow(/buckets/);
    expect(() => histogramOf([1, 2], 2.5)).toThrow(/buckets/);
  });
});

describe('HistogramProto', () => {
  it('matches the bytes the Python protobuf runtime writes', () => {
    // HistogramProto(min=1, max=3, num=3, sum=6, sum_squares=14, bucket_limit=[2, 3],
    // bucket=[1, 2]).SerializeToString() with tensorboard 2.21's summary_pb2.
    const h = histogramOf([1, 2, 3], 2);
    expect(h).toEqual({
      min: 1,
      max: 3,
      num: 3,
      sum: 6,
      sumSquares: 14,
      bucketLimit: [2, 3],
      bucket: [1, 2],
    });
    expect(hex(encodeHistogram(h).finish())).toBe(
      '09000000000000f03f110000000000000840190000000000000840210000000000001840' +
        '290000000000002c40' +
        '3210000000000000004000000000000008403a10000000000000f03f0000000000000040',
    );
  });

  it('round-trips, zeros included', () => {
    const h = histogramOf([0, 0, 5, -5], 3);
    expect(decodeHistogram(encodeHistogram(h).finish())).toEqual(h);
  });
});

describe('spectrumLog10', () => {
  it('floors zeros, rounding negatives and tiny eigenvalues', () => {
    expect(spectrumLog10([-3e-15, 0, 1e-20, 1e-3, 100])).toEqual([-12, -12, -12, -3, 2]);
    expect(spectrumLog10([0, 10], 1e-6)).toEqual([-6, 1]);
    expect(SPECTRUM_FLOOR).toBe(1e-12);
    expect(() => spectrumLog10([1], 0)).toThrow(RangeError);
  });
});
