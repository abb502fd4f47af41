import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs' gradients, one of which is replaced below.
import '@tensorflow/tfjs';
import { paddingAmounts } from './im2col.js';
import { convPadding, type PatchGeometry } from './patch-geometry.js';

/** 2-D convolution (NHWC) with the patch geometry of a projected layer; its gradient is below. */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, geometry: PatchGeometry): tf.Tensor4D {
  return tf.conv2d(x, kernel, geometry.strides as [number, number], convPadding(geometry.padding));
}

/**
 * The Conv2D gradient, registered over tfjs' own for every tf.conv2d. The wasm backend has no
 * Conv2DBackpropFilter kernel and a slow Conv2DBackpropInput, so there both gradients are
 * written as forward convolutions, which XNNPACK runs fast. Each is built only when asked for:
 * a pass that needs just the input gradient (a Fisher over BatchNorm parameters) skips the
 * kernel's. Backends with the kernels, and convolutions this does not cover (dilated, NCHW,
 * uneven explicit padding), keep tfjs' gradient.
 */
const tfjsConv2dGradient = tf.getGradient('Conv2D');
tf.registerGradient({
  ...tfjsConv2dGradient,
  gradFunc: (dy, saved, attrs) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const geometry = patchGeometry(filter, attrs as unknown as Conv2DAttrs);
    if (geometry === null || tf.getKernel('Conv2DBackpropFilter', tf.getBackend())) {
      return tfjsConv2dGradient.gradFunc(dy, saved, attrs);
    }
    const g = dy as tf.Tensor4D;
    return {
      x: () => inputGradient(g, filter, x.shape, geometry),
      filter: () => kernelGradient(x, g, geometry),
    };
  },
});

interface Conv2DAttrs {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | number[][];
  dataFormat: 'NHWC' | 'NCHW';
  dilations: number | [number, number];
  dimRoundingMode?: string;
}

/** The geometry of a Conv2D call, or null when it is one the gradient above does not cover. */
function patchGeometry(filter: tf.Tensor4D, attrs: Conv2DAttrs): PatchGeometry | null {
  const pair = (v: number | [number, number]): [number, number] =>
    typeof v === 'number' ? [v, v] : v;
  const [dh, dw] = pair(attrs.dilations);
  if (attrs.dataFormat !== 'NHWC' || dh !== 1 || dw !== 1 || attrs.dimRoundingMode) return null;
  let padding: PatchGeometry['padding'];
  if (Array.isArray(attrs.pad)) {
    const [, [t, b], [l, r]] = attrs.pad;
    if (!(t === b && b === l && l === r)) return null;
    padding = t;
  } else {
    padding = attrs.pad;
  }
  return {
    kernelSize: [filter.shape[0], filter.shape[1]],
    strides: pair(attrs.strides),
    padding,
  };
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
