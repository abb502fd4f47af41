/** A tiny two-task problem on 4×4 grey images and a training loop over it, for strategy tests. */
import * as tf from '@tensorflow/tfjs-core';
import type { ExperimentConfig } from '../../src/config/schema.js';
import { batches } from '../../src/data/batches.js';
import type { LabelledImages } from '../../src/data/images.js';
import { Scenario } from '../../src/data/scenario.js';
import type { TaskSequence } from '../../src/data/task-sequence.js';
import { type ContinualModel, forward } from '../../src/models/continual-model.js';
import type { ProjectedLayer } from '../../src/models/parameter.js';
import { createModel } from '../../src/registry/components.js';
import { parseConfig } from '../../src/registry/experiment-config.js';
import type { Strategy } from '../../src/strategies/strategy.js';
import { strategyContext } from '../../src/train/strategy-context.js';
import { learnTask } from '../../src/train/train-task.js';
import { Rng } from '../../src/util/rng.js';

const SIDE = 4;
const PIXELS = SIDE * SIDE;

/**
 * Two classes, each a ±1 prototype over the pixels in `active` plus noise; the other pixels stay
 * at mid-grey (≈0 after normalisation), so the inputs span a known subspace.
 */
function prototypeImages(
  rng: Rng,
  count: number,
  active: readonly number[],
  prototypes: readonly number[][],
): LabelledImages {
  const pixels = new Uint8Array(count * PIXELS).fill(128);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    active.forEach((p, k) => {
      const v = 128 + 50 * prototypes[labels[i]][k] + 25 * rng.normal();
      pixels[i * PIXELS + p] = Math.max(0, Math.min(255, Math.round(v)));
    });
  }
  return { pixels, labels, height: SIDE, width: SIDE, channels: 1 };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Task 0 lives on the first 8 pixels only, task 1 on all 16. */
export function syntheticSequence(seed = 1, perTask = 256): TaskSequence {
  const rng = new Rng(seed);
  const tasks = [range(0, 8), range(0, PIXELS)].map((active, index) => {
    const prototypes = [0, 1].map(() => active.map(() => (rng.next() < 0.5 ? -1 : 1)));
    return {
      index,
      name: `t${index}`,
      classes: [2 * index, 2 * index + 1],
      train: prototypeImages(rng, perTask, active, prototypes),
      test: prototypeImages(rng, 64, active, prototypes),
    };
  });
  return {
    name: 'synthetic',
    inputShape: [SIDE, SIDE, 1],
    normalization: { mean: [0.5], std: [0.25] },
    tasks,
  };
}

export function syntheticConfig(
  strategy: string,
  extra: Record<string, unknown> = {},
): ExperimentConfig {
  const lr = { backboneFirstTask: 1e-2, backbone: 1e-2, head: 1e-2, bn: 1e-2 };
  return parseConfig(
    {
      strategy,
      model: { type: 'mlp', mlp: { hidden: [32, 32] } },
      train: { epochs: 3, batchSize: 32, evalBatchSize: 128, weightDecay: 0, lr },
      log: { tensorboard: false, report: false, progress: false, trainMetrics: false },
      ...extra,
    },
    'test',
  );
}

export function syntheticModel(
  config: ExperimentConfig,
  sequence: TaskSequence,
): Promise<ContinualModel> {
  const heads = new Scenario(config.data.scenario, sequence).headSizes();
  return createModel(config, sequence.inputShape, heads, new Rng(7));
}

/** runContinual's per-task hook order, without evaluation or logging, keeping the model alive. */
export async function trainTasks(
  strategy: Strategy,
  model: ContinualModel,
  sequence: TaskSequence,
  config: ExperimentConfig,
  tasks: readonly number[],
  rng = new Rng(3),
): Promise<void> {
  for (const task of tasks) {
    const ctx = strategyContext({ model, sequence, task, config, rng });
    await learnTask(ctx, strategy);
    await strategy.afterTask?.(ctx);
  }
}

/** All images of a set as one normalised batch. */
export function wholeBatch(images: LabelledImages, sequence: TaskSequence): tf.Tensor4D {
  const [batch] = [...batches(images, sequence.normalization, { batchSize: images.labels.length })];
  batch.y.dispose();
  return batch.x;
}

/** The head's logits on a set, on the host. */
export function headLogits(
  model: ContinualModel,
  sequence: TaskSequence,
  images: LabelledImages,
  task: number,
): Float32Array {
  return tf.tidy(
    () =>
      forward(
        model,
        wholeBatch(images, sequence),
        new Scenario('task', sequence).view(task, task),
        {
          training: false,
        },
      ).dataSync() as Float32Array,
  );
}

/** A projected layer's input rows and output (input·kernel) on a set, on the host. */
export function layerIo(
  model: ContinualModel,
  sequence: TaskSequence,
  images: LabelledImages,
  layerName: string,
): { input: Float32Array; output: Float32Array } {
  let input: Float32Array = new Float32Array(0);
  let output: Float32Array = new Float32Array(0);
  tf.tidy(() => {
    model.features(wholeBatch(images, sequence), {
      training: false,
      onLayerInput: (layer: ProjectedLayer, x: tf.Tensor) => {
        if (layer.name !== layerName) return;
        input = x.dataSync() as Float32Array;
        output = tf
          .matMul(x as tf.Tensor2D, layer.kernel as tf.Tensor2D)
          .dataSync() as Float32Array;
      },
    });
  });
  return { input, output };
}

/** ‖a − b‖ / ‖b‖. */
export function relativeChange(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let base = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    base += b[i] ** 2;
  }
  return Math.sqrt(diff / base);
}
