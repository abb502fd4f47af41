import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import {
  addGram,
  addRows,
  covarianceMatrix,
  emptyCovariance,
} from '../../src/nullspace/covariance.js';
import { layerInputRows } from '../../src/nullspace/layer-inputs.js';
import { maxAbsDiff, randomNormal } from '../helpers.js';

describe('covariance accumulation', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('is the row-count weighted uncentered mean over all tasks', () => {
    const n = 3;
    const a = [1, 0, 0, 0, 2, 0]; // two rows of task 1
    const b = [0, 0, 3]; // one row of task 2
    const state = emptyCovariance(n);
    addRows(state, a, 2);
    addRows(state, b, 1);
    const c = covarianceMatrix(state);
    // diag = (1, 4, 9) / 3 rows
    expect(Array.from(c)).toEqual([1 / 3, 0, 0, 0, 4 / 3, 0, 0, 0, 3]);
  });

  it('adding a Gram matrix equals adding its rows', () => {
    const n = 5;
    const rows = 7;
    const x = randomNormal(rows * n, 11);
    const byRows = emptyCovariance(n);
    addRows(byRows, x, rows);
    const gram = tf.matMul(
      tf.tensor2d(Array.from(x), [rows, n]),
      tf.tensor2d(Array.from(x), [rows, n]),
      true,
      false,
    );
    const byGram = emptyCovariance(n);
    addGram(byGram, gram.dataSync(), rows);
    expect(byGram.count).toBe(rows);
    expect(maxAbsDiff(covarianceMatrix(byGram), covarianceMatrix(byRows))).toBeLessThan(1e-5);
    expect(() => addGram(byGram, new Float64Array(3), 1)).toThrow(/expected 5²/);
  });

  it('conv rows are im2col patches; the batch-mean variant averages the batch first', () => {
    const layer = {
      name: 'c',
      kernel: tf.variable(tf.zeros([3, 3, 2, 4])),
      geometry: { kernelSize: [3, 3] as const, strides: [1, 1] as const, padding: 1 },
      inputSize: 18,
    };
    const x = tf.tensor4d(Float32Array.from(randomNormal(4 * 5 * 5 * 2, 2)), [4, 5, 5, 2]);
    expect(layerInputRows(layer, x, 'per-sample').shape).toEqual([100, 18]);
    const mean = layerInputRows(layer, x, 'batch-mean');
    expect(mean.shape).toEqual([25, 18]);
    const manual = layerInputRows(layer, tf.mean(x, 0, true), 'per-sample');
    expect(maxAbsDiff(mean.dataSync(), manual.dataSync())).toBeLessThan(1e-6);
  });
});
