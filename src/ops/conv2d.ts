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
    // Rows/columns the stride never reaches are dropped, as in the forward pass (only when
    // there are some: wasm's Slice copies its whole input).
    const reached = full.shape[1] === kh && full.shape[2] === kw;
    const dw = reached ? full : tf.slice(full, [0, 0, 0, 0], [-1, kh, kw, -1]);
    return tf.transpose(dw, [1, 2, 0, 3]) as tf.Tensor4D;
  });
}

/**
 * dL/dx as stride-1 forward convolutions of dy, which XNNPACK runs fast (wasm's
 * Conv2DBackpropInput is a scalar loop, 36× slower than PyTorch's at ResNet-18's first strided
 * layer). Input rows h ≡ a (mod stride) form phase a: they are reached only by the kernel rows
 * a + t, a + t ± stride, … (t the top padding), so each phase pair (a, b) is one convolution of
 * dy with those taps flipped and the channel axes swapped, and the stride² results are
 * interleaved. The multiplications are those of the transposed convolution, none with
 * inserted zeros. Sizes the stride does not divide keep tfjs' conv2dTranspose.
 */
export function inputGradient(
  dy: tf.Tensor4D,
  w: tf.Tensor4D,
  inputShape: [number, number, number, number],
  geometry: PatchGeometry,
): tf.Tensor4D {
  const [kh, kw] = geometry.kernelSize;
  const [sh, sw] = geometry.strides;
  const [batch, height, width, inChannels] = inputShape;
  const [t, b, l, r] = paddingAmounts(geometry, height, width);
  const rows = phases(height, dy.shape[1], kh, sh, t);
  const cols = phases(width, dy.shape[2], kw, sw, l);
  if (!rows || !cols) {
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
    const swapped = tf.transpose(w, [0, 1, 3, 2]) as tf.Tensor4D;
    const [m, n] = [height / sh, width / sw];
    const parts = rows.flatMap((row, a) =>
      cols.map((col, b) => {
        if (row.taps.length === 0 || col.taps.length === 0) return { a, b, value: null };
        const crop = row.crop[0] + row.crop[1] + col.crop[0] + col.crop[1] > 0;
        const source = crop
          ? tf.slice(
              dy,
              [0, row.crop[0], col.crop[0], 0],
              [
                -1,
                dy.shape[1] - row.crop[0] - row.crop[1],
                dy.shape[2] - col.crop[0] - col.crop[1],
                -1,
              ],
            )
          : dy;
        const value = tf.conv2d(source, taps(swapped, row.taps, col.taps), 1, [
          [0, 0],
          row.pad,
          col.pad,
          [0, 0],
        ]);
        return { a, b, value };
      }),
    );
    if (parts.length === 1) return parts[0].value!;
    // Phase (a, b) goes to rows a, a + sh, … and columns b, b + sw, … of dx. wasm's
    // DepthToSpace does this 25× slower than a stack and a transpose.
    const present = parts.filter((p) => p.value !== null);
    if (present.length === 1) {
      const { a, b, value } = present[0];
      const spread = tf.pad(tf.reshape(value!, [batch, m, 1, n, 1, inChannels]), [
        [0, 0],
        [0, 0],
        [a, sh - 1 - a],
        [0, 0],
        [b, sw - 1 - b],
        [0, 0],
      ]);
      return tf.reshape(spread, inputShape);
    }
    const stacked = tf.stack(
      parts.map((p) => p.value ?? tf.zeros([batch, m, n, inChannels])),
      3,
    );
    const grid = tf.reshape(stacked, [batch, m, n, sh, sw, inChannels]);
    return tf.reshape(tf.transpose(grid, [0, 1, 3, 2, 4, 5]), inputShape);
  });
}

/**
 * The kernel taps (rows × columns, in that order) as one kernel, picked by a product with a 0/1
 * matrix, which is exact for finite weights: wasm's Reverse and Gather take 70 ms for a
 * 3×3×512×512 kernel and its Slice copies the whole input each call; the product takes 2 ms.
 */
function taps(kernel: tf.Tensor4D, rows: number[], cols: number[]): tf.Tensor4D {
  const [kh, kw, inner, outer] = kernel.shape;
  const picks = rows.flatMap((i) => cols.map((j) => i * kw + j));
  const select = new Float32Array(picks.length * kh * kw);
  for (const [r, tap] of picks.entries()) select[r * kh * kw + tap] = 1;
  const picked = tf.matMul(
    tf.tensor2d(select, [picks.length, kh * kw]),
    tf.reshape(kernel, [kh * kw, inner * outer]),
  );
  return tf.reshape(picked, [rows.length, cols.length, inner, outer]);
}

/** The part of dy and the kernel taps one phase of one axis reads (see inputGradient). */
interface Phase {
  /** Kernel indices, in the order the forward convolution over dy applies them. */
  readonly taps: number[];
  /** dy rows dropped before and after, and zero rows added before and after. */
  readonly crop: [number, number];
  readonly pad: [number, number];
}

/**
 * Along one axis of `size` inputs, `outSize` outputs, kernel `k`, stride `s` and leading padding
 * `padStart`: input index a + s·m is reached by output m + c − j through tap (a + padStart) mod s
 * + s·j, with c = ⌊(a + padStart)/s⌋. Null when s does not divide the size (phases of unequal
 * length cannot be interleaved).
 */
function phases(
  size: number,
  outSize: number,
  k: number,
  s: number,
  padStart: number,
): Phase[] | null {
  if (size % s !== 0) return null;
  const m = size / s;
  return Array.from({ length: s }, (_, a) => {
    const first = (a + padStart) % s;
    const c = Math.floor((a + padStart) / s);
    const forward: number[] = [];
    for (let i = first; i < k; i += s) forward.push(i);
    const before = forward.length - 1 - c;
    const after = m - 1 + c - (outSize - 1);
    return {
      taps: forward.reverse(),
      crop: [Math.max(0, -before), Math.max(0, -after)],
      pad: [Math.max(0, before), Math.max(0, after)],
    };
  });
}
