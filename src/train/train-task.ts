import * as tf from '@tensorflow/tfjs-core';
import { type Batch, batchCount, batches } from '../data/batches.js';
import type { HeadView } from '../data/scenario.js';
import type { Normalization } from '../data/task-sequence.js';
import type { EpochRecord } from '../metrics/run-results.js';
import { columnLabels, labelColumns, trainableFor, viewLogits } from '../models/continual-model.js';
import type { Parameter } from '../models/parameter.js';
import { ProjectedOptimizer } from '../nullspace/projected-optimizer.js';
import { correctCount, crossEntropy } from '../ops/loss.js';
import type { Strategy, StrategyContext, TrainingSet } from '../strategies/strategy.js';
import { type DivergencePlace, requireFinite } from '../util/divergence.js';
import type { Rng } from '../util/rng.js';
import { multiStepFactor } from './lr-schedule.js';

export type BatchProgress = {
  epoch: number;
  batch: number;
  batches: number;
  loss: number;
  accuracy: number;
  seconds: number;
  images: number;
};

export interface TaskTrainingOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly augment: boolean;
  readonly milestones: readonly number[];
  readonly gamma: number;
  readonly norm: Normalization;
  readonly onBatch?: (state: BatchProgress) => void;
  readonly onEpoch?: (record: EpochRecord) => void;
  /** Called after every step; throws to stop training (an interrupt). */
  readonly shouldStop?: () => void;
}

/** Batches of several sets, taken in turn, each tagged with the head it trains. */
function* interleave(
  sets: readonly TrainingSet[],
  norm: Normalization,
  batchSize: number,
  augment: boolean,
  rng: Rng,
): Generator<{ task: number; batch: Batch }> {
  const its = sets.map((s) => ({
    task: s.task,
    it: batches(s.images, norm, {
      batchSize,
      rng,
      shuffle: true,
      augment: augment ? { padding: 4, flip: true } : undefined,
    }),
  }));
  let live = its;
  while (live.length > 0) {
    const stillLive: typeof live = [];
    for (const entry of live) {
      const next = entry.it.next();
      if (next.done) continue;
      stillLive.push(entry);
      yield { task: entry.task, batch: next.value };
    }
    live = stillLive;
  }
}

/** What every step on one training set's head uses; fixed for the task. */
interface HeadStep {
  readonly view: HeadView;
  readonly params: Parameter[];
  readonly byName: ReadonlyMap<string, Parameter>;
  /** See labelColumns; disposed when the task's training ends. */
  readonly columns: tf.Tensor1D | null;
}

function headStep(ctx: StrategyContext, task: number): HeadStep {
  const view = ctx.scenario.view(task, ctx.task);
  const params = trainableFor(ctx.model, view.head);
  return {
    view,
    params,
    byName: new Map(params.map((p) => [p.variable.name, p])),
    columns: labelColumns(view),
  };
}

/** Trains one task for the configured epochs; the strategy's hooks shape loss and updates. */
export async function trainTask(
  ctx: StrategyContext,
  strategy: Strategy,
  optimizer: ProjectedOptimizer,
  options: TaskTrainingOptions,
): Promise<void> {
  const sets = strategy.trainingSets?.(ctx) ?? [
    { task: ctx.task, images: ctx.sequence.tasks[ctx.task].train },
  ];
  const totalBatches = sets.reduce(
    (a, s) => a + batchCount(s.images.labels.length, options.batchSize),
    0,
  );
  const heads = new Map<number, HeadStep>();
  for (const s of sets) if (!heads.has(s.task)) heads.set(s.task, headStep(ctx, s.task));
  try {
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      optimizer.setLrScale(multiStepFactor(epoch, options.milestones, options.gamma));
      const start = performance.now();
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      let b = 0;
      for (const { task, batch } of interleave(
        sets,
        options.norm,
        options.batchSize,
        options.augment,
        ctx.rng,
      )) {
        b++;
        const [loss, hits] = step(ctx, strategy, optimizer, heads.get(task)!, task, batch, {
          task: ctx.task,
          epoch,
          batch: b,
        });
        lossSum += loss * batch.size;
        correct += hits;
        seen += batch.size;
        // A step is synchronous work; yielding lets signal handlers (Ctrl-C) run between steps.
        await new Promise(setImmediate);
        options.shouldStop?.();
        options.onBatch?.({
          epoch,
          batch: b,
          batches: totalBatches,
          loss: lossSum / seen,
          accuracy: (100 * correct) / seen,
          seconds: (performance.now() - start) / 1000,
          images: seen,
        });
      }
      const seconds = (performance.now() - start) / 1000;
      options.onEpoch?.({
        task: ctx.task,
        epoch,
        loss: lossSum / seen,
        accuracy: (100 * correct) / seen,
        imagesPerSecond: seen / seconds,
        seconds,
      });
    }
  } finally {
    for (const h of heads.values()) h.columns?.dispose();
  }
}

