/**
 * What the bench parts run: the models, synthetic data and the timed training loop, shared by
 * the parts of run-bench and the same-session comparisons of compare.ts.
 */

import type { LabelledImages } from '../data/images.js';
import type { Normalization, TaskSequence } from '../data/task-sequence.js';
import type { ContinualModel } from '../models/continual-model.js';
import { createMlp } from '../models/mlp.js';
import { createResNet18 } from '../models/resnet18.js';
import type { CovarianceMode } from '../nullspace/layer-inputs.js';
import { ProjectedOptimizer, type UpdateTransform } from '../nullspace/projected-optimizer.js';
import { ProjectionState } from '../nullspace/projection-state.js';
import { parseConfig } from '../registry/experiment-config.js';
import type { Strategy } from '../strategies/strategy.js';
import { strategyContext } from '../train/strategy-context.js';
import { trainTask } from '../train/train-task.js';
import { Rng } from '../util/rng.js';

export type Shape = [number, number, number];

/** A bench model: the built-in ResNet-18 of some width or MLP, with one 10-class head. */
export interface ModelFields {
  readonly model: 'resnet18' | 'mlp';
  readonly width?: number;
  readonly hidden?: number[];
  readonly shape: Shape;
}

export const MODELS: Record<string, ModelFields> = {
  'resnet18-w64': { model: 'resnet18', width: 64, shape: [32, 32, 3] },
  'resnet18-w20': { model: 'resnet18', width: 20, shape: [32, 32, 3] },
  'mlp-784-400-400': { model: 'mlp', hidden: [400, 400], shape: [28, 28, 1] },
};

export function buildModel(fields: ModelFields, rng: Rng): ContinualModel {
  const [h, w, c] = fields.shape;
  return fields.model === 'mlp'
    ? createMlp({ inputSize: h * w * c, hidden: fields.hidden!, classesPerTask: [10] }, rng)
    : createResNet18({ inputChannels: c, baseWidth: fields.width!, classesPerTask: [10] }, rng);
}

const NORM_1: Normalization = { mean: [0.5], std: [0.25] };
const NORM_3: Normalization = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };

export function randomImages(
  count: number,
  [h, w, c]: readonly number[],
  rng: Rng,
): LabelledImages {
  const pixels = new Uint8Array(count * h * w * c);
  for (let i = 0; i < pixels.length; i++) pixels[i] = rng.nextUint32() & 0xff;
  const labels = Int32Array.from({ length: count }, () => rng.nextUint32() % 10);
  return { pixels, labels, height: h, width: w, channels: c };
}

export function syntheticSequence(images: LabelledImages): TaskSequence {
  const c = images.channels;
  return {
    name: 'synthetic',
    inputShape: [images.height, images.width, c],
    normalization: c === 1 ? NORM_1 : NORM_3,
    tasks: [
      { index: 0, name: 'synthetic', classes: [...Array(10).keys()], train: images, test: images },
    ],
  };
}

export function adamConfig(transform?: UpdateTransform): ProjectedOptimizer {
  return new ProjectedOptimizer(
    {
      type: 'adam',
      lr: { backbone: 1e-4, bn: 5e-4, head: 1e-3 },
      weightDecay: 5e-5,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      momentum: 0,
    },
    transform,
  );
}

/**
 * One epoch of the real training loop over `images` (trainTask: host batches, loss, gradients,
 * optimizer step), calling `onBatch` after each step.
 */
export function trainEpoch(
  model: ContinualModel,
  images: LabelledImages,
  batchSize: number,
  optimizer: ProjectedOptimizer,
  onBatch?: () => void,
): Promise<void> {
  const sequence = syntheticSequence(images);
  const config = parseConfig({}, 'bench');
  const ctx = strategyContext({ model, sequence, task: 0, config, rng: new Rng(1) });
  const strategy: Strategy = { name: 'bench' };
  return trainTask(ctx, strategy, optimizer, {
    epochs: 1,
    batchSize,
    augment: false,
    milestones: [],
    gamma: 1,
    norm: sequence.normalization,
    onBatch,
  });
}

/** Trains one epoch of warmup + steps batches (trainEpoch) and times the batches after the warm-up. */
export async function timedSteps(
  model: ContinualModel,
  images: LabelledImages,
  batchSize: number,
  optimizer: ProjectedOptimizer,
  warmup: number,
  maxStepSeconds: number,
): Promise<{
  imagesPerSecond: number;
  secondsPerStep: number;
  cpuSecondsPerStep: number;
  steps: number;
  /** Wall seconds of each timed step. */
  stepSeconds: number[];
}> {
  const marks: { wall: number; cpu: number }[] = [];
  const start = performance.now();
  await trainEpoch(model, images, batchSize, optimizer, () => {
    const cpu = process.cpuUsage();
    marks.push({ wall: performance.now(), cpu: (cpu.user + cpu.system) / 1e6 });
    const first = (marks[0].wall - start) / 1000;
    // Throwing out of onBatch ends trainTask after the step has cleaned up its tensors.
    if (marks.length === 1 && first > maxStepSeconds) throw new TooSlow(first);
  });
  const steps = marks.length - warmup;
  const [from, to] = [marks[warmup - 1], marks[marks.length - 1]];
  const seconds = (to.wall - from.wall) / 1000;
  return {
    imagesPerSecond: (steps * batchSize) / seconds,
    secondsPerStep: seconds / steps,
    // CPU time is what other load on a shared machine inflates least.
    cpuSecondsPerStep: (to.cpu - from.cpu) / steps,
    steps,
    stepSeconds: marks.slice(warmup).map((m, i) => (m.wall - marks[warmup + i - 1].wall) / 1000),
  };
}

export class TooSlow extends Error {
  constructor(readonly firstStepSeconds: number) {
    super(`first step took ${firstStepSeconds.toFixed(0)} s`);
  }
}

/** A covariance pass (ProjectionState.accumulate) over `images`; the state and its seconds. */
export function timedCovariancePass(
  model: ContinualModel,
  images: LabelledImages,
  covarianceMode: CovarianceMode,
  batchSize: number,
): { state: ProjectionState; seconds: number } {
  const state = new ProjectionState({
    rule: { kind: 'relative', a: 10 },
    normalize: true,
    covarianceMode,
    batchSize,
  });
  const start = performance.now();
  state.accumulate(model, images, syntheticSequence(images).normalization);
  return { state, seconds: (performance.now() - start) / 1000 };
}
