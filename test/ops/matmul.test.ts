import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { transpose2d } from '../../src/ops/transpose.js';
import { maxAbsDiff, randomNormal } from '../helpers.js';

const matrix = (rows: number, cols: number, seed: number) =>
  tf.tensor2d(Float32Array.from(randomNormal(rows * cols, seed)), [rows, cols]);

describe('wasm matMul gradient and transpose', () => {
  beforeAll(async () => {
    await selectBackend('wasm');
  });
  afterAll(async () => {
    await selectBackend('cpu');
  });

  it.each([
    [2048, 600],
    [4099, 200],
    [17, 5],
  ])('transpose2d of a %i×%i matrix is its transpose', (rows, cols) => {
    const x = matrix(rows, cols, rows);
    const t = transpose2d(x);
    expect(t.shape).toEqual([cols, rows]);
    const xs = x.dataSync();
    const ts = t.dataSync();
    let worst = 0;
    for (let i = 0; i < rows; i += 7)
      for (let j = 0; j < cols; j++)
        worst = Math.max(worst, Math.abs(ts[j * rows + i] - xs[i * cols + j]));
    expect(worst).toBe(0);
  });

  it('gives the cpu backend’s matMul gradients', async () => {
    const grads = () => {
      const a = matrix(32, 70, 1);
      const b = matrix(70, 40, 2);
      const f = (x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.square(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)));
      return tf
        .grads(f)([a, b])
        .map((g) => g.dataSync());
    };
    const wasm = grads();
    await selectBackend('cpu');
    const cpu = grads();
    await selectBackend('wasm');
    const scale = Math.max(...Array.from(cpu[1], Math.abs));
    expect(scale).toBeGreaterThan(1);
    expect(maxAbsDiff(wasm[0], cpu[0])).toBeLessThan(1e-5 * scale);
    expect(maxAbsDiff(wasm[1], cpu[1])).toBeLessThan(1e-5 * scale);
  });

  it('runs no transposed product for a plain one', async () => {
    const a = matrix(8, 6, 3);
    const b = matrix(6, 4, 4);
    const { kernels } = await tf.profile(() =>
      tf.grads((x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D)),
      )([a, b]),
    );
    const products = kernels.filter((k) => k.name === 'BatchMatMul');
    expect(products).toHaveLength(3);
    for (const p of products) expect(p.inputShapes[0]?.[1]).toBe(p.inputShapes[1]?.[0]);
  });
});