/**
 * One optimisation step; returns the batch loss and number of correct predictions. A
 * non-finite loss or gradient stops the run before the step is applied.
 */
function step(
  ctx: StrategyContext,
  strategy: Strategy,
  optimizer: ProjectedOptimizer,
  head: HeadStep,
  task: number,
  batch: Batch,
  place: DivergencePlace,
): [number, number] {
  const { view, params, byName, columns } = head;
  let hits: tf.Scalar | null = null;
  const { value, grads } = tf.variableGrads(
    () => {
      const features = ctx.model.features(batch.x, { training: true });
      const logits = viewLogits(ctx.model, features, view);
      const labels = columnLabels(columns, batch.y);
      hits = tf.keep(correctCount(logits, labels));
      const ce = crossEntropy(logits, labels);
      const extra = strategy.penalty?.(ctx, { task, x: batch.x, features });
      return extra ? tf.add(ce, extra) : ce;
    },
    params.map((p) => p.variable),
  );
  // One read for the three numbers: every dataSync waits for the backend.
  const numbers = tf.tidy(() =>
    tf.stack([
      value,
      tf.cast(hits as unknown as tf.Scalar, 'float32'),
      tf.addN(Object.values(grads).map((g) => tf.sum(tf.square(g)))),
    ]),
  );
  const [loss, correct, gradSquares] = numbers.dataSync();
  numbers.dispose();
  try {
    requireFinite('the training loss', loss, place);
    requireFinite('the squared gradient norm', gradSquares, place);
    const gradByParam = new Map<Parameter, tf.Tensor>();
    for (const [name, g] of Object.entries(grads)) gradByParam.set(byName.get(name)!, g);
    optimizer.step(params, gradByParam);
  } finally {
    tf.dispose([value, hits as unknown as tf.Scalar, batch.x, batch.y, ...Object.values(grads)]);
  }
  return [loss, correct];
}

/** What a caller may watch while a task trains, and how it stops it. */
export type LearnCallbacks = Pick<TaskTrainingOptions, 'onBatch' | 'onEpoch' | 'shouldStop'>;

/**
 * The training half of a task as the run loop does it: the strategy's beforeTask, a fresh
 * optimizer (moments and LR schedule restart per task; the backbone has its own first-task LR)
 * whose final step goes through the strategy's transformUpdate, and the epochs.
 */
export async function learnTask(
  ctx: StrategyContext,
  strategy: Strategy,
  callbacks: LearnCallbacks = {},
): Promise<void> {
  const { config, task, sequence } = ctx;
  await strategy.beforeTask?.(ctx);
  const lr = config.train.lr;
  // Without a transform the optimizer steps kernels and biases apart, skipping the joint step.
  const optimizer = new ProjectedOptimizer(
    {
      ...config.train,
      type: config.train.optimizer,
      lr: { ...lr, backbone: task === 0 ? lr.backboneFirstTask : lr.backbone },
    },
    strategy.transformUpdate && ((p, s) => strategy.transformUpdate?.(ctx, p, s) ?? s),
  );
  try {
    await trainTask(ctx, strategy, optimizer, {
      ...config.train,
      augment: config.data.augment,
      norm: sequence.normalization,
      ...callbacks,
    });
  } finally {
    optimizer.dispose();
  }
}
