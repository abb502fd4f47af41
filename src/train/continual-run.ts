import * as tf from '@tensorflow/tfjs-core';
import type { BackendInfo } from '../backend/select-backend.js';
import type { ExperimentConfig } from '../config/schema.js';
import { Scenario } from '../data/scenario.js';
import { type TaskSequence, taskLabel } from '../data/task-sequence.js';
import { ConsoleProgress } from '../logging/console-progress.js';
import { RunLogger, type RunLoggerOptions } from '../logging/run-logger.js';
import { taskTag } from '../logging/tensorboard-run.js';
import { boundaryMonitor, type WorkMonitor } from '../logging/work-monitor.js';
import {
  averageAccuracy,
  backwardTransfer,
  forgetting,
  forwardTransfer,
} from '../metrics/continual-metrics.js';
import type { RunResults } from '../metrics/run-results.js';
import type { ContinualModel } from '../models/continual-model.js';
import '../registry/builtins.js';
import { createModel, createStrategy } from '../registry/components.js';
import type { Strategy, StrategyContext } from '../strategies/strategy.js';
import { DivergenceError } from '../util/divergence.js';
import { Rng } from '../util/rng.js';
import {
  CheckpointError,
  type CheckpointState,
  loadCheckpoint,
  loadModelWeights,
  modelWeights,
  saveCheckpoint,
} from './checkpoint.js';
import { evaluate } from './evaluate.js';
import { type ConfigChange, claimRunFolder, RunFolderError } from './run-folder.js';
import { strategyContext } from './strategy-context.js';
import { learnTask } from './train-task.js';

export interface RunOptions {
  readonly config: ExperimentConfig;
  readonly sequence: TaskSequence;
  readonly backend: BackendInfo;
  readonly outDir: string;
  /**
   * Continue outDir's run after its checkpoint: `true` loads (and verifies) it, or pass one
   * already loaded. The caller has checked that the config may continue that run.
   */
  readonly resume?: boolean | CheckpointState;
  /** Settings changed on resume (they cannot change results), for the run's history. */
  readonly changes?: readonly ConfigChange[];
  /** A new run replaces the run outDir holds. */
  readonly replace?: boolean;
  /** Continue a run on another backend than it started on (its numbers will differ). */
  readonly allowBackendChange?: boolean;
  /** Stop after this many tasks (tests use it to simulate an interrupted run). */
  readonly stopAfterTasks?: number;
  /** Aborting it stops the run after the current step, as `interrupted`. */
  readonly signal?: AbortSignal;
  /** A sweep run's grid values and group, for TensorBoard's HParams tab. */
  readonly hparams?: RunLoggerOptions['hparams'];
  readonly log?: (line: string) => void;
}

