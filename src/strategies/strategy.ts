import type * as tf from '@tensorflow/tfjs-core';
import type { ExperimentConfig } from '../config/schema.js';
import type { LabelledImages } from '../data/images.js';
import type { Scenario } from '../data/scenario.js';
import type { TaskSequence } from '../data/task-sequence.js';
import type { WorkMonitor } from '../logging/work-monitor.js';
import type { LayerProjectionRecord } from '../metrics/run-results.js';
import type { ContinualModel } from '../models/continual-model.js';
import type { Parameter } from '../models/parameter.js';
import type { Rng } from '../util/rng.js';

/** What every hook sees: the model, the sequence, the task at hand and the run's settings. */
export interface StrategyContext {
  readonly model: ContinualModel;
  readonly sequence: TaskSequence;
  /** Which head scores which task (scenario.view(task, learned)). */
  readonly scenario: Scenario;
  readonly task: number;
  readonly config: ExperimentConfig;
  readonly rng: Rng;
  /** A new model of the run's architecture (for frozen copies); the caller disposes it. */
  buildModel(): Promise<ContinualModel>;
  /** Where long work (the task boundary) reports its progress and timings. */
  readonly monitor: WorkMonitor;
}

/** A labelled set to train on and the task its labels belong to. */
export interface TrainingSet {
  readonly task: number;
  readonly images: LabelledImages;
}

/** One training batch as the step sees it, inside the gradient tape. */
export interface StepInputs {
  readonly task: number;
  readonly x: tf.Tensor4D;
  /** Backbone features of x under the current weights (training mode). */
  readonly features: tf.Tensor2D;
}

/**
 * A continual-learning method, plugged into the training loop through named hooks. The loop
 * calls them in this order per task: beforeTask, trainingSets, then per step penalty (extra
 * loss, inside the gradient tape) and transformUpdate (the optimiser's final step per
 * parameter), then afterTask (after evaluation). Every hook is optional.
 */
export interface Strategy {
  readonly name: string;
  beforeTask?(ctx: StrategyContext): void | Promise<void>;
  /** What to train on for this task; default: the task's own training split. */
  trainingSets?(ctx: StrategyContext): TrainingSet[];
  /** A scalar added to the cross-entropy of each step; created inside the tape so it is differentiated. */
  penalty?(ctx: StrategyContext, step: StepInputs): tf.Scalar | null;
  /** Rewrites a parameter's update direction (projection); return `step` to leave it. */
  transformUpdate?(ctx: StrategyContext, param: Parameter, step: tf.Tensor): tf.Tensor;
  /** Updates the method's memory from the finished task; may return per-layer projection records. */
  afterTask?(
    ctx: StrategyContext,
  ): LayerProjectionRecord[] | undefined | Promise<LayerProjectionRecord[] | undefined>;
  /** State to checkpoint (plain data and typed arrays) and to restore on --resume. */
  snapshot?(): unknown;
  restore?(snapshot: unknown, ctx: Omit<StrategyContext, 'task'>): void | Promise<void>;
  dispose?(): void;
}
