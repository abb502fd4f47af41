import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo } from '../backend/select-backend.js';
import type { ExperimentConfig } from '../config/schema.js';
import type { TaskSequence } from '../data/task-sequence.js';
import { ConsoleProgress } from '../logging/console-progress.js';
import { RunLogger } from '../logging/run-logger.js';
import {
  averageAccuracy,
  backwardTransfer,
  forgetting,
  forwardTransfer,
} from '../metrics/continual-metrics.js';
import type { RunResults } from '../metrics/run-results.js';
import { createModel } from '../models/create-model.js';
import { createStrategy } from '../strategies/registry.js';
import type { StrategyContext } from '../strategies/strategy.js';
import { Rng } from '../util/rng.js';
import { loadCheckpoint, loadModelWeights, modelWeights, saveCheckpoint } from './checkpoint.js';
import { evaluate } from './evaluate.js';
import { learnTask } from './train-task.js';

export interface RunOptions {
  readonly config: ExperimentConfig;
  readonly sequence: TaskSequence;
  readonly backend: BackendInfo;
  readonly outDir: string;
  /** Continue from outDir's checkpoint. */
  readonly resume?: boolean;
  /** Stop after this many tasks (tests use it to simulate an interrupted run). */
  readonly stopAfterTasks?: number;
  readonly log?: (line: string) => void;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function emptyResults(
  config: ExperimentConfig,
  sequence: TaskSequence,
  backend: BackendInfo,
): Mutable<RunResults> {
  return {
    name: config.name,
    strategy: config.strategy,
    backend: backend.name,
    taskNames: sequence.tasks.map((t) => t.name),
    accMatrix: [],
    initialAcc: sequence.tasks.map(() => null),
    trainLoss: [],
    trainAcc: [],
    ACC: null,
    BWT: null,
    FWT: null,
    forgetting: [],
    projection: [],
    taskSeconds: [],
    epochs: [],
  };
}

/**
 * Trains the sequence task by task with the configured strategy, evaluating every seen task
 * after each one and writing results, logs and a checkpoint. The loop knows no method: all
 * method-specific behaviour comes through the strategy's hooks.
 */
export async function runContinual(options: RunOptions): Promise<RunResults> {
  const { config, sequence, backend } = options;
  const log = options.log ?? (() => {});
  const rng = new Rng(config.seed);
  const model = createModel(config, sequence, rng.fork());
  const strategy = createStrategy(config);
  const logger = new RunLogger(options.outDir, config, config.log);
  let results = emptyResults(config, sequence, backend);
  let first = 0;
  let runRng = rng.fork();
  if (options.resume) {
    const cp = loadCheckpoint(options.outDir);
    loadModelWeights(model, cp.weights);
    results = cp.results as Mutable<RunResults>;
    runRng = new Rng(cp.rngState);
    await strategy.restore?.(cp.strategy, { model, sequence, config, rng: runRng });
    first = cp.completedTasks;
    log(`resuming after task ${first} of ${sequence.tasks.length}`);
  }
  const progress = config.log.progress ? new ConsoleProgress() : null;
  const last = Math.min(sequence.tasks.length, options.stopAfterTasks ?? Number.POSITIVE_INFINITY);
  try {
    for (let t = first; t < last; t++) {
      const ctx: StrategyContext = { model, sequence, task: t, config, rng: runRng };
      const start = performance.now();
      await learnTask(ctx, strategy, {
        onBatch: (s) =>
          progress?.update({
            task: t,
            tasks: sequence.tasks.length,
            epoch: s.epoch,
            epochs: config.train.epochs,
            batch: s.batch,
            batches: s.batches,
            loss: s.loss,
            accuracy: s.accuracy,
            imagesPerSecond: s.images / s.seconds,
            elapsedSeconds: s.seconds,
          }),
        onEpoch: (record) => {
          progress?.end();
          results.epochs.push(record);
          logger.epoch(record, results.epochs.length - 1);
        },
      });
      await evaluateSeen(ctx, results, logger);
      const records = await strategy.afterTask?.(ctx);
      results.projection[t] = records ?? [];
      results.taskSeconds[t] = (performance.now() - start) / 1000;
      summarise(results);
      logger.task(results, t);
      log(taskLine(results, t));
      saveCheckpoint(options.outDir, {
        completedTasks: t + 1,
        rngState: runRng.state(),
        results,
        strategy: strategy.snapshot?.() ?? null,
        weights: modelWeights(model),
      });
    }
  } finally {
    logger.close();
    strategy.dispose?.();
    model.dispose();
  }
  return results;
}

/** Test accuracy on every task so far, and (for the stability curve) train loss/accuracy. */
async function evaluateSeen(ctx: StrategyContext, results: Mutable<RunResults>, logger: RunLogger) {
  const { config, sequence, model, task: t } = ctx;
  const bs = config.train.evalBatchSize;
  const norm = sequence.normalization;
  results.accMatrix[t] = sequence.tasks.map(() => null);
  results.trainLoss[t] = sequence.tasks.map(() => null);
  results.trainAcc[t] = sequence.tasks.map(() => null);
  for (let j = 0; j <= t; j++) {
    const test = await evaluate(model, sequence.tasks[j].test, j, norm, bs);
    results.accMatrix[t][j] = test.accuracy;
    logger.evaluation(t, j, 'test', test.loss, test.accuracy);
    if (!config.log.trainMetrics) continue;
    const train = await evaluate(model, sequence.tasks[j].train, j, norm, bs);
    results.trainLoss[t][j] = train.loss;
    results.trainAcc[t][j] = train.accuracy;
    logger.evaluation(t, j, 'train', train.loss, train.accuracy);
  }
}

function summarise(results: Mutable<RunResults>): void {
  results.ACC = averageAccuracy(results.accMatrix);
  results.BWT = backwardTransfer(results.accMatrix);
  results.FWT = forwardTransfer(results.accMatrix, results.initialAcc);
  results.forgetting = forgetting(results.accMatrix);
}

function taskLine(results: RunResults, t: number): string {
  const accs = results.accMatrix[t]
    .slice(0, t + 1)
    .map((a) => (a ?? 0).toFixed(1))
    .join(' ');
  const fmt = (v: number | null) => (v === null ? '—' : v.toFixed(2));
  const mem = tf.memory();
  return `task ${t + 1}/${results.taskNames.length} done in ${results.taskSeconds[t].toFixed(1)}s: acc [${accs}]  ACC ${fmt(results.ACC)}  BWT ${fmt(results.BWT)}  (tensors ${mem.numTensors}, ${(mem.numBytes / 2 ** 20).toFixed(1)} MiB)`;
}
