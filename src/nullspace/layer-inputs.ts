import * as tf from '@tensorflow/tfjs-core';
import type { ProjectedLayer } from '../models/parameter.js';
import { im2col } from '../ops/im2col.js';

/**
 * How rows are taken from a batch for the covariance.
 * - per-sample: every input row (dense) or patch (conv) of every image, the true uncentered covariance;
 * - batch-mean: the reference code's variant, which averages the batch first and uses that one
 *   image's rows (cheaper, and what the published numbers used).
 */
export type CovarianceMode = 'per-sample' | 'batch-mean';

/**
 * The layer's input as rows×n, the matrix whose columns the kernel's rows multiply; with a bias
 * each row ends in the constant 1 the bias multiplies.
 */
export function layerInputRows(
  layer: ProjectedLayer,
  input: tf.Tensor,
  mode: CovarianceMode,
): tf.Tensor2D {
  return tf.tidy(() => {
    const x = mode === 'batch-mean' ? tf.mean(input, 0, true) : input;
    const patches = layer.geometry ? im2col(x as tf.Tensor4D, layer.geometry) : x;
    if (!layer.bias) return tf.reshape(patches, [-1, layer.inputSize]) as tf.Tensor2D;
    const rows = tf.reshape(patches, [-1, layer.inputSize - 1]) as tf.Tensor2D;
    return tf.concat([rows, tf.ones([rows.shape[0], 1])], 1);
  });
}
