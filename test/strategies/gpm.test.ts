import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { matmulTN } from '../../src/linalg/dense.js';
import type { LayerProjectionRecord } from '../../src/metrics/run-results.js';
import type { ContinualModel } from '../../src/models/continual-model.js';
import { createStrategy } from '../../src/registry/components.js';
import {
  createGpm,
  emptyBasis,
  extendBasis,
  type GpmSettings,
  type GpmSnapshot,
} from '../../src/strategies/gpm.js';
import type { Strategy } from '../../src/strategies/strategy.js';
import { strategyContext } from '../../src/train/strategy-context.js';
import { Rng } from '../../src/util/rng.js';
import { maxAbsDiff, norm, randomNormal } from '../helpers.js';
import {
  layerIo,
  relativeChange,
  syntheticConfig,
  syntheticModel,
  syntheticSequence,
  trainTasks,
} from './synthetic.js';

const sequence = syntheticSequence();
const config = syntheticConfig('gpm', { gpm: { threshold: 0.999, samples: 128 } });

function basisOf(strategy: Strategy, layer: string) {
  return (strategy.snapshot!() as GpmSnapshot).bases[layer];
}

/** max |MᵀM − I|. */
function orthonormalityError(basis: Float64Array, n: number, m: number): number {
  const gram = matmulTN(basis, basis, m, n, m);
  let err = 0;
  for (let i = 0; i < m; i++)
    for (let j = 0; j < m; j++) err = Math.max(err, Math.abs(gram[i * m + j] - (i === j ? 1 : 0)));
  return err;
}

/** ‖R − RMMᵀ‖_F / ‖R‖_F for rows×n R. */
function unexplained(r: Float32Array, rows: number, basis: Float64Array, n: number, m: number) {
  const residual = Float64Array.from(r);
  for (let row = 0; row < rows; row++) {
    for (let j = 0; j < m; j++) {
      let c = 0;
      for (let i = 0; i < n; i++) c += r[row * n + i] * basis[i * m + j];
      for (let i = 0; i < n; i++) residual[row * n + i] -= c * basis[i * m + j];
    }
  }
  return norm(residual) / norm(r);
}

