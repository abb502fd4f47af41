import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import '../../examples/custom-strategy.js';
import { selectBackend } from '../../src/backend/select-backend.js';
import { createStrategy, strategyNames } from '../../src/registry/components.js';
import { strategyContext } from '../../src/train/strategy-context.js';
import { Rng } from '../../src/util/rng.js';
import {
  syntheticConfig,
  syntheticModel,
  syntheticSequence,
  trainTasks,
  wholeBatch,
} from './synthetic.js';

describe('examples/custom-strategy', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('registers l2-anchor, whose penalty is zero at the anchor and grows as task 1 trains', async () => {
    expect(strategyNames()).toContain('l2-anchor');
    const sequence = syntheticSequence();
    const config = syntheticConfig('l2-anchor');
    const model = await syntheticModel(config, sequence);
    const strategy = createStrategy(config);
    expect(strategy.name).toBe('l2-anchor');
    const x = wholeBatch(sequence.tasks[1].train, sequence);
    const penalty = (task: number) => {
      const ctx = strategyContext({ model, sequence, task, config, rng: new Rng(1) });
      return tf.tidy(() => {
        const features = model.features(x, { training: true });
        const p = strategy.penalty!(ctx, { task, x, features });
        return p ? p.dataSync()[0] : -1;
      });
    };
    expect(penalty(0)).toBe(-1);
    await trainTasks(strategy, model, sequence, config, [0]);
    expect(penalty(1)).toBe(0);
    // Task 1 without its afterTask, so the anchor stays at the task-0 weights.
    await trainTasks({ ...strategy, afterTask: undefined }, model, sequence, config, [1]);
    expect(penalty(1)).toBeGreaterThan(1e-6);
    // A resumed run re-anchors at the restored weights.
    const resumed = createStrategy(config);
    const ctx = strategyContext({ model, sequence, task: 1, config, rng: new Rng(2) });
    await resumed.restore!(null, ctx);
    const features = model.features(x, { training: true });
    const p = resumed.penalty!(ctx, { task: 1, x, features });
    expect(p?.dataSync()[0]).toBe(0);
    tf.dispose([features, p ?? []].flat());
    resumed.dispose!();
    strategy.dispose!();
    model.dispose();
    x.dispose();
  });
});
