import type { LayersModel, LayerVariable, layers } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import { conv2d } from '../ops/conv2d.js';
import type { PatchGeometry } from '../ops/patch-geometry.js';
import type { Rng } from '../util/rng.js';
import { type ContinualModel, disposeModel } from './continual-model.js';
import { headAt, LinearHeads } from './heads.js';
import type { ForwardContext, LayerInputHook } from './layers.js';
import {
  type Parameter,
  type ParamGroup,
  type ProjectedLayer,
  projectedKernel,
} from './parameter.js';

type Layer = layers.Layer;

export interface LayersModelOptions {
  /** Outputs of each head to create (the model factory's `classesPerTask`). */
  readonly classesPerTask: readonly number[];
  /** Draws the default linear heads' initial weights. */
  readonly rng: Rng;
  /** The model's name in logs and results; default: the backbone's. */
  readonly name?: string;
  /**
   * Layers with trainable weights that projection cannot cover (Conv1D, DepthwiseConv2D,
   * SeparableConv2D, Conv2DTranspose, Embedding, recurrent layers…): 'error' (the default)
   * refuses them by name; 'train' trains them as unprotected backbone parameters.
   */
  readonly unprojected?: 'error' | 'train';
  /**
   * Builds head `head`: a model from [batch, featureSize] features to [batch, outputs] logits.
   * Its trainable weights are that head's parameters, its other weights buffers; it runs in
   * inference mode. Default: one linear head per entry of classesPerTask, drawn from `rng`.
   */
  readonly heads?: (head: number, outputs: number, featureSize: number) => LayersModel;
}

/**
 * A ContinualModel over a tf.LayersModel backbone (sequential or functional) whose output is
 * [batch, features], with per-task heads after it. Every trainable Dense and Conv2D layer is a
 * projected layer named after the user's layer, its bias the weight of a constant-1 input;
 * BatchNormalization and LayerNormalization scales and offsets form the 'bn' group; every
 * non-trainable weight (moving statistics, frozen layers) is a buffer. The backbone belongs to
 * the model from then on: build a new one for every call, and let dispose() release it.
 */
