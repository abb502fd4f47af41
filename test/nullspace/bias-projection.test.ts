import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { projectorFromBasis } from '../../src/linalg/projector.js';
import type { Parameter, ProjectedLayer } from '../../src/models/parameter.js';
import { ProjectedOptimizer } from '../../src/nullspace/projected-optimizer.js';
import { TensorProjector } from '../../src/nullspace/tensor-projector.js';
import { Rng } from '../../src/util/rng.js';
import { maxAbsDiff, plainOptimizer, randomNormal } from '../helpers.js';

const normals = (count: number, seed: number) => Float32Array.from(randomNormal(count, seed));

const sgd = plainOptimizer('sgd', 0.5);

beforeAll(async () => {
  await selectBackend('cpu');
});

/** A projected layer with a bias, as fromLayersModel makes them, and its two parameters. */
function biasedLayer(kernelShape: number[], seed: number) {
  const out = kernelShape[kernelShape.length - 1];
  const size = kernelShape.reduce((a, b) => a * b, 1);
  const layer: ProjectedLayer = {
    name: 'layer',
    kernel: tf.variable(tf.tensor(normals(size, seed), kernelShape)),
    bias: tf.variable(tf.tensor1d(normals(out, seed + 1))),
    geometry: null,
    inputSize: size / out + 1,
  };
  const kernel: Parameter = {
    name: 'k',
    variable: layer.kernel,
    group: 'backbone',
    projected: layer,
  };
  const bias: Parameter = { name: 'b', variable: layer.bias!, group: 'backbone', biasOf: layer };
  return { layer, kernel, bias, out };
}

/** a (n×n) times b (n×out), row-major, on the host. */
function hostMatMul(a: ArrayLike<number>, b: ArrayLike<number>, n: number, out: number): number[] {
  const c = new Array<number>(n * out).fill(0);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++)
      for (let j = 0; j < out; j++) c[i * out + j] += a[i * n + k] * b[k * out + j];
  return c;
}

