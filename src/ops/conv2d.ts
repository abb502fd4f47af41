import * as tf from '@tensorflow/tfjs-core';
import { convPadding } from '../models/layers';
import type { PatchGeometry } from '../models/parameter';
import { im2col } from './im2col';

/**
 * 2-D convolution whose kernel gradient works on every backend. The wasm backend has no
 * Conv2DBackpropFilter kernel, so there the kernel gradient is computed as
 * im2col(x)ᵀ · dy — one matMul — while backends that have the kernel use tfjs' own gradient.
 */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, geometry: PatchGeometry): tf.Tensor4D {
  const strides = geometry.strides as [number, number];
  const pad = convPadding(geometry.padding);
  if (tf.getKernel('Conv2DBackpropFilter', tf.getBackend()))
    return tf.conv2d(x, kernel, strides, pad);
  const op = tf.customGrad(((input: tf.Tensor, filter: tf.Tensor, save: tf.GradSaveFunc) => {
    save([input, filter]);
    return {
      value: tf.conv2d(input as tf.Tensor4D, filter as tf.Tensor4D, strides, pad),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, w] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dx = tf.conv2dTranspose(dy as tf.Tensor4D, w, xs.shape, strides, pad);
        const n = w.shape[0] * w.shape[1] * w.shape[2];
        const out = w.shape[3];
        const patches = tf.reshape(im2col(xs, geometry), [-1, n]);
        const dw = tf.matMul(patches, tf.reshape(dy, [-1, out]), true, false);
        return [dx, tf.reshape(dw, w.shape)];
      },
    };
    // customGrad's typing cannot express a (tensor, tensor, save) signature.
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return op(x, kernel) as tf.Tensor4D;
}