export function fromLayersModel(
  backbone: LayersModel,
  options: LayersModelOptions,
): ContinualModel {
  const featureSize = backboneFeatures(backbone);
  const flatInput = backbone.inputs[0].shape.length === 2;
  // Everything that can refuse the backbone runs before any of its layers is taken over, so
  // a refused backbone can be passed again with other options.
  const plan = planBackbone(backbone, options.unprojected ?? 'error');
  const heads = options.heads
    ? modelHeads(featureSize, options.classesPerTask, options.heads)
    : linearHeads(featureSize, options.classesPerTask, options.rng);
  let hook: LayerInputHook | undefined;
  const parts = takeOver(plan, (layer, input) => hook?.(layer, input));
  return {
    name: options.name ?? backbone.name,
    parameters: [...parts.parameters, ...heads.parameters],
    buffers: [...parts.buffers, ...heads.buffers],
    projectedLayers: parts.projected,
    featureSize,
    features(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D {
      // tfjs-layers hands `training` to every layer (BatchNorm statistics, Dropout); the
      // projected layers' wrapped calls report their inputs to the hook of this pass only.
      hook = ctx.onLayerInput;
      try {
        const input = flatInput ? tf.reshape(x, [x.shape[0], -1]) : x;
        return backbone.apply(input, { training: ctx.training }) as tf.Tensor2D;
      } finally {
        hook = undefined;
      }
    },
    logits: heads.logits,
    dispose() {
      backbone.dispose();
      heads.dispose();
    },
  };
}

/** The backbone's feature width; it must map one input to one [batch, features] output. */
function backboneFeatures(backbone: LayersModel): number {
  const name = backbone.name;
  if (!backbone.inputs?.length) {
    throw new Error(`backbone ${name} is not built: give its first layer an inputShape`);
  }
  if (backbone.inputs.length !== 1 || backbone.outputs.length !== 1) {
    throw new Error(`backbone ${name} must have one input and one output`);
  }
  const inputRank = backbone.inputs[0].shape.length;
  if (inputRank !== 4 && inputRank !== 2) {
    throw new Error(
      `backbone ${name} takes ${shapeText(backbone.inputs[0].shape)}; images come as [batch, height, width, channels] (or flattened, [batch, pixels])`,
    );
  }
  const out = backbone.outputs[0].shape;
  if (out.length !== 2 || out[1] === null) {
    throw new Error(
      `backbone ${name} outputs ${shapeText(out)}, not [batch, features]: end it with tf.layers.flatten() or tf.layers.globalAveragePooling2d()`,
    );
  }
  return out[1];
}

function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map((d) => d ?? 'batch').join(', ')}]`;
}

interface Collected {
  readonly parameters: Parameter[];
  readonly buffers: tf.Variable[];
  readonly projected: ProjectedLayer[];
}

/** What becomes of a layer's trainable weights. */
type Role =
  | { readonly kind: 'none' }
  | { readonly kind: 'dense' }
  | { readonly kind: 'conv'; readonly geometry: PatchGeometry }
  | { readonly kind: 'plain'; readonly group: ParamGroup };

interface PlannedLayer {
  readonly layer: Layer;
  readonly name: string;
  readonly role: Role;
}

const NORMALIZATION = new Set(['BatchNormalization', 'LayerNormalization']);

function planBackbone(backbone: LayersModel, unprojected: 'error' | 'train'): PlannedLayer[] {
  const plan: PlannedLayer[] = [];
  const refused: string[] = [];
  for (const [layer, name] of layerNames(backbone)) {
    const role = roleOf(layer, name, unprojected);
    if (role) plan.push({ layer, name, role });
    else refused.push(`${name} (${layer.getClassName()})`);
  }
  if (refused.length > 0) {
    throw new Error(
      `layers ${refused.join(', ')} of backbone ${backbone.name} have trainable weights that null-space projection cannot protect (it covers Dense and Conv2D); pass unprojected: 'train' to train them unprotected, or freeze them (layer.trainable = false)`,
    );
  }
  return plan;
}

/** null when the layer's weights can be neither projected nor, under the option, trained plainly. */
function roleOf(layer: Layer, name: string, unprojected: 'error' | 'train'): Role | null {
  if (layer.trainableWeights.length === 0) return { kind: 'none' };
  const cls = layer.getClassName();
  if (cls === 'Dense') return { kind: 'dense' };
  if (cls === 'Conv2D') return { kind: 'conv', geometry: convGeometry(layer, name) };
  if (NORMALIZATION.has(cls)) return { kind: 'plain', group: 'bn' };
  return unprojected === 'train' ? { kind: 'plain', group: 'backbone' } : null;
}

/** Claims the planned layers, hooks the projected ones and lists their weights. */
function takeOver(plan: readonly PlannedLayer[], onInput: LayerInputHook): Collected {
  const out: Collected = { parameters: [], buffers: [], projected: [] };
  for (const { layer, name, role } of plan) {
    out.buffers.push(...claim(layer));
    if (role.kind === 'plain') out.parameters.push(...plainParameters(layer, name, role.group));
    if (role.kind !== 'dense' && role.kind !== 'conv') continue;
    const projected =
      role.kind === 'dense'
        ? hookDense(layer, name, onInput)
        : hookConv(layer, name, role.geometry, onInput);
    out.projected.push(projected);
    out.parameters.push(...projectedParameters(projected));
  }
  return out;
}

const claimed = new WeakSet<Layer>();

/** Marks the layer as this model's and returns its non-trainable weights, the model's buffers. */
function claim(layer: Layer): tf.Variable[] {
  claimed.add(layer);
  return layer.nonTrainableWeights.map((w) => variableOf(w));
}

/**
 * The model's leaf layers (nested models opened) with the names the projection uses. A layer
 * already taken over by another model is refused: the two would share its variables.
 */
function layerNames(model: LayersModel): Map<Layer, string> {
  const leaves = [...new Set(leafLayers(model))];
  for (const layer of leaves) {
    if (claimed.has(layer)) {
      throw new Error(
        `layer ${layer.name} of ${model.name} already belongs to a model made by fromLayersModel: build a new tf.LayersModel for every model (LwF, for one, builds a second model through the factory)`,
      );
    }
  }
  return stableNames(leaves);
}

function leafLayers(model: LayersModel): Layer[] {
  return model.layers.flatMap((layer) =>
    'layers' in layer ? leafLayers(layer as unknown as LayersModel) : [layer],
  );
}

/**
 * tfjs names an unnamed layer from a process-wide counter (conv2d_Conv2D7), so a model built
 * again (LwF's copy, a resumed run) would name it differently and miss its saved covariance.
 * Such layers are numbered within the model instead (conv2d_1, conv2d_2…); given names stay.
 */
function stableNames(leaves: readonly Layer[]): Map<Layer, string> {
  const counts = new Map<string, number>();
  const names = new Map<Layer, string>();
  for (const layer of leaves) {
    const auto = new RegExp(`^(\\w+)_${layer.getClassName()}\\d+$`).exec(layer.name);
    if (!auto) {
      names.set(layer, layer.name);
      continue;
    }
    const count = (counts.get(auto[1]) ?? 0) + 1;
    counts.set(auto[1], count);
    names.set(layer, `${auto[1]}_${count}`);
  }
  const seen = new Set<string>();
  for (const name of names.values()) {
    if (seen.has(name)) throw new Error(`two layers are called ${name}: give them distinct names`);
    seen.add(name);
  }
  return names;
}

/** The fields of tfjs-layers' Dense and Conv2D (protected in its typings) the projection reads. */
interface WeightedLayer {
  readonly kernel: LayerVariable;
  readonly bias: LayerVariable | null;
  readonly activation: { apply(x: tf.Tensor): tf.Tensor };
}

function weightsOf(layer: Layer): { kernel: tf.Variable; bias?: tf.Variable } {
  const { kernel, bias } = layer as unknown as WeightedLayer;
  return bias
    ? { kernel: variableOf(kernel), bias: variableOf(bias) }
    : { kernel: variableOf(kernel) };
}

function single(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
  return Array.isArray(inputs) ? inputs[0] : inputs;
}

function hookDense(layer: Layer, name: string, onInput: LayerInputHook): ProjectedLayer {
  const { kernel, bias } = weightsOf(layer);
  const projected: ProjectedLayer = {
    name,
    kernel,
    bias,
    geometry: null,
    inputSize: kernel.shape[0] + (bias ? 1 : 0),
  };
  const call = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    onInput(projected, single(inputs));
    return call(inputs, kwargs);
  };
  return projected;
}

interface ConvConfig {
  readonly kernelSize: number[];
  readonly strides: number[];
  readonly padding: string;
  readonly dataFormat: string;
  readonly dilationRate: number | number[];
}

function convGeometry(layer: Layer, name: string): PatchGeometry {
  const config = layer.getConfig() as unknown as ConvConfig;
  const dilation = [config.dilationRate].flat();
  if (dilation.some((d) => d !== 1)) {
    throw new Error(
      `layer ${name}: a dilated Conv2D (dilationRate ${dilation.join('×')}) cannot be projected; only dilation 1 is supported`,
    );
  }
  if (config.dataFormat !== 'channelsLast') {
    throw new Error(`layer ${name}: only channelsLast Conv2D layers can be projected`);
  }
  return {
    kernelSize: [config.kernelSize[0], config.kernelSize[1]],
    strides: [config.strides[0], config.strides[1]],
    padding: config.padding as 'same' | 'valid',
  };
}

/**
 * The layer's call is replaced by the project's conv2d (plus bias and activation), the op
 * whose gradient also runs on backends without Conv2DBackpropFilter (wasm); tfjs-layers' own
 * call uses a fused convolution whose gradient needs that kernel.
 */
function hookConv(
  layer: Layer,
  name: string,
  geometry: PatchGeometry,
  onInput: LayerInputHook,
): ProjectedLayer {
  const { kernel, bias } = weightsOf(layer);
  const [kh, kw, channels] = kernel.shape;
  const projected: ProjectedLayer = {
    name,
    kernel,
    bias,
    geometry,
    inputSize: kh * kw * channels + (bias ? 1 : 0),
  };
  const { activation } = layer as unknown as WeightedLayer;
  layer.call = (inputs) =>
    tf.tidy(() => {
      const x = single(inputs) as tf.Tensor4D;
      onInput(projected, x);
      const y = conv2d(x, kernel as tf.Tensor4D, geometry);
      return activation.apply(bias ? tf.add(y, bias) : y);
    });
  return projected;
}

function projectedParameters(layer: ProjectedLayer): Parameter[] {
  const kernel = projectedKernel(layer);
  if (!layer.bias) return [kernel];
  return [
    kernel,
    { name: `${layer.name}.bias`, variable: layer.bias, group: 'backbone', biasOf: layer },
  ];
}

function plainParameters(
  layer: Layer,
  name: string,
  group: ParamGroup,
  head?: number,
): Parameter[] {
  return layer.trainableWeights.map((w) => ({
    name: `${name}.${weightName(w)}`,
    variable: variableOf(w),
    group,
    ...(head === undefined ? {} : { head }),
  }));
}

/**
 * The tf.Variable a layer weight's computation reads (LayerVariable.read() returns it, typed as
 * a Tensor): the variables the training step differentiates and the optimiser assigns.
 */
function variableOf(w: LayerVariable): tf.Variable {
  const v = w.read();
  if (!(v instanceof tf.Variable)) {
    throw new Error(
      `weight ${w.name} is not a variable of this tfjs-core: install one version of @tensorflow/tfjs`,
    );
  }
  return v;
}

/** The weight's own name within its layer (kernel, gamma, moving_mean…). */
function weightName(w: LayerVariable): string {
  return w.originalName.slice(w.originalName.lastIndexOf('/') + 1);
}

interface Heads {
  readonly parameters: Parameter[];
  readonly buffers: tf.Variable[];
  logits(features: tf.Tensor2D, head: number): tf.Tensor2D;
  dispose(): void;
}

function linearHeads(featureSize: number, outputs: readonly number[], rng: Rng): Heads {
  const heads = new LinearHeads(featureSize, outputs, rng);
  const parameters = heads.parameters();
  return {
    parameters,
    buffers: [],
    logits: (features, head) => heads.apply(features, head),
    dispose: () => disposeModel({ parameters, buffers: [] }),
  };
}

function modelHeads(
  featureSize: number,
  outputs: readonly number[],
  build: NonNullable<LayersModelOptions['heads']>,
): Heads {
  const models = outputs.map((n, i) => checkedHead(build(i, n, featureSize), i, n, featureSize));
  const parameters: Parameter[] = [];
  const buffers: tf.Variable[] = [];
  models.forEach((model, i) => {
    for (const [layer, name] of layerNames(model)) {
      buffers.push(...claim(layer));
      parameters.push(...plainParameters(layer, `head${i}.${name}`, 'head', i));
    }
  });
  return {
    parameters,
    buffers,
    logits(features, head) {
      return headAt(models, head).apply(features, { training: false }) as tf.Tensor2D;
    },
    dispose: () => {
      for (const model of models) model.dispose();
    },
  };
}

function checkedHead(
  model: LayersModel,
  head: number,
  outputs: number,
  featureSize: number,
): LayersModel {
  const input = model.inputs?.[0]?.shape;
  const output = model.outputs?.[0]?.shape;
  if (
    input?.length !== 2 ||
    input[1] !== featureSize ||
    output?.length !== 2 ||
    output[1] !== outputs
  ) {
    throw new Error(
      `head ${head} must map [batch, ${featureSize}] features to [batch, ${outputs}] logits; it maps ${shapeText(input ?? [])} to ${shapeText(output ?? [])}`,
    );
  }
  return model;
}