/** The run was stopped on request; its folder holds the last checkpoint, ready to resume. */
export class RunInterrupted extends Error {
  constructor(
    readonly outDir: string,
    readonly completedTasks: number,
  ) {
    super(`interrupted; ${outDir}/checkpoint holds the run after task ${completedTasks}`);
  }
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
    status: 'running',
    sequence: {
      name: sequence.name,
      scenario: config.data.scenario,
      inputShape: [...sequence.inputShape],
      normalization: sequence.normalization,
      tasks: sequence.tasks.map((t) => ({
        classes: t.classes,
        classNames: t.classNames,
        trainImages: t.train.labels.length,
        testImages: t.test.labels.length,
      })),
    },
    taskNames: sequence.tasks.map((t) => taskLabel(t)),
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

/** Everything the loop holds for one run. */
interface RunState {
  readonly model: ContinualModel;
  readonly strategy: Strategy;
  readonly scenario: Scenario;
  results: Mutable<RunResults>;
  /** A copy of `results` as the last checkpoint holds them: what an interrupted run goes back to. */
  checkpointed: Mutable<RunResults> | null;
  rng: Rng;
  completedTasks: number;
}

/**
 * Trains the sequence task by task with the configured strategy, evaluating every seen task
 * after each one and writing results, logs and a checkpoint (also one before the first task,
 * so a run killed at any moment can be resumed). The loop knows no method: all method-specific
 * behaviour comes through the strategy's hooks.
 */
export async function runContinual(options: RunOptions): Promise<RunResults> {
  const { config, sequence, backend, outDir } = options;
  const log = options.log ?? (() => {});
  const checkpoint = options.resume === true ? loadCheckpoint(outDir) : options.resume || null;
  if (checkpoint) checkResumable(checkpoint, options);
  const state = await startState(options, checkpoint);
  if (checkpoint && state.completedTasks === sequence.tasks.length) {
    log(`all ${sequence.tasks.length} tasks of ${outDir} are done; nothing to resume`);
    disposeState(state);
    return state.results;
  }
  // Every check has passed: only now does the run touch its folder.
  claimRunFolder(
    outDir,
    config,
    {
      event: checkpoint ? 'resumed' : 'started',
      at: new Date().toISOString(),
      backend: backend.name,
      fromTask: state.completedTasks,
      ...(options.changes?.length ? { changes: options.changes } : {}),
    },
    options.replace === true && !checkpoint,
  );
  const taskTags = sequence.tasks.map((t) => taskTag(t.index, taskLabel(t)));
  const logger = new RunLogger(
    outDir,
    config,
    { ...config.log, hparams: options.hparams },
    taskTags,
    checkpoint?.logs,
  );
  if (checkpoint) log(`resuming after task ${state.completedTasks} of ${sequence.tasks.length}`);
  try {
    await trainTasks(options, state, logger, log);
    const done = state.completedTasks === sequence.tasks.length;
    state.results.status = done ? 'completed' : 'interrupted';
    logger.status(state.results);
    if (done) logger.end('success');
    return state.results;
  } catch (err) {
    recordFailure(err, state, logger);
    throw err;
  } finally {
    logger.close();
    disposeState(state);
  }
}

function checkResumable(checkpoint: CheckpointState, options: RunOptions): void {
  const tasks = options.sequence.tasks.length;
  if (checkpoint.completedTasks > tasks) {
    throw new CheckpointError(
      `${options.outDir}/checkpoint says ${checkpoint.completedTasks} tasks are done, but the sequence has ${tasks}: it belongs to another run`,
    );
  }
  const was = (checkpoint.results as RunResults).backend;
  if (was !== options.backend.name && !options.allowBackendChange) {
    throw new RunFolderError(
      `${options.outDir} ran on the ${was} backend; continuing on ${options.backend.name} would change its numbers. Pass --backend ${was}, or --allow-backend-change to continue anyway`,
    );
  }
}

async function startState(
  options: RunOptions,
  checkpoint: CheckpointState | null,
): Promise<RunState> {
  const { config, sequence, backend } = options;
  const rng = new Rng(config.seed);
  const scenario = new Scenario(config.data.scenario, sequence);
  const model = await createModel(config, sequence.inputShape, scenario.headSizes(), rng.fork());
  const state: RunState = {
    model,
    strategy: createStrategy(config),
    scenario,
    results: emptyResults(config, sequence, backend),
    checkpointed: null,
    rng: rng.fork(),
    completedTasks: 0,
  };
  if (!checkpoint) return state;
  try {
    loadModelWeights(model, checkpoint.weights);
    state.results = checkpoint.results as Mutable<RunResults>;
    state.checkpointed = structuredClone(state.results);
    state.results.status = 'running';
    state.rng = new Rng(checkpoint.rngState);
    state.completedTasks = checkpoint.completedTasks;
    await state.strategy.restore?.(checkpoint.strategy, contextAt(options, state, 0));
  } catch (err) {
    disposeState(state);
    throw err;
  }
  return state;
}

function disposeState(state: RunState): void {
  state.strategy.dispose?.();
  state.model.dispose();
}

function contextAt(
  options: RunOptions,
  state: RunState,
  task: number,
  monitor?: WorkMonitor,
): StrategyContext {
  const { config, sequence } = options;
  const { model, scenario, rng } = state;
  return strategyContext({ model, sequence, config, task, rng, scenario, monitor });
}

async function trainTasks(
  options: RunOptions,
  state: RunState,
  logger: RunLogger,
  log: (line: string) => void,
): Promise<void> {
  const { config, sequence, outDir } = options;
  const progress = config.log.progress ? new ConsoleProgress() : null;
  const checkpoint = () => {
    saveCheckpoint(outDir, {
      completedTasks: state.completedTasks,
      rngState: state.rng.state(),
      results: state.results,
      strategy: state.strategy.snapshot?.() ?? null,
      weights: modelWeights(state.model),
      logs: logger.positions(),
    });
    state.checkpointed = structuredClone(state.results);
  };
  // Any checkpoint, even one taken before the first task, already holds the initial evaluation.
  if (!options.resume) {
    await evaluateInitial(contextAt(options, state, 0), state.results, logger);
    logger.results(state.results);
    checkpoint();
  }
  const last = Math.min(sequence.tasks.length, options.stopAfterTasks ?? Number.POSITIVE_INFINITY);
  for (let t = state.completedTasks; t < last; t++) {
    const monitor = boundaryMonitor(t, { progress, record: (r) => logger.record(r) });
    const ctx = contextAt(options, state, t, monitor);
    const start = performance.now();
    await learnTask(ctx, state.strategy, {
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
        state.results.epochs.push(record);
        logger.epoch(record, state.results.epochs.length);
      },
      shouldStop: () => {
        if (options.signal?.aborted) throw new RunInterrupted(outDir, state.completedTasks);
      },
    });
    await evaluateSeen(ctx, state.results, logger);
    const final = t === sequence.tasks.length - 1 && !config.train.extendable;
    // Nothing learns after the last task, so its boundary is skipped unless asked for.
    const records = final ? undefined : await state.strategy.afterTask?.(ctx);
    state.results.projection[t] = records ?? [];
    state.results.taskSeconds[t] = (performance.now() - start) / 1000;
    summarise(state.results);
    state.completedTasks = t + 1;
    logger.task(state.results, t);
    log(taskLine(state.results, t));
    checkpoint();
  }
}

