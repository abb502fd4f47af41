import * as tf from '@tensorflow/tfjs-core';

/**
 * Training-mode batch normalisation over every axis but the last (the channels), with biased
 * batch statistics, and its gradient written out:
 *   dx = γ/(σ·n) · (n·dy − Σdy − x̂·Σ(dy·x̂)),  dγ = Σ(dy·x̂),  dβ = Σdy,
 * two channel sums where tfjs' gradient of the broadcast arithmetic takes six (each a full
 * transpose and reduction on wasm). `onStats` receives the batch mean and variance, and the n
 * values per channel they are taken over (for running statistics), while the op runs.
 */
export function batchNormTraining<T extends tf.Tensor>(
  x: T,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  onStats: (mean: tf.Tensor1D, variance: tf.Tensor1D, n: number) => void,
): T {
  // Reductions stay on the input's own shape: wasm transposes a 2-D view for them, slowly.
  const axes = x.shape.slice(0, -1).map((_, i) => i);
  const n = x.size / x.shape[x.rank - 1];
  const channelSum = (t: tf.Tensor) => tf.sum(t, axes) as tf.Tensor1D;
  const op = tf.customGrad((input, g, b, save) => {
    const mean = tf.div(channelSum(input as tf.Tensor), n) as tf.Tensor1D;
    const centered = tf.sub(input as tf.Tensor, mean);
    const variance = tf.div(channelSum(tf.square(centered)), n) as tf.Tensor1D;
    onStats(mean, variance, n);
    const inv = tf.rsqrt(tf.add(variance, eps));
    const normalised = tf.mul(centered, inv);
    (save as tf.GradSaveFunc)([normalised, inv, g as tf.Tensor]);
    return {
      value: tf.add(tf.mul(normalised, g as tf.Tensor), b as tf.Tensor) as T,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xhat, invStd, gammaSaved] = saved;
        const dBeta = channelSum(dy);
        const dGamma = channelSum(tf.mul(dy, xhat));
        const inner = tf.sub(tf.sub(tf.mul(dy, n), dBeta), tf.mul(xhat, dGamma));
        const dx = tf.mul(inner, tf.div(tf.mul(gammaSaved, invStd), n));
        return [dx, dGamma, dBeta];
      },
    };
  });
  return op(x, gamma, beta) as T;
}
