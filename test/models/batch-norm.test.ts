import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { BatchNorm } from '../../src/models/layers.js';
import { maxAbsDiff, randomNormal } from '../helpers.js';

describe('BatchNorm', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('normalises with batch statistics in training and updates running stats as PyTorch does', () => {
    const bn = new BatchNorm('bn', 3);
    bn.gamma.assign(tf.tensor1d([1, 2, 0.5]));
    bn.beta.assign(tf.tensor1d([0, 1, -1]));
    const x = tf.tensor4d(
      Float32Array.from(randomNormal(4 * 2 * 2 * 3, 5), (v, i) => v * (1 + (i % 3)) + (i % 3)),
      [4, 2, 2, 3],
    );
    const y = bn.apply(x, { training: true });
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const expected = tf.batchNorm(x, mean, variance, bn.beta, bn.gamma, 1e-5);
    expect(maxAbsDiff(y.dataSync(), expected.dataSync())).toBeLessThan(1e-5);
    const n = 16;
    const m = mean.dataSync();
    const v = variance.dataSync();
    expect(
      maxAbsDiff(
        bn.runningMean.dataSync(),
        Array.from(m, (mi) => 0.1 * mi),
      ),
    ).toBeLessThan(1e-6);
    expect(
      maxAbsDiff(
        bn.runningVar.dataSync(),
        Array.from(v, (vi) => 0.9 + 0.1 * vi * (n / (n - 1))),
      ),
    ).toBeLessThan(1e-5);
    const evalOut = bn.apply(x, { training: false });
    const evalExpected = tf.batchNorm(x, bn.runningMean, bn.runningVar, bn.beta, bn.gamma, 1e-5);
    expect(maxAbsDiff(evalOut.dataSync(), evalExpected.dataSync())).toBeLessThan(1e-5);
  });

  it('its training-mode gradient matches tf.batchNorm’s', () => {
    const bn = new BatchNorm('bn', 2);
    const x = tf.tensor4d(Float32Array.from(randomNormal(3 * 2 * 2 * 2, 6)), [3, 2, 2, 2]);
    const w = tf.tensor4d(Float32Array.from(randomNormal(3 * 2 * 2 * 2, 7)), [3, 2, 2, 2]);
    const ours = tf.grad((t: tf.Tensor) =>
      tf.sum(tf.mul(bn.apply(t as tf.Tensor4D, { training: true }), w)),
    )(x);
    const reference = tf.grad((t: tf.Tensor) => {
      const { mean, variance } = tf.moments(t, [0, 1, 2]);
      return tf.sum(tf.mul(tf.batchNorm(t, mean, variance, bn.beta, bn.gamma, 1e-5), w));
    })(x);
    expect(maxAbsDiff(ours.dataSync(), reference.dataSync())).toBeLessThan(1e-4);
  });
});
