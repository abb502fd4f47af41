import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { Scenario } from '../../src/data/scenario.js';
import type { TaskSequence } from '../../src/data/task-sequence.js';
import type { ContinualModel } from '../../src/models/continual-model.js';
import type { ProjectedLayer } from '../../src/models/parameter.js';
import type { ProjectionSnapshot } from '../../src/nullspace/projection-state.js';
import { createModel, createStrategy } from '../../src/registry/components.js';
import { parseConfig } from '../../src/registry/experiment-config.js';
import { loadSequence } from '../../src/registry/load-sequence.js';
import type { Strategy } from '../../src/strategies/strategy.js';
import { strategyContext } from '../../src/train/strategy-context.js';
import { learnTask } from '../../src/train/train-task.js';
import { Rng } from '../../src/util/rng.js';
import { norm } from '../helpers.js';
import { syntheticConfig, syntheticModel, syntheticSequence, trainTasks } from './synthetic.js';

const overrides = {
  data: { tasks: 5, trainLimit: 400, testLimit: 100 },
  model: { type: 'mlp', mlp: { hidden: [64, 64] } },
  train: {
    epochs: 2,
    batchSize: 32,
    weightDecay: 0,
    lr: { backboneFirstTask: 1e-3, backbone: 1e-3, head: 1e-3 },
  },
  log: { progress: false },
};

/** Every projected layer's output on the given images, concatenated per layer. */
function layerOutputs(
  model: ContinualModel,
  seq: TaskSequence,
  task: number,
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  const set = seq.tasks[task].train;
  const x = tf.tensor4d(
    Float32Array.from(set.pixels, (p) => (p / 255 - 0.286) / 0.353),
    [set.labels.length, 28, 28, 1],
  );
  model.features(x, {
    training: false,
    onLayerInput: (layer: ProjectedLayer, input: tf.Tensor) => {
      out.set(
        layer.name,
        tf.matMul(input as tf.Tensor2D, layer.kernel as tf.Tensor2D).dataSync() as Float32Array,
      );
    },
  });
  x.dispose();
  return out;
}

/** Trains tasks 0 and 1 with a strategy; returns the relative change of each layer's task-0 outputs. */
async function layerDrift(
  strategyName: string,
): Promise<{ drift: Map<string, number>; dots: number[] }> {
  const config = parseConfig({ ...overrides, strategy: strategyName }, 'test');
  const seq = await loadSequence(config);
  const rng = new Rng(0);
  const heads = new Scenario(config.data.scenario, seq).headSizes();
  const model = await createModel(config, seq.inputShape, heads, rng.fork());
  const strategy = createStrategy(config);
  const dots: number[] = [];
  let before = new Map<string, Float32Array>();
  for (const task of [0, 1]) {
    const ctx = strategyContext({ model, sequence: seq, task, config, rng });
    // ⟨projected step, raw step⟩ ≥ 0: the projected step never opposes the optimizer's.
    const recording: Strategy = {
      ...strategy,
      transformUpdate: (c, p, step) => {
        const out = strategy.transformUpdate?.(c, p, step) ?? step;
        if (task === 1 && p.projected) dots.push(tf.sum(tf.mul(out, step)).dataSync()[0]);
        return out;
      },
    };
    await learnTask(ctx, recording);
    if (task === 0) before = layerOutputs(model, seq, 0);
    await strategy.afterTask?.(ctx);
  }
  const after = layerOutputs(model, seq, 0);
  const drift = new Map<string, number>();
  for (const [name, b] of before) {
    const a = after.get(name)!;
    drift.set(name, norm(a.map((v, i) => v - b[i])) / norm(b));
  }
  strategy.dispose?.();
  model.dispose();
  return { drift, dots };
}

describe('Adam-NSCL', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('keeps every projected layer’s task-1 outputs within 1% while finetune moves them far more', async () => {
    const nscl = await layerDrift('adam-nscl');
    const finetune = await layerDrift('finetune');
    for (const [layer, d] of nscl.drift) {
      expect(d, layer).toBeLessThan(0.01);
      expect(finetune.drift.get(layer)!, layer).toBeGreaterThan(10 * Math.max(d, 1e-4));
    }
    expect(nscl.dots.length).toBeGreaterThan(0);
    expect(Math.min(...nscl.dots)).toBeGreaterThanOrEqual(0);
  });

  it.each([
    ['per-sample', null, 256],
    ['batch-mean', null, 256 / 32],
    ['per-sample', 100, 100],
    ['batch-mean', 100, Math.ceil(100 / 32)],
  ] as const)(
    '%s covariance from at most %s images: %d rows per layer from a 256-image task (batch 32)',
    async (mode, cap, rows) => {
      const sequence = syntheticSequence(2);
      const config = syntheticConfig('adam-nscl', {
        'adam-nscl': { covarianceMode: mode, boundaryImages: cap },
        train: { epochs: 1, batchSize: 32, evalBatchSize: 128 },
      });
      const model = await syntheticModel(config, sequence);
      const strategy = createStrategy(config);
      await trainTasks(strategy, model, sequence, config, [0]);
      const { projection } = strategy.snapshot!() as { projection: ProjectionSnapshot };
      for (const layer of model.projectedLayers)
        expect(projection.covariances[layer.name].count, layer.name).toBe(rows);
      strategy.dispose?.();
      model.dispose();
    },
  );
});
