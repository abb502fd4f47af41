import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/rng.js';
import { Head } from './layers.js';

/** Linear heads over the backbone's features, one per entry of `outputsPerHead`. */
export class LinearHeads {
  private readonly heads: Head[];

  constructor(featureSize: number, outputsPerHead: readonly number[], rng: Rng) {
    this.heads = outputsPerHead.map((outputs, i) => new Head(i, featureSize, outputs, rng));
  }

  apply(features: tf.Tensor2D, head: number): tf.Tensor2D {
    const h = this.heads[head];
    if (!h) throw new Error(`model has ${this.heads.length} heads; no head ${head}`);
    return h.apply(features);
  }

  parameters() {
    return this.heads.flatMap((h) => h.parameters());
  }
}
