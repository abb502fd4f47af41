/**
 * Model editing on a trained classifier: remap a few chosen inputs to new labels by changing one
 * Dense kernel with the closed form of ./edit-linear (AlphaEdit with projection, an unconstrained
 * MEMIT-style least-squares edit without). The keys are the layer's inputs on the chosen images;
 * the values are layer outputs, found by gradient descent, under which the task head predicts the
 * new labels.
 *
 * Limitation: target values are searched through "relu → task head", which is what follows the
 * last hidden Dense layer of the MLP (src/models/mlp.ts) and nothing else. Editing an earlier
 * layer, or a ResNet, would need the rest of the network as a function of the layer output, which
 * ContinualModel does not expose; those cases are refused rather than silently mis-edited.
 */
import * as tf from '@tensorflow/tfjs-core';
import { batches } from '../data/batches.js';
import { imageCount, type LabelledImages, selectImages } from '../data/images.js';
import type { Normalization } from '../data/task-sequence.js';
import { matmul, matmulNT, transpose } from '../linalg/dense.js';
import type { ContinualModel } from '../models/continual-model.js';
import type { ProjectedLayer } from '../models/parameter.js';
import { crossEntropy } from '../ops/loss.js';
import { editLinear } from './edit-linear.js';

/** Inputs of one Dense layer over a set of images, laid out as edit-linear's keys. */
export interface LayerInputs {
  /** d_in × count, row-major: column j is image j's input to the layer. */
  readonly keys: Float64Array;
  readonly dIn: number;
  readonly count: number;
}

/** The Dense layer `name` among the model's projected layers; convolutions are refused. */
export function denseLayer(model: ContinualModel, name: string): ProjectedLayer {
  const layer = model.projectedLayers.find((l) => l.name === name);
  if (!layer) {
    const names = model.projectedLayers.map((l) => l.name).join(', ');
    throw new Error(`model ${model.name} has no layer '${name}' (layers: ${names})`);
  }
  if (layer.geometry !== null || layer.kernel.shape.length !== 2) {
    throw new Error(`layer '${name}' is not a Dense layer; only Dense kernels can be edited`);
  }
  // The closed form edits W of x·W; a bias would need the keys extended by a constant 1.
  if (layer.bias)
    throw new Error(`layer '${name}' has a bias; only bias-free layers can be edited`);
  return layer;
}

/**
 * The layer whose output feeds relu → head directly: the last projected layer of an MLP. Only
 * there does targetValues know the rest of the network.
 */
export function lastHiddenDense(model: ContinualModel): ProjectedLayer {
  const layers = model.projectedLayers;
  if (layers.length === 0 || layers.some((l) => l.geometry !== null)) {
    throw new Error(`model ${model.name} is not an MLP; only MLP classifiers can be edited`);
  }
  return denseLayer(model, layers[layers.length - 1].name);
}

/** The input (key) of layer `layerName` for every image of the set, in eval mode. */
export function collectLayerInputs(
  model: ContinualModel,
  images: LabelledImages,
  norm: Normalization,
  layerName: string,
  batchSize: number,
): LayerInputs {
  const layer = denseLayer(model, layerName);
  const dIn = layer.inputSize;
  const count = imageCount(images);
  // Rows (one per image) are gathered as they come and turned into columns once at the end.
  const rows = new Float64Array(count * dIn);
  let filled = 0;
  for (const batch of batches(images, norm, { batchSize })) {
    tf.tidy(() => {
      model.features(batch.x, {
        training: false,
        onLayerInput: (l, input) => {
          if (l !== layer) return;
          rows.set(input.dataSync() as Float32Array, filled * dIn);
        },
      });
    });
    filled += batch.size;
    tf.dispose([batch.x, batch.y]);
  }
  return { keys: transpose(rows, count, dIn), dIn, count };
}

/** K·Kᵀ (d_in×d_in), the only statistic of the preserved keys that the edit needs. */
export function keyGram(inputs: LayerInputs): Float64Array {
  return matmulNT(inputs.keys, inputs.keys, inputs.dIn, inputs.count, inputs.dIn);
}

/**
 * E[kkᵀ] of the layer's inputs over several labelled sets (the preserved knowledge), with the
 * number of keys. AlphaEdit thresholds this second moment rather than the sum K0K0ᵀ, so that a
 * threshold means the same whatever the number of keys; the relative output change reported by
 * editClassifier is the same for either.
 */
export function preservedSecondMoment(
  model: ContinualModel,
  sets: readonly LabelledImages[],
  norm: Normalization,
  layerName: string,
  batchSize: number,
): { cov: Float64Array; count: number } {
  const dIn = denseLayer(model, layerName).inputSize;
  const cov = new Float64Array(dIn * dIn);
  let count = 0;
  for (const set of sets) {
    const inputs = collectLayerInputs(model, set, norm, layerName, batchSize);
    const gram = keyGram(inputs);
    for (let i = 0; i < gram.length; i++) cov[i] += gram[i];
    count += inputs.count;
  }
  if (count === 0) throw new Error('preservedSecondMoment: no preserved images');
  for (let i = 0; i < cov.length; i++) cov[i] /= count;
  return { cov, count };
}