/**
 * Marks the run's record with how it ended. A diverged or failed run keeps the numbers it
 * had and says why; an interrupted one goes back to its last checkpoint's record.
 */
function recordFailure(err: unknown, state: RunState, logger: RunLogger): void {
  const results = state.results;
  if (err instanceof DivergenceError) {
    err.place.task ??= state.completedTasks;
    results.status = 'diverged';
    results.divergence = { quantity: err.quantity, value: err.value, ...err.place };
    logger.record({ type: 'diverged', ...results.divergence, message: err.message });
    logger.end('failure');
  } else if (err instanceof RunInterrupted) {
    // Training, the only place that stops on request, starts after the first checkpoint.
    const saved = state.checkpointed ?? results;
    saved.status = 'interrupted';
    logger.status(saved);
    return;
  } else {
    results.status = 'failed';
    results.error = err instanceof Error ? err.message : String(err);
    logger.end('failure');
  }
  logger.results(results);
}

/**
 * Every task's test accuracy under the freshly initialised model, the baseline of forward
 * transfer (Lopez-Paz & Ranzato 2017), each scored as it will be when its training starts.
 */
async function evaluateInitial(
  ctx: StrategyContext,
  results: Mutable<RunResults>,
  logger: RunLogger,
): Promise<void> {
  const { model, scenario, sequence, config } = ctx;
  for (const [j, task] of sequence.tasks.entries()) {
    const view = scenario.view(j, j);
    const test = await evaluate(
      model,
      task.test,
      view,
      sequence.normalization,
      config.train.evalBatchSize,
    );
    results.initialAcc[j] = test.accuracy;
    logger.evaluation(null, j, 'test', test, 0);
  }
}

/**
 * Test accuracy on every task so far and on the next one (before it is trained: forward
 * transfer), and, for the stability curve, train loss/accuracy of the tasks so far.
 */
async function evaluateSeen(ctx: StrategyContext, results: Mutable<RunResults>, logger: RunLogger) {
  const { config, sequence, model, scenario, task: t } = ctx;
  const bs = config.train.evalBatchSize;
  const norm = sequence.normalization;
  results.accMatrix[t] = sequence.tasks.map(() => null);
  results.trainLoss[t] = sequence.tasks.map(() => null);
  results.trainAcc[t] = sequence.tasks.map(() => null);
  const upTo = Math.min(t + 1, sequence.tasks.length - 1);
  for (let j = 0; j <= upTo; j++) {
    const view = scenario.view(j, t);
    const step = results.epochs.length;
    const test = await evaluate(model, sequence.tasks[j].test, view, norm, bs);
    results.accMatrix[t][j] = test.accuracy;
    logger.evaluation(t, j, 'test', test, step);
    if (!config.log.trainMetrics || j > t) continue;
    const train = await evaluate(model, sequence.tasks[j].train, view, norm, bs);
    results.trainLoss[t][j] = train.loss;
    results.trainAcc[t][j] = train.accuracy;
    logger.evaluation(t, j, 'train', train, step);
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
  return `task ${t + 1}/${results.taskNames.length} done in ${results.taskSeconds[t].toFixed(1)}s: acc [${accs}]  ACC ${fmt(results.ACC)}  BWT ${fmt(results.BWT)}  FWT ${fmt(results.FWT)}  (tensors ${mem.numTensors}, ${(mem.numBytes / 2 ** 20).toFixed(1)} MiB)`;
}
