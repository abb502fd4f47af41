import type * as tf from '@tensorflow/tfjs-core';
import type { ForwardContext } from './layers.js';
import type { Parameter, ProjectedLayer } from './parameter.js';

/**
 * What the training loop and the strategies need of a model: a shared backbone with one head
 * per task (task-incremental), its parameters by group, its projected layers by name, and
 * non-trained state (BatchNorm running statistics) for checkpoints.
 */
export interface ContinualModel {
  readonly name: string;
  readonly parameters: readonly Parameter[];
  readonly buffers: readonly tf.Variable[];
  readonly projectedLayers: readonly ProjectedLayer[];
  readonly featureSize: number;
  /** Backbone features [batch, featureSize]. */
  features(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D;
  /** Logits of task `task`'s head. */
  logits(features: tf.Tensor2D, task: number): tf.Tensor2D;
  dispose(): void;
}

/** Logits of one task's head for a batch of images. */
export function forward(
  model: ContinualModel,
  x: tf.Tensor4D,
  task: number,
  ctx: ForwardContext,
): tf.Tensor2D {
  return model.logits(model.features(x, ctx), task);
}

/** The parameters a task's training step updates: the shared ones and that task's head. */
export function trainableFor(model: ContinualModel, task: number): Parameter[] {
  return model.parameters.filter((p) => p.group !== 'head' || p.task === task);
}

export function disposeModel(model: Pick<ContinualModel, 'parameters' | 'buffers'>): void {
  for (const p of model.parameters) p.variable.dispose();
  for (const b of model.buffers) b.dispose();
}