/** Task-head predictions (local labels) for every image, in eval mode. */
export function predict(
  model: ContinualModel,
  images: LabelledImages,
  task: number,
  norm: Normalization,
  batchSize: number,
): Int32Array {
  const out = new Int32Array(imageCount(images));
  let filled = 0;
  for (const batch of batches(images, norm, { batchSize })) {
    const labels = tf.tidy(() =>
      tf.argMax(model.logits(model.features(batch.x, { training: false }), task), 1),
    );
    out.set(labels.dataSync() as Int32Array, filled);
    filled += batch.size;
    tf.dispose([labels, batch.x, batch.y]);
  }
  return out;
}

export interface TargetOptions {
  /** Gradient steps on the values (default 100). */
  readonly steps?: number;
  /** Adam learning rate on the values (default 0.05). */
  readonly lr?: number;
  /**
   * Stop once every edited input gets its new label with at least this probability (default
   * 0.9). Driving the loss to zero would only inflate V1 − WᵀK1, and with it the weight change
   * that spills onto inputs nobody meant to edit.
   */
  readonly targetProbability?: number;
}

/**
 * For each key, a layer output v (pre-activation, d_out) under which `task`'s head predicts the
 * new label: starting from the current output Wᵀk, Adam steps on CE(head(relu(v)), newLabel).
 * Starting from the current output keeps v close to it, so the weight change that realises v
 * stays small. Only valid for the last hidden Dense layer of an MLP (see the module comment).
 * Returns V, d_out × u row-major (column j for key j), as edit-linear expects.
 */
export function targetValues(
  model: ContinualModel,
  layer: ProjectedLayer,
  keys: LayerInputs,
  task: number,
  newLabels: readonly number[],
  options: TargetOptions = {},
): Float64Array {
  if (layer !== lastHiddenDense(model)) {
    throw new Error(
      `targetValues: '${layer.name}' is not the last hidden Dense layer of ${model.name}; ` +
        'only relu → head is modelled after the edited layer',
    );
  }
  if (newLabels.length !== keys.count) {
    throw new Error(`targetValues: ${keys.count} keys but ${newLabels.length} labels`);
  }
  const steps = options.steps ?? 100;
  const [, dOut] = kernelDims(layer);
  const start = tf.tidy(() => {
    const k = tf.tensor2d(Float32Array.from(transpose(keys.keys, keys.dIn, keys.count)), [
      keys.count,
      keys.dIn,
    ]);
    return tf.matMul(k, layer.kernel as tf.Tensor2D);
  });
  const v = tf.variable(start, true);
  const labels = tf.tensor1d(Int32Array.from(newLabels), 'int32');
  const optimizer = tf.train.adam(options.lr ?? 0.05);
  const logits = () => model.logits(tf.relu(v) as tf.Tensor2D, task);
  try {
    for (let s = 0; s < steps; s++) {
      if (minProbability(logits, labels) >= (options.targetProbability ?? 0.9)) break;
      const loss = optimizer.minimize(() => crossEntropy(logits(), labels), false, [v]);
      loss?.dispose();
    }
    return transpose(Float64Array.from(v.dataSync()), keys.count, dOut);
  } finally {
    optimizer.dispose();
    tf.dispose([start, v, labels]);
  }
}

/** The smallest probability any row gives its label. */
function minProbability(logits: () => tf.Tensor2D, labels: tf.Tensor1D): number {
  const p = tf.tidy(() => {
    const probs = tf.softmax(logits());
    return tf.min(tf.sum(tf.mul(probs, tf.oneHot(labels, probs.shape[1])), 1));
  });
  const value = p.dataSync()[0];
  p.dispose();
  return value;
}

export interface ClassifierEdit {
  /** Index into EditClassifierOptions.images. */
  readonly imageIndex: number;
  /** The task-local label the image should get. */
  readonly newLabel: number;
}

export interface EditClassifierOptions extends TargetOptions {
  /** Name of the Dense layer to edit; must be the MLP's last hidden layer. */
  readonly layer: string;
  /** Whose head the new labels are read by. */
  readonly task: number;
  readonly images: LabelledImages;
  readonly norm: Normalization;
  readonly edits: readonly ClassifierEdit[];
  /**
   * C0 = K0K0ᵀ of the keys whose outputs must not move (keyGram of collectLayerInputs). Needed
   * when projecting; without projection it is only used to report the preserved-output change.
   */
  readonly preservedCov?: Float64Array;
  readonly project: boolean;
  readonly threshold?: number;
  readonly l2?: number;
  /** For the forward passes (default 256). */
  readonly batchSize?: number;
}

