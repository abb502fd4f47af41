import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { batchNormTraining } from '../../src/ops/batch-norm.js';
import { maxAbsDiff, randomNormal } from '../helpers.js';

/** The formula differentiated by tfjs itself. */
function reference(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, [0, 1, 2]);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta);
}

// The op's reductions take a different kernel path on wasm.
describe.each(['cpu', 'wasm'])('batchNormTraining on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  const shape: [number, number, number, number] = [5, 3, 4, 6];
  const x = () =>
    tf.tensor4d(
      Float32Array.from(randomNormal(5 * 3 * 4 * 6, 1), (v, i) => 2 * v + (i % 6)),
      shape,
    );
  const gamma = () => tf.tensor1d(Float32Array.from(randomNormal(6, 2), (v) => 1 + 0.3 * v));
  const beta = () => tf.tensor1d(Float32Array.from(randomNormal(6, 3)));
  const weights = tf.tensor4d(Float32Array.from(randomNormal(5 * 3 * 4 * 6, 4)), shape);

  it('normalises and reports the batch mean and (biased) variance', () => {
    let stats: [Float32Array, Float32Array] | null = null;
    const y = batchNormTraining(x(), gamma(), beta(), 1e-5, (m, v) => {
      stats = [m.dataSync() as Float32Array, v.dataSync() as Float32Array];
    });
    expect(maxAbsDiff(y.dataSync(), reference(x(), gamma(), beta()).dataSync())).toBeLessThan(1e-5);
    const { mean, variance } = tf.moments(x(), [0, 1, 2]);
    expect(stats).not.toBeNull();
    const [m, v] = stats!;
    expect(maxAbsDiff(m, mean.dataSync())).toBeLessThan(1e-5);
    expect(maxAbsDiff(v, variance.dataSync())).toBeLessThan(1e-4);
  });

  it('has the gradients of the formula for x, γ and β', () => {
    const loss = (op: (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor) =>
      tf.grads((a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(op(a, g, b), weights)));
    const ours = loss((a, g, b) => batchNormTraining(a, g, b, 1e-5, () => {}))([
      x(),
      gamma(),
      beta(),
    ]);
    const want = loss(reference)([x(), gamma(), beta()]);
    for (const [i, g] of ours.entries()) {
      const scale = Math.max(...Array.from(want[i].dataSync(), Math.abs));
      expect(scale).toBeGreaterThan(0.1);
      expect(maxAbsDiff(g.dataSync(), want[i].dataSync())).toBeLessThan(1e-4 * scale);
    }
  });
});
