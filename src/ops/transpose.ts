import * as tf from '@tensorflow/tfjs-core';

/** Above this many elements wasm's 2-D transpose falls out of cache (see transpose2d). */
const LARGE = 2 ** 19;

/**
 * xᵀ. wasm's 2-D transpose slows down 4–18× once the matrix leaves the cache (16 384×180: 56 ms)
 * while its 3-D transpose does not (3 ms), so on wasm a large matrix is transposed as a
 * [rows/b, b, cols] view with b a divisor of the row count up to 16; the values are the same.
 */
export function transpose2d(x: tf.Tensor2D): tf.Tensor2D {
  const [rows, cols] = x.shape;
  const block = tf.getBackend() === 'wasm' && x.size > LARGE ? largestDivisor(rows, 16) : 1;
  if (block === 1) return tf.transpose(x);
  return tf.tidy(() => {
    const view = tf.reshape(x, [rows / block, block, cols]);
    return tf.reshape(tf.transpose(view, [2, 0, 1]), [cols, rows]);
  });
}

/** The largest divisor of n from 2 to max that leaves a quotient above 1, else 1. */
function largestDivisor(n: number, max: number): number {
  for (let d = Math.min(max, n >> 1); d >= 2; d--) if (n % d === 0) return d;
  return 1;
}