describe('projected steps of a layer with a bias', () => {
  it('transform the kernel’s and the bias’s steps once, stacked, with the kernel’s parameter', () => {
    const { layer, kernel, bias, out } = biasedLayer([2, 2, 1, 3], 1);
    const n = layer.inputSize;
    const mixing = normals(n * n, 3);
    const calls: { param: Parameter; shape: number[] }[] = [];
    const opt = new ProjectedOptimizer(sgd, (param, step) => {
      calls.push({ param, shape: step.shape });
      return tf.matMul(tf.tensor2d(mixing, [n, n]), step as tf.Tensor2D);
    });
    const k0 = Array.from(layer.kernel.dataSync());
    const b0 = Array.from(layer.bias!.dataSync());
    const gk = normals(4 * out, 4);
    const gb = normals(out, 5);
    opt.step(
      [kernel, bias],
      new Map<Parameter, tf.Tensor>([
        [kernel, tf.tensor(gk, [2, 2, 1, 3])],
        [bias, tf.tensor1d(gb)],
      ]),
    );
    expect(calls).toEqual([{ param: kernel, shape: [n, out] }]);
    const update = hostMatMul(mixing, [...gk, ...gb], n, out);
    const want = [...k0, ...b0].map((w, i) => w - 0.5 * update[i]);
    const got = [...layer.kernel.dataSync(), ...layer.bias!.dataSync()];
    expect(maxAbsDiff(got, want)).toBeLessThan(1e-5);
    opt.dispose();
  });

  it('projected Adam keeps [x, 1]·[kernel; bias] on inputs whose null space it projects onto', () => {
    const { layer, kernel, bias, out } = biasedLayer([4, 3], 6);
    const n = layer.inputSize;
    // Old inputs x live in the first two coordinates: [x, 1] spans e1, e2 and e5, so the
    // null space is spanned by e3 and e4.
    const rng = new Rng(7);
    const rows = Array.from({ length: 6 }, () => [rng.normal(), rng.normal(), 0, 0, 1]).flat();
    const basis = new Float64Array(n * 2);
    basis[2 * 2 + 0] = 1;
    basis[3 * 2 + 1] = 1;
    const projector = new TensorProjector(projectorFromBasis(n, 2, basis, false));
    const opt = new ProjectedOptimizer({ ...sgd, type: 'adam' }, (_p, s) => projector.apply(s));
    const outputs = () =>
      tf.tidy(() => {
        const stacked = tf.concat([layer.kernel, tf.reshape(layer.bias!, [1, out])]);
        return Array.from(tf.matMul(tf.tensor2d(rows, [6, n]), stacked).dataSync());
      });
    const before = outputs();
    const k0 = Array.from(layer.kernel.dataSync());
    for (let t = 0; t < 3; t++) {
      opt.step(
        [kernel, bias],
        new Map<Parameter, tf.Tensor>([
          [kernel, tf.tensor2d(normals(4 * out, 10 + t), [4, out])],
          [bias, tf.tensor1d(normals(out, 20 + t))],
        ]),
      );
    }
    expect(maxAbsDiff(outputs(), before)).toBeLessThan(1e-5);
    // The free rows did move: the step was projected, not dropped.
    expect(maxAbsDiff(layer.kernel.dataSync(), k0)).toBeGreaterThan(0.1);
    opt.dispose();
    projector.dispose();
  });

  it('steps a kernel without a gradient when its bias has one: the projection mixes them', () => {
    const { layer, kernel, bias, out } = biasedLayer([2, 2], 8);
    const n = layer.inputSize;
    const ones = tf.ones([n, n]);
    const opt = new ProjectedOptimizer(sgd, (_p, s) => tf.matMul(ones, s as tf.Tensor2D));
    const k0 = Array.from(layer.kernel.dataSync());
    opt.step([kernel, bias], new Map([[bias, tf.tensor1d(Array(out).fill(1))]]));
    // Every row of ones·[0; 0; 1] is [1, 1]: the kernel moves by −0.5 everywhere.
    expect(
      maxAbsDiff(
        layer.kernel.dataSync(),
        k0.map((w) => w - 0.5),
      ),
    ).toBeLessThan(1e-6);
    opt.dispose();
  });

  it('without a transform steps a kernel and its bias apart, to the same bits', () => {
    const layers = [biasedLayer([2, 2, 1, 3], 11), biasedLayer([2, 2, 1, 3], 11)];
    const config = { ...sgd, type: 'adam' as const, weightDecay: 0.01 };
    const opts = [new ProjectedOptimizer(config), new ProjectedOptimizer(config, (_p, s) => s)];
    const b0 = Array.from(layers[0].layer.bias!.dataSync());
    layers.forEach(({ kernel, bias }, i) => {
      const params = [kernel, bias];
      for (let t = 0; t < 3; t++) {
        const grads = new Map<Parameter, tf.Tensor>([
          [kernel, tf.tensor(normals(12, 12 + t), [2, 2, 1, 3])],
          [bias, tf.tensor1d(normals(3, 22 + t))],
        ]);
        opts[i].step(params, grads);
        tf.dispose([...grads.values()]);
      }
      opts[i].dispose();
    });
    const [alone, joint] = layers.map(({ layer }) => [
      ...layer.kernel.dataSync(),
      ...layer.bias!.dataSync(),
    ]);
    expect(alone).toEqual(joint);
    expect(maxAbsDiff(alone.slice(12), b0)).toBeGreaterThan(0.01);
  });

  it('refuses to train a bias without its kernel', () => {
    const { bias, out } = biasedLayer([2, 2], 9);
    const opt = new ProjectedOptimizer(sgd);
    expect(() => opt.step([bias], new Map([[bias, tf.ones([out])]]))).toThrow(
      /b is trained without its kernel/,
    );
  });
});
