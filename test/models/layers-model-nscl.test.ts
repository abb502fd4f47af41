import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import type { TaskSequence } from '../../src/data/task-sequence.js';
import type { LayerProjectionRecord } from '../../src/metrics/run-results.js';
import type { ContinualModel } from '../../src/models/continual-model.js';
import { fromLayersModel } from '../../src/models/layers-model.js';
import type { ProjectedLayer } from '../../src/models/parameter.js';
import { createStrategy, registerModel } from '../../src/registry/components.js';
import { strategyContext } from '../../src/train/strategy-context.js';
import { learnTask } from '../../src/train/train-task.js';
import { Rng } from '../../src/util/rng.js';
import {
  relativeChange,
  syntheticConfig,
  syntheticModel,
  wholeBatch,
} from '../strategies/synthetic.js';
import { residualCnn, sequentialCnn } from './layer-backbones.js';
import { twoChannelSequence } from './two-channel-tasks.js';

registerModel('test-sequential-cnn', ({ classesPerTask, rng }) =>
  fromLayersModel(sequentialCnn(rng.int(1000)), { classesPerTask, rng }),
);
registerModel('test-residual-cnn', ({ classesPerTask, rng }) =>
  fromLayersModel(residualCnn(rng.int(1000)), { classesPerTask, rng }),
);

beforeAll(async () => {
  await selectBackend('cpu');
});

/** Every projected layer's input on the task's training images (eval mode). */
function taskInputs(model: ContinualModel, sequence: TaskSequence, task: number) {
  const inputs = new Map<string, tf.Tensor>();
  tf.tidy(() => {
    model.features(wholeBatch(sequence.tasks[task].train, sequence), {
      training: false,
      // A clone: tfjs-layers disposes a layer's input once the layer has run.
      onLayerInput: (layer, input) => inputs.set(layer.name, tf.keep(tf.clone(input))),
    });
  });
  return inputs;
}

/** input·kernel + bias of every projected layer (convolved for a conv) on fixed inputs, on the host. */
function outputsOn(model: ContinualModel, inputs: Map<string, tf.Tensor>) {
  const output = (layer: ProjectedLayer, x: tf.Tensor) => {
    const g = layer.geometry;
    const y = g
      ? tf.conv2d(
          x as tf.Tensor4D,
          layer.kernel as tf.Tensor4D,
          [...g.strides],
          g.padding as 'same',
        )
      : tf.matMul(x as tf.Tensor2D, layer.kernel as tf.Tensor2D);
    return tf.add(y, layer.bias!);
  };
  return new Map(
    model.projectedLayers.map((layer) => [
      layer.name,
      tf.tidy(() => output(layer, inputs.get(layer.name)!).dataSync()),
    ]),
  );
}

interface Outcome {
  /** ‖ΔY‖/‖Y‖ of each layer's outputs (bias included) on its task-0 inputs after task 0. */
  readonly drift: Map<string, number>;
  readonly records: LayerProjectionRecord[];
}

/**
 * Trains tasks 0 and 1 as the run loop does. The drift holds each layer's task-0 inputs
 * fixed: BatchNorm's statistics and scales move on task 1 whatever the strategy, and the
 * projection answers only for the layer's own weights.
 */
async function trainTwoTasks(modelType: string, strategyName: string): Promise<Outcome> {
  const config = syntheticConfig(strategyName, { model: { type: modelType } });
  const sequence = twoChannelSequence();
  const model = await syntheticModel(config, sequence);
  const strategy = createStrategy(config);
  const rng = new Rng(3);
  let inputs = new Map<string, tf.Tensor>();
  let before = new Map<string, ArrayLike<number>>();
  const records: LayerProjectionRecord[] = [];
  for (const task of [0, 1]) {
    const ctx = strategyContext({ model, sequence, task, config, rng });
    await learnTask(ctx, strategy);
    if (task === 0) {
      inputs = taskInputs(model, sequence, 0);
      before = outputsOn(model, inputs);
    }
    records.push(...((await strategy.afterTask?.(ctx)) ?? []));
  }
  const after = outputsOn(model, inputs);
  const drift = new Map(
    [...before].map(([name, b]) => [name, relativeChange(after.get(name)!, b)]),
  );
  tf.dispose([...inputs.values()]);
  strategy.dispose?.();
  model.dispose();
  return { drift, records };
}

describe.each([
  ['test-sequential-cnn', ['conv1', 'conv2', 'fc']],
  ['test-residual-cnn', ['a', 'b', 'shortcut', 'fc']],
])('Adam-NSCL on the tf.LayersModel %s', (modelType, layers) => {
  it('keeps every projected layer’s task-0 outputs, bias included, while fine-tuning moves them', async () => {
    const nscl = await trainTwoTasks(modelType, 'adam-nscl');
    const finetune = await trainTwoTasks(modelType, 'finetune');
    expect([...nscl.drift.keys()]).toEqual(layers);
    for (const layer of layers) {
      const moved = finetune.drift.get(layer)!;
      expect(moved, layer).toBeGreaterThan(0.02);
      expect(nscl.drift.get(layer)!, layer).toBeLessThan(0.01 * moved);
    }
    // A record per layer after each task, under the user's layer names.
    expect(nscl.records.map((r) => r.layer)).toEqual([...layers, ...layers]);
  });
});
