import * as tf from '@tensorflow/tfjs-core';
// Registers tfjs' gradients, one of which is replaced below.
import '@tensorflow/tfjs';
import { transpose2d } from './transpose.js';

/**
 * The BatchMatMul gradient, registered over tfjs' own. tfjs writes dA = dy·Bᵀ and dB = Aᵀ·dy
 * as matMuls with transposeB/transposeA, which wasm runs about 10× slower than a plain product
 * (784×32 by 32×400: 7.3 ms against 0.6 ms), so on wasm the transposes of plain 2-D products
 * are made first. Other cases and backends keep tfjs' gradient.
 */
const tfjsMatMulGradient = tf.getGradient('BatchMatMul');
tf.registerGradient({
  ...tfjsMatMulGradient,
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved as [tf.Tensor2D, tf.Tensor2D];
    const { transposeA, transposeB } = attrs as unknown as {
      transposeA: boolean;
      transposeB: boolean;
    };
    if (tf.getBackend() !== 'wasm' || a.rank !== 2 || b.rank !== 2 || transposeA || transposeB) {
      return tfjsMatMulGradient.gradFunc(dy, saved, attrs);
    }
    const g = dy as tf.Tensor2D;
    return {
      a: () => tf.matMul(g, transpose2d(b)),
      b: () => tf.matMul(transpose2d(a), g),
    };
  },
});
