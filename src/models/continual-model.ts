import * as tf from '@tensorflow/tfjs-core';
import type { HeadView } from '../data/scenario.js';
import type { ForwardContext } from './layers.js';
import type { Parameter, ProjectedLayer } from './parameter.js';

/**
 * What the training loop and the strategies need of a model: a shared backbone with linear
 * heads (one per task, or one shared, as the scenario says), its parameters by group, its
 * projected layers by name, and non-trained state (BatchNorm running statistics) for
 * checkpoints.
 */
export interface ContinualModel {
  readonly name: string;
  readonly parameters: readonly Parameter[];
  readonly buffers: readonly tf.Variable[];
  readonly projectedLayers: readonly ProjectedLayer[];
  readonly featureSize: number;
  /** Backbone features [batch, featureSize]. */
  features(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D;
  /** Logits of head `head`. */
  logits(features: tf.Tensor2D, head: number): tf.Tensor2D;
  dispose(): void;
}

/** The logits that compete for a task's examples (see HeadView) for a batch of images. */
export function forward(
  model: ContinualModel,
  x: tf.Tensor4D,
  view: HeadView,
  ctx: ForwardContext,
): tf.Tensor2D {
  return viewLogits(model, model.features(x, ctx), view);
}

/** The head's logits, cut to the outputs the view lets compete. */
export function viewLogits(
  model: ContinualModel,
  features: tf.Tensor2D,
  view: HeadView,
): tf.Tensor2D {
  const all = model.logits(features, view.head);
  return view.outputs === all.shape[1] ? all : tf.slice(all, [0, 0], [-1, view.outputs]);
}

/** A task's local labels as the output columns of its view. */
export function viewLabels(view: HeadView, labels: tf.Tensor1D): tf.Tensor1D {
  return tf.tidy(() => columnLabels(labelColumns(view), labels));
}

/**
 * A view's label-to-column map as a tensor to gather by, or null where every label is its own
 * column. A loop over many batches of one view makes it once (and disposes it) rather than
 * uploading it per batch through viewLabels.
 */
export function labelColumns(view: HeadView): tf.Tensor1D | null {
  const identity = view.labels.every((column, l) => column === l);
  return identity ? null : tf.tensor1d(view.labels as number[], 'int32');
}

/** Local labels as output columns, given their view's labelColumns. */
export function columnLabels(columns: tf.Tensor1D | null, labels: tf.Tensor1D): tf.Tensor1D {
  return columns ? tf.gather(columns, labels) : labels;
}

/** The parameters a training step on head `head` updates: the shared ones and that head. */
export function trainableFor(model: ContinualModel, head: number): Parameter[] {
  return model.parameters.filter((p) => p.group !== 'head' || p.head === head);
}

export function disposeModel(model: Pick<ContinualModel, 'parameters' | 'buffers'>): void {
  for (const p of model.parameters) p.variable.dispose();
  for (const b of model.buffers) b.dispose();
}
