import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import type { ContinualModel } from '../../src/models/continual-model.js';
import { createStrategy } from '../../src/registry/components.js';
import type { Strategy, StrategyContext } from '../../src/strategies/strategy.js';
import { strategyContext } from '../../src/train/strategy-context.js';
import { Rng } from '../../src/util/rng.js';
import {
  headLogits,
  relativeChange,
  syntheticConfig,
  syntheticModel,
  syntheticSequence,
  trainTasks,
  wholeBatch,
} from './synthetic.js';

const sequence = syntheticSequence();
const config = syntheticConfig('lwf', { lwf: { alpha: 3, temperature: 2 } });

/** The strategy's penalty on a batch of task-1 images under the live weights. */
function penaltyOn(strategy: Strategy, ctx: StrategyContext, x: tf.Tensor4D): tf.Scalar | null {
  const features = ctx.model.features(x, { training: true });
  return strategy.penalty!(ctx, { task: ctx.task, x, features });
}

/** The penalty's value, null when the strategy gives none; intermediates are freed. */
function penaltyValue(strategy: Strategy, ctx: StrategyContext, x: tf.Tensor4D): number | null {
  let v: number | null = null;
  tf.tidy(() => {
    const p = penaltyOn(strategy, ctx, x);
    if (p) v = p.dataSync()[0];
  });
  return v;
}

describe('LwF', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  describe('penalty', () => {
    let model: ContinualModel;
    let strategy: Strategy;
    let x: tf.Tensor4D;
    const ctxFor = (task: number): StrategyContext =>
      strategyContext({ model, sequence, task, config, rng: new Rng(2) });

    beforeAll(async () => {
      model = await syntheticModel(config, sequence);
      strategy = createStrategy(config);
      x = wholeBatch(sequence.tasks[1].train, sequence);
    });

    it('is absent on the first task and zero before the weights move', async () => {
      await strategy.beforeTask!(ctxFor(0));
      expect(penaltyValue(strategy, ctxFor(0), x)).toBeNull();
      await trainTasks(strategy, model, sequence, config, [0]);
      await strategy.beforeTask!(ctxFor(1));
      expect(Math.abs(penaltyValue(strategy, ctxFor(1), x)!)).toBeLessThan(1e-6);
    });

    it('grows when the backbone drifts and its gradient pulls the old head back', () => {
      const backbone = model.parameters
        .filter((p) => p.group === 'backbone')
        .map((p) => p.variable);
      const rng = new Rng(9);
      tf.tidy(() => {
        for (const v of backbone) {
          const noise = Float32Array.from({ length: v.size }, () => 0.2 * rng.normal());
          v.assign(tf.add(v, tf.tensor(noise, v.shape)));
        }
      });
      const ctx = ctxFor(1);
      const drifted = penaltyValue(strategy, ctx, x)!;
      expect(drifted).toBeGreaterThan(1e-3);
      for (let i = 0; i < 20; i++) {
        const { value: loss, grads } = tf.variableGrads(
          () => penaltyOn(strategy, ctx, x)!,
          backbone,
        );
        tf.tidy(() => {
          for (const v of backbone) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.05)));
        });
        tf.dispose([loss, ...Object.values(grads)]);
      }
      const after = penaltyValue(strategy, ctx, x)!;
      expect(after).toBeLessThan(0.5 * drifted);
    });
  });

  it('keeps the first head’s outputs far closer to where they were than finetune', async () => {
    const drift = async (name: string) => {
      const cfg = syntheticConfig(name, { lwf: config.lwf });
      const model = await syntheticModel(cfg, sequence);
      const strategy = createStrategy(cfg);
      await trainTasks(strategy, model, sequence, cfg, [0]);
      const before = headLogits(model, sequence, sequence.tasks[0].test, 0);
      // Long enough on task 1 for finetune's backbone to wander off.
      const longer = { ...cfg, train: { ...cfg.train, epochs: 10 } };
      await trainTasks(strategy, model, sequence, longer, [1], new Rng(4));
      const after = headLogits(model, sequence, sequence.tasks[0].test, 0);
      strategy.dispose?.();
      model.dispose();
      return relativeChange(after, before);
    };
    const lwf = await drift('lwf');
    const finetune = await drift('finetune');
    expect(finetune).toBeGreaterThan(0.2);
    expect(lwf).toBeLessThan(0.4 * finetune);
  });
});