export interface EditClassifierStats {
  readonly layer: string;
  readonly project: boolean;
  /** rank of the projector P: C0's null-space dimension, or d_in without projection. */
  readonly nullDim: number;
  readonly dIn: number;
  /** ‖ΔW‖_F of the change actually written to the (float32) kernel. */
  readonly deltaNorm: number;
  /** ‖ΔW‖_F / ‖W‖_F. */
  readonly relativeDelta: number;
  /** ‖(W+ΔW)ᵀK1 − V1‖ / ‖V1 − WᵀK1‖: how far the layer falls short of the target values. */
  readonly targetMiss: number;
  /** ‖ΔWᵀK0‖ / ‖WᵀK0‖ on the preserved keys; null without preservedCov. */
  readonly preservedChange: number | null;
}

/**
 * Edits `layer`'s kernel in place so the chosen images map to their new labels, and returns how
 * large the change was and how much it moved the preserved outputs. Snapshot the kernel first
 * (layer.kernel.dataSync()) to undo it.
 */
export function editClassifier(
  model: ContinualModel,
  options: EditClassifierOptions,
): EditClassifierStats {
  if (options.edits.length === 0) throw new Error('editClassifier: no edits given');
  const layer = denseLayer(model, options.layer);
  const [dIn, dOut] = kernelDims(layer);
  const batchSize = options.batchSize ?? 256;
  const chosen = selectImages(
    options.images,
    options.edits.map((e) => e.imageIndex),
  );
  const keys = collectLayerInputs(model, chosen, options.norm, layer.name, batchSize);
  const newLabels = options.edits.map((e) => e.newLabel);
  const values = targetValues(model, layer, keys, options.task, newLabels, options);
  const before = Float64Array.from(layer.kernel.dataSync());
  const result = editLinear(before, dOut, dIn, {
    keysNew: keys.keys,
    valuesNew: values,
    edits: keys.count,
    preservedCov: options.preservedCov,
    project: options.project,
    threshold: options.threshold,
    l2: options.l2,
    layout: 'in-out',
  });
  setKernel(layer, result.weights);
  const after = Float64Array.from(layer.kernel.dataSync());
  const delta = after.map((w, i) => w - before[i]);
  return {
    layer: layer.name,
    project: options.project,
    nullDim: result.nullDim,
    dIn,
    deltaNorm: frobenius(delta),
    relativeDelta: frobenius(delta) / frobenius(before),
    targetMiss: targetMiss(before, after, keys, values, dOut),
    preservedChange:
      options.preservedCov === undefined
        ? null
        : relativeOutputChange(before, delta, options.preservedCov, dIn, dOut),
  };
}

function kernelDims(layer: ProjectedLayer): [dIn: number, dOut: number] {
  const [dIn, dOut] = layer.kernel.shape as number[];
  return [dIn, dOut];
}

/** Writes float64 weights (in the kernel's own [d_in, d_out] layout) to the tfjs kernel. */
export function setKernel(layer: ProjectedLayer, weights: ArrayLike<number>): void {
  layer.kernel.assign(tf.tensor(Float32Array.from(weights), layer.kernel.shape));
}

/**
 * ‖ΔᵀK0‖_F / ‖WᵀK0‖_F from C0 = K0K0ᵀ alone, as sqrt(tr(ΔᵀC0Δ) / tr(WᵀC0W)); W and Δ are
 * [d_in, d_out]. Going through C0 costs d_in²·d_out instead of d_in·d_out·n0 per call.
 */
export function relativeOutputChange(
  W: Float64Array,
  delta: Float64Array,
  C0: Float64Array,
  dIn: number,
  dOut: number,
): number {
  const energy = (m: Float64Array) => {
    const cm = matmul(C0, m, dIn, dIn, dOut);
    let s = 0;
    for (let i = 0; i < m.length; i++) s += m[i] * cm[i];
    return Math.max(s, 0);
  };
  return Math.sqrt(energy(delta) / energy(W));
}

function targetMiss(
  before: Float64Array,
  after: Float64Array,
  keys: LayerInputs,
  values: Float64Array,
  dOut: number,
): number {
  // Kernels are [d_in, d_out], so the outputs Wᵀ·K1 are d_out × u.
  const outputs = (w: Float64Array) =>
    matmul(transpose(w, keys.dIn, dOut), keys.keys, dOut, keys.dIn, keys.count);
  const original = outputs(before);
  const edited = outputs(after);
  const wanted = frobenius(values.map((v, i) => v - original[i]));
  const missed = frobenius(values.map((v, i) => v - edited[i]));
  return wanted === 0 ? 0 : missed / wanted;
}

function frobenius(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * a[i];
  return Math.sqrt(s);
}