describe('GPM', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  describe('after the first task', () => {
    let model: ContinualModel;
    let strategy: Strategy;
    let records: LayerProjectionRecord[];

    beforeAll(async () => {
      model = await syntheticModel(config, sequence);
      strategy = createStrategy(config);
      // Trained without GPM's hooks so that afterTask's records can be looked at here.
      await trainTasks(createStrategy(syntheticConfig('finetune')), model, sequence, config, [0]);
      const ctx = strategyContext({ model, sequence, task: 0, config, rng: new Rng(5) });
      records = (await strategy.afterTask!(ctx))!;
    });

    it('keeps an orthonormal basis that spans the task’s inputs but not the whole space', () => {
      const { n, m, basis } = basisOf(strategy, 'fc1');
      expect(n).toBe(16);
      // Task 0 varies 8 pixels; the other 8 sit at ≈0.
      expect(m).toBeGreaterThanOrEqual(4);
      expect(m).toBeLessThanOrEqual(9);
      expect(orthonormalityError(basis, n, m)).toBeLessThan(1e-6);
      const { input } = layerIo(model, sequence, sequence.tasks[0].train, 'fc1');
      const rows = input.length / n;
      expect(unexplained(input, rows, basis, n, m)).toBeLessThan(0.05);
      for (const layer of ['fc1', 'fc2']) {
        const b = basisOf(strategy, layer);
        expect(orthonormalityError(b.basis, b.n, b.m)).toBeLessThan(1e-6);
      }
    });

    it('reports the free dimension and the input spectrum per layer', () => {
      expect(records.map((r) => r.layer)).toEqual(['fc1', 'fc2']);
      for (const r of records) {
        const { n, m } = basisOf(strategy, r.layer);
        expect(r.n).toBe(n);
        expect(r.kept).toBe(n - m);
        expect(r.ratio).toBeCloseTo((n - m) / n, 12);
        expect(r.spectrum).toHaveLength(n);
        expect(r.lambdaMax).toBe(r.spectrum[n - 1]);
        expect(r.lambdaMax).toBeGreaterThan(0);
      }
      expect(records[0].kept).toBeGreaterThan(0);
    });

    it('removes the basis directions from projected steps and leaves heads alone', () => {
      const ctx = strategyContext({ model, sequence, task: 1, config, rng: new Rng(6) });
      const fc1 = model.parameters.find((p) => p.projected?.name === 'fc1')!;
      const { n, m, basis } = basisOf(strategy, 'fc1');
      const step = tf.tensor(
        Float32Array.from(randomNormal(fc1.variable.size, 11)),
        fc1.variable.shape,
      );
      const out = strategy.transformUpdate!(ctx, fc1, step);
      const outHost = out.dataSync();
      const cols = outHost.length / n;
      const along = matmulTN(basis, Float64Array.from(outHost), m, n, cols);
      const stepNorm = norm(step.dataSync());
      expect(norm(along) / stepNorm).toBeLessThan(1e-5);
      // The free part passes unscaled: G − MMᵀG, so the change is exactly the removed part.
      expect(norm(outHost)).toBeGreaterThan(0.3 * stepNorm);
      expect(norm(outHost)).toBeLessThan(stepNorm);
      const head = model.parameters.find((p) => p.group === 'head')!;
      const headStep = tf.onesLike(head.variable);
      expect(strategy.transformUpdate!(ctx, head, headStep)).toBe(headStep);
      tf.dispose([step, out, headStep]);
    });

    it('restores its bases from a snapshot', () => {
      const ctx = strategyContext({ model, sequence, task: 1, config, rng: new Rng(6) });
      const copy = createGpm(config.gpm as GpmSettings, config);
      copy.restore!(
        structuredClone(strategy.snapshot!()),
        strategyContext({ model, sequence, task: 0, config, rng: new Rng(0) }),
      );
      const fc2 = model.parameters.find((p) => p.projected?.name === 'fc2')!;
      const step = tf.tensor(
        Float32Array.from(randomNormal(fc2.variable.size, 12)),
        fc2.variable.shape,
      );
      const [a, b] = [strategy, copy].map((s) => s.transformUpdate!(ctx, fc2, step).dataSync());
      expect(maxAbsDiff(a, b)).toBeLessThan(1e-7);
      expect(maxAbsDiff(a, step.dataSync())).toBeGreaterThan(1e-3);
      copy.dispose!();
      step.dispose();
    });
  });

  it('extends a basis only by directions outside it until the threshold is met', () => {
    const n = 12;
    // Rows in a 3-dim subspace, then rows in a 6-dim one that contains it.
    const rowsIn = (dims: number, seed: number) => {
      const z = randomNormal(200 * dims, seed);
      const r = new Float64Array(200 * n);
      for (let row = 0; row < 200; row++)
        for (let d = 0; d < dims; d++) r[row * n + d] = z[row * dims + d] * (d + 1);
      return matmulTN(r, r, n, 200, n);
    };
    const first = extendBasis(emptyBasis(n), rowsIn(3, 1), 0.999).basis;
    expect(first.m).toBe(3);
    const second = extendBasis(first, rowsIn(6, 2), 0.999).basis;
    expect(second.m).toBe(6);
    expect(orthonormalityError(second.basis, n, second.m)).toBeLessThan(1e-10);
    // The first columns are kept as they were.
    for (let i = 0; i < n; i++)
      for (let j = 0; j < 3; j++)
        expect(second.basis[i * 6 + j]).toBeCloseTo(first.basis[i * 3 + j], 12);
    // Data already inside the basis adds nothing.
    expect(extendBasis(second, rowsIn(2, 3), 0.999).basis.m).toBe(6);
  });

  it('keeps task-0 outputs of the first layer far steadier than finetune', async () => {
    const drift = async (name: string) => {
      const cfg = syntheticConfig(name, { gpm: config.gpm });
      const model = await syntheticModel(cfg, sequence);
      const strategy = createStrategy(cfg);
      await trainTasks(strategy, model, sequence, cfg, [0]);
      const before = layerIo(model, sequence, sequence.tasks[0].test, 'fc1').output;
      await trainTasks(strategy, model, sequence, cfg, [1], new Rng(4));
      const after = layerIo(model, sequence, sequence.tasks[0].test, 'fc1').output;
      strategy.dispose?.();
      model.dispose();
      return relativeChange(after, before);
    };
    const gpm = await drift('gpm');
    const finetune = await drift('finetune');
    expect(finetune).toBeGreaterThan(0.1);
    expect(gpm).toBeLessThan(0.1 * finetune);
  });
});
