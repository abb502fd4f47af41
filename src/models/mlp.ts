import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/rng.js';
import type { ContinualModel } from './continual-model.js';
import { disposeModel } from './continual-model.js';
import { TaskHeads } from './heads.js';
import { Dense, type ForwardContext } from './layers.js';

export interface MlpOptions {
  readonly inputSize: number;
  /** Hidden widths; the reference is [400, 400]. */
  readonly hidden: readonly number[];
  readonly classesPerTask: readonly number[];
}

/** A bias-free ReLU MLP backbone (the reference 784-400-400) with per-task heads. */
export function createMlp(options: MlpOptions, rng: Rng): ContinualModel {
  const sizes = [options.inputSize, ...options.hidden];
  const layers = options.hidden.map((_, i) => new Dense(`fc${i + 1}`, sizes[i], sizes[i + 1], rng));
  const featureSize = sizes[sizes.length - 1];
  const heads = new TaskHeads(featureSize, options.classesPerTask, rng);
  const parameters = [...layers.flatMap((l) => l.parameters()), ...heads.parameters()];
  const model: ContinualModel = {
    name: `mlp-${sizes.join('-')}`,
    parameters,
    buffers: [],
    projectedLayers: layers.map((l) => l.layer),
    featureSize,
    features(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D {
      let h: tf.Tensor2D = tf.reshape(x, [x.shape[0], -1]);
      for (const layer of layers) h = tf.relu(layer.apply(h, ctx));
      return h;
    },
    logits: (features, task) => heads.apply(features, task),
    dispose: () => disposeModel(model),
  };
  return model;
}
