import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import type { Parameter } from '../../src/models/parameter.js';
import { ProjectedOptimizer } from '../../src/nullspace/projected-optimizer.js';
import { maxAbsDiff, plainOptimizer } from '../helpers.js';

const base = plainOptimizer('adam', 0.1);

function param(values: number[], group: Parameter['group'] = 'backbone'): Parameter {
  return { name: 'w', variable: tf.variable(tf.tensor1d(values)), group };
}

describe('ProjectedOptimizer', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('Adam matches the reference update with coupled weight decay, two steps', () => {
    const p = param([1, -2, 3]);
    const opt = new ProjectedOptimizer({ ...base, weightDecay: 0.01 });
    const g = [0.5, -1, 2];
    // Reference PyTorch-style Adam computed by hand in float64.
    const w = [1, -2, 3];
    const m = [0, 0, 0];
    const v = [0, 0, 0];
    for (let t = 1; t <= 2; t++) {
      opt.step([p], new Map([[p, tf.tensor1d(g)]]));
      for (let i = 0; i < 3; i++) {
        const gi = g[i] + 0.01 * w[i];
        m[i] = 0.9 * m[i] + 0.1 * gi;
        v[i] = 0.999 * v[i] + 0.001 * gi * gi;
        const stepSize = (0.1 * Math.sqrt(1 - 0.999 ** t)) / (1 - 0.9 ** t);
        w[i] -= (stepSize * m[i]) / (Math.sqrt(v[i]) + 1e-8);
      }
    }
    expect(maxAbsDiff(p.variable.dataSync(), w)).toBeLessThan(1e-5);
  });

  it('uses each group’s learning rate and the schedule factor', () => {
    const head = param([0], 'head');
    const opt = new ProjectedOptimizer({ ...base, type: 'sgd' });
    opt.setLrScale(0.5);
    opt.step([head], new Map([[head, tf.tensor1d([2])]]));
    expect(head.variable.dataSync()[0]).toBeCloseTo(-0.01 * 0.5 * 2, 7);
  });

  it('transforms the final step only: moments see the raw gradient', () => {
    const p = param([0, 0]);
    const seen: number[][] = [];
    const zeroSecond = (_p: Parameter, s: tf.Tensor) => {
      seen.push(Array.from(s.dataSync()));
      return tf.mul(s, tf.tensor1d([1, 0]));
    };
    const opt = new ProjectedOptimizer(base, zeroSecond);
    opt.step([p], new Map([[p, tf.tensor1d([1, 1])]]));
    opt.step([p], new Map([[p, tf.tensor1d([1, 1])]]));
    expect(p.variable.dataSync()[1]).toBe(0);
    expect(p.variable.dataSync()[0]).toBeLessThan(0);
    // The zeroed coordinate's moments kept accumulating the raw gradient: m/√v as for the other.
    const m = 0.1 + 0.9 * 0.1;
    const v = 0.001 + 0.999 * 0.001;
    expect(seen[1][1]).toBeCloseTo(m / Math.sqrt(v), 3);
    expect(seen[1][1]).toBeCloseTo(seen[1][0], 6);
  });

  it('projected SGD steps are descent directions: ⟨Δw, g⟩ ≤ 0', () => {
    const p = param([0, 0, 0]);
    const u = [1 / Math.sqrt(2), 1 / Math.sqrt(2), 0];
    const project = (_p: Parameter, s: tf.Tensor) => {
      const d = s.dataSync();
      const dot = d[0] * u[0] + d[1] * u[1];
      return tf.tensor1d([d[0] - dot * u[0], d[1] - dot * u[1], d[2]]);
    };
    const opt = new ProjectedOptimizer({ ...base, type: 'sgd' }, project);
    for (const g of [
      [1, -2, 0.5],
      [3, 1, -1],
      [-0.2, 0.7, 0],
    ]) {
      const before = Array.from(p.variable.dataSync());
      opt.step([p], new Map([[p, tf.tensor1d(g)]]));
      const dw = Array.from(p.variable.dataSync(), (w, i) => w - before[i]);
      expect(dw[0] * g[0] + dw[1] * g[1] + dw[2] * g[2]).toBeLessThanOrEqual(1e-12);
      expect(Math.abs(dw[0] * u[0] + dw[1] * u[1])).toBeLessThan(1e-7);
    }
  });
});
