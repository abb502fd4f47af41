import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { gram } from '../../src/ops/gram.js';
import { randomNormal } from '../helpers.js';

// wasm takes a different matMul layout from the other backends (see gram).
describe.each(['cpu', 'wasm'])('Gram matrices on %s', (backend) => {
  beforeAll(async () => {
    await selectBackend(backend);
  });

  it('gram(X) = XᵀX', () => {
    const x = Float64Array.from(randomNormal(7 * 3, 4));
    const g = gram(tf.tensor2d(Float32Array.from(x), [7, 3])).dataSync();
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++) {
        let want = 0;
        for (let r = 0; r < 7; r++) want += x[r * 3 + i] * x[r * 3 + j];
        expect(g[i * 3 + j]).toBeCloseTo(want, 4);
      }
  });
});
