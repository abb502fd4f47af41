import type * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/rng.js';
import { Head } from './layers.js';

/** One linear head per task, sized by the task's class count. */
export class TaskHeads {
  private readonly heads: Head[];

  constructor(featureSize: number, classesPerTask: readonly number[], rng: Rng) {
    this.heads = classesPerTask.map((classes, task) => new Head(task, featureSize, classes, rng));
  }

  apply(features: tf.Tensor2D, task: number): tf.Tensor2D {
    const head = this.heads[task];
    if (!head) throw new Error(`model has ${this.heads.length} heads; no head for task ${task}`);
    return head.apply(features);
  }

  parameters() {
    return this.heads.flatMap((h) => h.parameters());
  }
}
