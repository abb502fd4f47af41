import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { Scenario } from '../../src/data/scenario.js';
import { createStrategy } from '../../src/registry/components.js';
import { evaluate } from '../../src/train/evaluate.js';
import { strategyContext } from '../../src/train/strategy-context.js';
import { Rng } from '../../src/util/rng.js';
import {
  layerIo,
  relativeChange,
  syntheticConfig,
  syntheticModel,
  syntheticSequence,
  trainTasks,
} from './synthetic.js';

const sequence = syntheticSequence();

describe('ewc', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('has no penalty before a task, zero at the anchor, and one whose gradient pulls weights back', async () => {
    const config = syntheticConfig('ewc', { ewc: { lambda: 50, fisherBatches: null } });
    const model = await syntheticModel(config, sequence);
    const ewc = createStrategy(config);
    const ctx = strategyContext({ model, sequence, task: 1, config, rng: new Rng(1) });
    const step = {
      task: 1,
      x: tf.zeros([1, 4, 4, 1]) as tf.Tensor4D,
      features: tf.zeros([1, 32]) as tf.Tensor2D,
    };
    expect(ewc.penalty!(ctx, step)).toBeNull();
    await trainTasks(ewc, model, sequence, config, [0]);
    expect(ewc.penalty!(ctx, step)!.dataSync()[0]).toBeCloseTo(0, 8);

    const fc1 = model.parameters.find((p) => p.name === 'fc1.kernel')!;
    const anchor = fc1.variable.dataSync().slice();
    fc1.variable.assign(
      tf.add(fc1.variable, tf.randomNormal(fc1.variable.shape, 0, 0.1, 'float32', 3)),
    );
    const distance = () => relativeChange(fc1.variable.dataSync(), anchor);
    const before = distance();
    const penalty = ewc.penalty!(ctx, step)!.dataSync()[0];
    expect(penalty).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) {
      const { grads, value } = tf.variableGrads(() => ewc.penalty!(ctx, step)!, [fc1.variable]);
      fc1.variable.assign(tf.sub(fc1.variable, tf.mul(grads[fc1.variable.name], 0.05)));
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(distance()).toBeLessThan(before);
    expect(ewc.penalty!(ctx, step)!.dataSync()[0]).toBeLessThan(penalty);
    ewc.dispose?.();
    model.dispose();
  });

  // SGD keeps the penalty's pull proportional to λF (Adam would rescale it per coordinate);
  // λ = 500 is near the largest that stays stable at this learning rate.
  it('keeps task-0 representations closer than finetune', async () => {
    const drift = async (name: string) => {
      const base = syntheticConfig(name, { ewc: { lambda: 500, fisherBatches: null } });
      const config = {
        ...base,
        train: {
          ...base.train,
          optimizer: 'sgd' as const,
          lr: { ...base.train.lr, backboneFirstTask: 0.05, backbone: 0.05, head: 0.05 },
        },
      };
      const model = await syntheticModel(config, sequence);
      const strategy = createStrategy(config);
      await trainTasks(strategy, model, sequence, config, [0]);
      const before = layerIo(model, sequence, sequence.tasks[0].test, 'fc1').output;
      await trainTasks(strategy, model, sequence, config, [1]);
      const change = relativeChange(
        layerIo(model, sequence, sequence.tasks[0].test, 'fc1').output,
        before,
      );
      strategy.dispose?.();
      model.dispose();
      return change;
    };
    const ewc = await drift('ewc');
    const finetune = await drift('finetune');
    expect(ewc).toBeLessThan(0.7 * finetune);
  });
});

describe('joint', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('trains each task on every task seen so far', async () => {
    const config = syntheticConfig('joint');
    const model = await syntheticModel(config, sequence);
    const joint = createStrategy(config);
    const ctx = strategyContext({ model, sequence, task: 1, config, rng: new Rng(1) });
    expect(joint.trainingSets!(ctx).map((s) => [s.task, s.images])).toEqual([
      [0, sequence.tasks[0].train],
      [1, sequence.tasks[1].train],
    ]);
    await trainTasks(joint, model, sequence, config, [0, 1]);
    const view = new Scenario('task', sequence).view(0, 0);
    const acc0 = await evaluate(model, sequence.tasks[0].test, view, sequence.normalization, 128);
    expect(acc0.accuracy).toBeGreaterThan(90);
    model.dispose();
  });
});
