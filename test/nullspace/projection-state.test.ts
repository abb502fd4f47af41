import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import type { LabelledImages } from '../../src/data/images.js';
import { createMlp } from '../../src/models/mlp.js';
import { addRows, covarianceMatrix, emptyCovariance } from '../../src/nullspace/covariance.js';
import { ProjectionState } from '../../src/nullspace/projection-state.js';
import { DivergenceError } from '../../src/util/divergence.js';
import { Rng } from '../../src/util/rng.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const NORM = { mean: [0.5], std: [0.25] };

function images(count: number, rng: Rng): LabelledImages {
  const pixels = new Uint8Array(count * 16);
  for (let i = 0; i < pixels.length; i++) pixels[i] = Math.floor(rng.next() * 256);
  return { pixels, labels: new Int32Array(count), height: 4, width: 4, channels: 1 };
}

/** The normalised images as rows, and their batch means, computed directly on the host. */
function referenceRows(data: LabelledImages, batchSize: number) {
  const count = data.labels.length;
  const rows = Array.from(data.pixels, (p) => (p / 255 - NORM.mean[0]) / NORM.std[0]);
  const means: number[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    for (let j = 0; j < 16; j++) {
      let sum = 0;
      for (let r = 0; r < size; r++) sum += rows[(start + r) * 16 + j];
      means.push(sum / size);
    }
  }
  return { rows, means };
}

describe('ProjectionState.accumulate', () => {
  // Batches of 3 rows against n = 16 make the rows wait in the buffer across batches, and 11
  // images leave a remainder that only the final drain adds.
  it.each(['per-sample', 'batch-mean'] as const)(
    '%s: the first layer covariance equals Σxxᵀ/N over the (batch-mean) input rows',
    (mode) => {
      const rng = new Rng(4);
      const model = createMlp({ inputSize: 16, hidden: [8], classesPerTask: [2] }, rng);
      const data = images(11, rng);
      const state = new ProjectionState({
        rule: { kind: 'relative', a: 10 },
        normalize: true,
        covarianceMode: mode,
        batchSize: 3,
      });
      const before = tf.memory().numTensors;
      state.accumulate(model, data, NORM);
      expect(tf.memory().numTensors).toBe(before);
      const first = model.projectedLayers[0].name;
      const got = state.snapshot().covariances[first];
      const { rows, means } = referenceRows(data, 3);
      const x = mode === 'per-sample' ? rows : means;
      const expected = emptyCovariance(16);
      addRows(expected, x, x.length / 16);
      expect(got.count).toBe(expected.count);
      const want = covarianceMatrix(expected);
      const have = covarianceMatrix({ n: 16, sum: got.sum, count: got.count });
      const err = Math.max(...want.map((w, i) => Math.abs(w - have[i])));
      expect(err).toBeLessThan(1e-5 * Math.max(...want.map(Math.abs)));
      state.dispose();
      model.dispose();
    },
  );
});

describe('ProjectionState with non-finite inputs', () => {
  it('stops with a DivergenceError naming the layer instead of keeping a NaN covariance', () => {
    const rng = new Rng(5);
    const model = createMlp({ inputSize: 16, hidden: [8, 8], classesPerTask: [2] }, rng);
    const state = new ProjectionState({
      rule: { kind: 'relative', a: 10 },
      normalize: true,
      covarianceMode: 'per-sample',
      batchSize: 4,
    });
    // fc2's input is relu(fc1·x): finite; poisoning fc1 makes fc2's input NaN.
    tf.tidy(() => model.projectedLayers[0].kernel.assign(tf.fill([16, 8], Number.NaN)));
    expect(() => state.accumulate(model, images(8, rng), NORM)).toThrow(DivergenceError);
    expect(() => state.accumulate(model, images(8, rng), NORM)).toThrow(
      /the input covariance of layer fc2 is NaN/,
    );
    model.dispose();
  });

  it('frees its pending Gram matrices and buffered rows when it stops', () => {
    const rng = new Rng(6);
    const model = createMlp({ inputSize: 16, hidden: [8, 8], classesPerTask: [2] }, rng);
    const state = new ProjectionState({
      rule: { kind: 'relative', a: 10 },
      normalize: true,
      covarianceMode: 'per-sample',
      batchSize: 3,
    });
    // A zero std makes every input infinite or NaN, so fc1's covariance fails at the flush
    // after batch 16 (of 18): fc2's Gram matrix is still pending then, and both buffers hold
    // rows (fc1 drains every 6 batches, fc2 every 3).
    const data = images(54, rng);
    const before = tf.memory().numTensors;
    expect(() => state.accumulate(model, data, { mean: [0.5], std: [0] })).toThrow(
      /the input covariance of layer fc1 is/,
    );
    expect(tf.memory().numTensors).toBe(before);
    state.dispose();
    model.dispose();
  });
});
