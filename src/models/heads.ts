import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/rng.js';
import { Head } from './layers.js';

/** Head `head` of a model's heads, or an error naming how many there are. */
export function headAt<T>(heads: readonly T[], head: number): T {
  const h = heads[head];
  if (h === undefined) throw new Error(`model has ${heads.length} heads; no head ${head}`);
  return h;
}

/** Linear heads over the backbone's features, one per entry of `outputsPerHead`. */
export class LinearHeads {
  private readonly heads: Head[];

  constructor(featureSize: number, outputsPerHead: readonly number[], rng: Rng) {
    this.heads = outputsPerHead.map((outputs, i) => new Head(i, featureSize, outputs, rng));
  }

  apply(features: tf.Tensor2D, head: number): tf.Tensor2D {
    return headAt(this.heads, head).apply(features);
  }

  parameters() {
    return this.heads.flatMap((h) => h.parameters());
  }
}
