import * as tf from '@tensorflow/tfjs-core';
import { convPadding } from '../models/layers';
import type { PatchGeometry } from '../models/parameter';
import { paddingAmounts } from './im2col';

/**
 * 2-D convolution whose gradients work, and are fast, on every backend. The wasm backend has no
 * Conv2DBackpropFilter kernel and a slow Conv2DBackpropInput, so there both gradients are
 * written as forward convolutions, which XNNPACK runs fast; backends with the kernels keep
 * tfjs' own gradient.
 */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, geometry: PatchGeometry): tf.Tensor4D {
  const strides = geometry.strides as [number, number];
  const pad = convPadding(geometry.padding);
  if (tf.getKernel('Conv2DBackpropFilter', tf.getBackend())) {
    return tf.conv2d(x, kernel, strides, pad);
  }
  const op = tf.customGrad(((input: tf.Tensor, filter: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input, filter]);
    return {
      value: tf.conv2d(input as tf.Tensor4D, filter as tf.Tensor4D, strides, pad),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, w] = saved as [tf.Tensor4D, tf.Tensor4D];
        const g = dy as tf.Tensor4D;
        return [inputGradient(g, w, xs.shape, geometry), kernelGradient(xs, g, geometry)];
      },
    };
    // customGrad's typing cannot express a (tensor, tensor, save) signature.
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, kernel) as tf.Tensor4D;
}

/**
 * dL/dW as one forward convolution: channels become the batch and the batch the channels, and
 * dy (dilated by the stride) is the filter: dW[i,j,c,o] = Σ_{b,y,x} xpad[b, y·s+i, x·s+j, c]·dy[b,y,x,o].
 */
export function kernelGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  geometry: PatchGeometry,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = geometry.kernelSize;
    const [t, b, l, r] = paddingAmounts(geometry, x.shape[1], x.shape[2]);
    const channelsAsBatch = tf.transpose(x, [3, 1, 2, 0]) as tf.Tensor4D;
    const dyAsFilter = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D;
    const full = tf.conv2d(
      channelsAsBatch,
      dyAsFilter,
      1,
      [
        [0, 0],
        [t, b],
        [l, r],
        [0, 0],
      ],
      'NHWC',
      geometry.strides as [number, number],
    );
    // Rows/columns the stride never reaches are dropped, as in the forward pass.
    const dw = tf.slice(full, [0, 0, 0, 0], [-1, kh, kw, -1]);
    return tf.transpose(dw, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/**
 * dL/dx. With stride 1 it is the convolution of dy with the kernel rotated by 180° and its
 * channel axes swapped, padded by k − 1 − p on each side; strided layers use conv2dTranspose.
 */
export function inputGradient(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  inputShape: [number, number, number, number],
  geometry: PatchGeometry,
): tf.Tensor4D {
  const [kh, kw] = geometry.kernelSize;
  const [t, b, l, r] = paddingAmounts(geometry, inputShape[1], inputShape[2]);
  if (geometry.strides[0] !== 1 || geometry.strides[1] !== 1) {
    const explicit: [[0, 0], [number, number], [number, number], [0, 0]] = [
      [0, 0],
      [t, b],
      [l, r],
      [0, 0],
    ];
    // conv2dTranspose's typing omits explicit padding, which its kernel supports.
    const pad = explicit as unknown as 'valid';
    return tf.conv2dTranspose(dy, w, inputShape, geometry.strides as [number, number], pad);
  }
  return tf.tidy(() => {
    const flipped = tf.transpose(tf.reverse(w, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    return tf.conv2d(dy, flipped, 1, [
      [0, 0],
      [kh - 1 - t, kh - 1 - b],
      [kw - 1 - l, kw - 1 - r],
      [0, 0],
    ]);
  });
}
