import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { im2col, outputSize } from '../../src/ops/im2col.js';
import { convPadding, type PatchGeometry } from '../../src/ops/patch-geometry.js';
import { maxAbsDiff, randomNormal } from '../helpers.js';

const cases: [string, PatchGeometry, number, number][] = [
  ['3×3 stride 1 pad 1', { kernelSize: [3, 3], strides: [1, 1], padding: 1 }, 6, 6],
  ['3×3 stride 2 pad 1', { kernelSize: [3, 3], strides: [2, 2], padding: 1 }, 7, 6],
  ['3×3 stride 2 same', { kernelSize: [3, 3], strides: [2, 2], padding: 'same' }, 6, 5],
  ['1×1 stride 2 valid', { kernelSize: [1, 1], strides: [2, 2], padding: 'valid' }, 6, 6],
  ['2×3 stride 1 same', { kernelSize: [2, 3], strides: [1, 1], padding: 'same' }, 5, 4],
  // Sizes the stride divides: the input gradient goes phase by phase.
  ['3×3 stride 2 pad 1, even sizes', { kernelSize: [3, 3], strides: [2, 2], padding: 1 }, 8, 6],
  ['3×3 stride 2 same, even sizes', { kernelSize: [3, 3], strides: [2, 2], padding: 'same' }, 8, 4],
  [
    '1×1 stride 2 valid, even sizes',
    { kernelSize: [1, 1], strides: [2, 2], padding: 'valid' },
    8,
    8,
  ],
  ['2×3 stride 2 valid', { kernelSize: [2, 3], strides: [2, 2], padding: 'valid' }, 6, 8],
  ['3×3 stride 3 pad 1', { kernelSize: [3, 3], strides: [3, 3], padding: 1 }, 9, 6],
  // A kernel narrower than the stride: some phases no tap reaches.
  ['2×2 stride 3 valid', { kernelSize: [2, 2], strides: [3, 3], padding: 'valid' }, 9, 6],
];

describe('im2col', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it.each(cases)('patches · W_flat equals the convolution (%s)', (_name, g, h, w) => {
    const [batch, cin, cout] = [2, 3, 4];
    const x = tf.tensor4d(Float32Array.from(randomNormal(batch * h * w * cin, 1)), [
      batch,
      h,
      w,
      cin,
    ]);
    const [kh, kw] = g.kernelSize;
    const kernel = tf.tensor4d(Float32Array.from(randomNormal(kh * kw * cin * cout, 2)), [
      kh,
      kw,
      cin,
      cout,
    ]);
    const conv = tf.conv2d(x, kernel, g.strides as [number, number], convPadding(g.padding));
    const patches = im2col(x, g);
    const [ho, wo] = outputSize(g, h, w);
    expect(patches.shape).toEqual([batch, ho, wo, kh * kw * cin]);
    expect(conv.shape).toEqual([batch, ho, wo, cout]);
    const viaPatches = tf.matMul(
      tf.reshape(patches, [-1, kh * kw * cin]),
      tf.reshape(kernel, [-1, cout]),
    );
    expect(maxAbsDiff(viaPatches.dataSync(), conv.dataSync())).toBeLessThan(1e-5);
  });

  it.each(cases)('on wasm, conv gradients equal the cpu kernels’ (%s)', async (_name, g, h, w) => {
    const [kh, kw] = g.kernelSize;
    const xs = Float32Array.from(randomNormal(2 * h * w * 3, 3));
    const ws = Float32Array.from(randomNormal(kh * kw * 3 * 5, 4));
    const gradOf = () => {
      const x = tf.tensor4d(xs, [2, h, w, 3]);
      const k = tf.tensor4d(ws, [kh, kw, 3, 5]);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        tf.sum(tf.square(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, g)));
      return tf
        .grads(f)([x, k])
        .map((t) => t.dataSync());
    };
    const native = gradOf();
    // The wasm backend has no Conv2DBackpropFilter, so conv2d takes its own gradient path there.
    await selectBackend('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    const custom = gradOf();
    await selectBackend('cpu');
    const scale = Math.max(...Array.from(native[1], Math.abs));
    expect(scale).toBeGreaterThan(1);
    expect(maxAbsDiff(custom[0], native[0])).toBeLessThan(1e-4 * scale);
    expect(maxAbsDiff(custom[1], native[1])).toBeLessThan(1e-4 * scale);
  });

  it('on wasm, a gradient for the input alone runs no kernel-gradient convolution', async () => {
    await selectBackend('wasm');
    const g = cases[0][1];
    const x = tf.tensor4d(Float32Array.from(randomNormal(2 * 6 * 6 * 3, 5)), [2, 6, 6, 3]);
    const k = tf.tensor4d(Float32Array.from(randomNormal(3 * 3 * 3 * 4, 6)), [3, 3, 3, 4]);
    const convs = async (f: () => tf.Tensor[]) =>
      (await tf.profile(f)).kernels.filter((kernel) => kernel.name === 'Conv2D').length;
    const loss = (a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, g));
    // Forward, input gradient and kernel gradient are one forward convolution each.
    expect(await convs(() => tf.grads(loss)([x, k]))).toBe(3);
    expect(await convs(() => [tf.grad((a: tf.Tensor) => loss(a, k))(x)])).toBe(2);
    await selectBackend('cpu');
  });
});
