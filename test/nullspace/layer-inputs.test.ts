import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import type { LabelledImages } from '../../src/data/images.js';
import { fromLayersModel } from '../../src/models/layers-model.js';
import { addRows, emptyCovariance } from '../../src/nullspace/covariance.js';
import { layerInputRows } from '../../src/nullspace/layer-inputs.js';
import { ProjectionState } from '../../src/nullspace/projection-state.js';
import { Rng } from '../../src/util/rng.js';
import { maxAbsDiff } from '../helpers.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const NORM = { mean: [0.5, 0.5], std: [0.25, 0.25] };
const [H, W, C] = [6, 5, 2];

/** A 'same' 3×3 stride-2 conv with a bias (6×5 input: padding 0/1 rows, 1/1 columns), then a biased dense. */
function biasedBackbone() {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({
        name: 'conv',
        inputShape: [H, W, C],
        filters: 3,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
      }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ name: 'fc', units: 4 }),
    ],
  });
}

function images(count: number, seed: number): LabelledImages {
  const rng = new Rng(seed);
  const pixels = Uint8Array.from({ length: count * H * W * C }, () => rng.int(256));
  return { pixels, labels: new Int32Array(count), height: H, width: W, channels: C };
}

/**
 * The conv's input rows written out on the host: 3×3 patches ordered (ky, kx, channel) at
 * stride 2 over the image padded by 0 rows above and 1 column left (TensorFlow's 'same' for
 * 6×5), 3×3 output positions, each row ending in the bias's constant 1.
 */
function hostPatchRows(x: ArrayLike<number>, count: number): number[] {
  const rows: number[] = [];
  for (let b = 0; b < count; b++) {
    for (let oy = 0; oy < 3; oy++) {
      for (let ox = 0; ox < 3; ox++) {
        for (let ky = 0; ky < 3; ky++) {
          for (let kx = 0; kx < 3; kx++) {
            const y = 2 * oy + ky;
            const xx = 2 * ox + kx - 1;
            const inside = y >= 0 && y < H && xx >= 0 && xx < W;
            for (let c = 0; c < C; c++) rows.push(inside ? x[((b * H + y) * W + xx) * C + c] : 0);
          }
        }
        rows.push(1);
      }
    }
  }
  return rows;
}

function normalised(set: LabelledImages): Float64Array {
  return Float64Array.from(set.pixels, (p, i) => (p / 255 - NORM.mean[i % C]) / NORM.std[i % C]);
}

function relativeError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  return maxAbsDiff(got, want) / scale;
}

describe('layer inputs of biased layers', () => {
  it.each(['per-sample', 'batch-mean'] as const)(
    '%s: the covariance of a biased conv and dense layer is that of their [x, 1] rows',
    (mode) => {
      const model = fromLayersModel(biasedBackbone(), { classesPerTask: [2], rng: new Rng(1) });
      const [conv, fc] = model.projectedLayers;
      expect([conv.inputSize, fc.inputSize]).toEqual([3 * 3 * C + 1, 27 + 1]);
      const data = images(7, 2);
      // The dense layer's input (the conv's flattened output) as the model computes it.
      const denseInputs: number[] = [];
      tf.tidy(() => {
        model.features(tf.tensor4d(Float32Array.from(normalised(data)), [7, H, W, C]), {
          training: false,
          onLayerInput: (layer, input) => {
            if (layer === fc) denseInputs.push(...input.dataSync());
          },
        });
      });
      const state = new ProjectionState({
        rule: { kind: 'relative', a: 10 },
        normalize: true,
        covarianceMode: mode,
        batchSize: 3,
      });
      state.accumulate(model, data, NORM);
      const got = state.snapshot().covariances;

      const x = normalised(data);
      const convRows =
        mode === 'per-sample'
          ? hostPatchRows(x, 7)
          : hostPatchRows(batchMeans(x, H * W * C, 7, 3), 3);
      const convRef = emptyCovariance(conv.inputSize);
      addRows(convRef, convRows, convRows.length / conv.inputSize);
      expect(got.conv.count).toBe(convRef.count);
      expect(relativeError(got.conv.sum, convRef.sum)).toBeLessThan(1e-5);

      const dense = Float64Array.from(denseInputs);
      const fcX = mode === 'per-sample' ? [...dense] : batchMeans(dense, 27, 7, 3);
      const fcRows = withOnes(fcX, 27);
      const fcRef = emptyCovariance(fc.inputSize);
      addRows(fcRef, fcRows, fcRows.length / fc.inputSize);
      expect(got.fc.count).toBe(mode === 'per-sample' ? 7 : 3);
      expect(relativeError(got.fc.sum, fcRef.sum)).toBeLessThan(1e-5);
      state.dispose();
      model.dispose();
    },
  );

  it('rows · [kernel; bias] is the layer’s own output (bias included)', () => {
    const model = fromLayersModel(biasedBackbone(), { classesPerTask: [2], rng: new Rng(1) });
    const [conv] = model.projectedLayers;
    tf.tidy(() => {
      conv.bias!.assign(tf.tensor1d([0.5, -1, 2]));
      const x = tf.randomNormal([2, H, W, C], 0, 1, 'float32', 3) as tf.Tensor4D;
      const rows = layerInputRows(conv, x, 'per-sample');
      const stacked = tf.concat([tf.reshape(conv.kernel, [-1, 3]), tf.reshape(conv.bias!, [1, 3])]);
      const viaRows = tf.matMul(rows, stacked);
      const direct = tf.add(tf.conv2d(x, conv.kernel as tf.Tensor4D, 2, 'same'), conv.bias!);
      expect(rows.shape).toEqual([2 * 3 * 3, 3 * 3 * C + 1]);
      expect(maxAbsDiff(viaRows.dataSync(), direct.dataSync())).toBeLessThan(1e-5);
    });
    model.dispose();
  });
});

/** The mean row of each batch of `batchSize` rows, as batch-mean mode sees a layer's input. */
function batchMeans(x: Float64Array, width: number, count: number, batchSize: number): number[] {
  const means: number[] = [];
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    for (let j = 0; j < width; j++) {
      let sum = 0;
      for (let r = 0; r < n; r++) sum += x[(start + r) * width + j];
      means.push(sum / n);
    }
  }
  return means;
}

function withOnes(x: ArrayLike<number>, width: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r < x.length / width; r++) {
    for (let j = 0; j < width; j++) rows.push(x[r * width + j]);
    rows.push(1);
  }
  return rows;
}
