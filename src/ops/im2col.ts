import * as tf from '@tensorflow/tfjs-core';
import type { PatchGeometry } from './patch-geometry.js';

/** Per-side padding [top, bottom, left, right] that a geometry applies to an H×W input. */
export function paddingAmounts(
  geometry: PatchGeometry,
  height: number,
  width: number,
): [number, number, number, number] {
  const { padding, kernelSize, strides } = geometry;
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  if (padding === 'valid') return [0, 0, 0, 0];
  // TensorFlow's 'same': output ceil(in/stride), the odd pixel of padding goes after.
  const total = (size: number, k: number, s: number) =>
    Math.max((Math.ceil(size / s) - 1) * s + k - size, 0);
  const th = total(height, kernelSize[0], strides[0]);
  const tw = total(width, kernelSize[1], strides[1]);
  return [Math.floor(th / 2), th - Math.floor(th / 2), Math.floor(tw / 2), tw - Math.floor(tw / 2)];
}

export function outputSize(
  geometry: PatchGeometry,
  height: number,
  width: number,
): [number, number] {
  const [t, b, l, r] = paddingAmounts(geometry, height, width);
  const [kh, kw] = geometry.kernelSize;
  const [sh, sw] = geometry.strides;
  return [Math.floor((height + t + b - kh) / sh) + 1, Math.floor((width + l + r - kw) / sw) + 1];
}

/**
 * The patches a convolution sees, [B, Ho, Wo, kh·kw·C], ordered (kh, kw, C) so that
 * `patches · kernel.reshape([kh·kw·C, out])` is the convolution. Built from strided slices of
 * the padded input (memory traffic only), not from a conv with an identity kernel, whose cost
 * grows with (kh·kw·C)².
 */
export function im2col(x: tf.Tensor4D, geometry: PatchGeometry): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, height, width, channels] = x.shape;
    const [t, b, l, r] = paddingAmounts(geometry, height, width);
    const padded =
      t + b + l + r > 0
        ? tf.pad(x, [
            [0, 0],
            [t, b],
            [l, r],
            [0, 0],
          ])
        : x;
    const [ho, wo] = outputSize(geometry, height, width);
    const [kh, kw] = geometry.kernelSize;
    const [sh, sw] = geometry.strides;
    const slices: tf.Tensor4D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        slices.push(
          tf.stridedSlice(
            padded,
            [0, i, j, 0],
            [batch, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, channels],
            [1, sh, sw, 1],
          ) as tf.Tensor4D,
        );
      }
    }
    return slices.length === 1 ? slices[0] : tf.concat(slices, 3);
  });
}
