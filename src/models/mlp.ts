import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Rng } from '../util/rng.js';
import type { ContinualModel } from './continual-model.js';
import { disposeModel } from './continual-model.js';
import { LinearHeads } from './heads.js';
import { Dense, type ForwardContext } from './layers.js';

export interface MlpOptions {
  readonly inputSize: number;
  /** Hidden widths; the reference is [400, 400]. */
  readonly hidden: readonly number[];
  /** Outputs of each head (one head per task in the task scenario). */
  readonly classesPerTask: readonly number[];
}

/** `model.mlp`. */
export const mlpSettings = z.strictObject({
  hidden: z
    .array(z.number().int().positive())
    .min(1)
    .default([400, 400])
    .describe('hidden layer widths (the reference is [400, 400])'),
});

/** A bias-free ReLU MLP backbone (the reference 784-400-400) with linear heads. */
export function createMlp(options: MlpOptions, rng: Rng): ContinualModel {
  const sizes = [options.inputSize, ...options.hidden];
  const layers = options.hidden.map((_, i) => new Dense(`fc${i + 1}`, sizes[i], sizes[i + 1], rng));
  const featureSize = sizes[sizes.length - 1];
  const heads = new LinearHeads(featureSize, options.classesPerTask, rng);
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
    logits: (features, head) => heads.apply(features, head),
    dispose: () => disposeModel(model),
  };
  return model;
}
