import * as tf from '@tensorflow/tfjs-core';
import { batches } from '../data/batches.js';
import type { LabelledImages } from '../data/images.js';
import type { HeadView } from '../data/scenario.js';
import type { Normalization } from '../data/task-sequence.js';
import { type ContinualModel, forward, viewLabels } from '../models/continual-model.js';
import type { Parameter } from '../models/parameter.js';
import { crossEntropy } from '../ops/loss.js';

export interface ConsolidateOptions {
  readonly norm: Normalization;
  readonly batchSize: number;
  /** Estimate from at most this many batches; null or absent: every batch. */
  readonly maxBatches?: number | null;
  readonly onImages?: (count: number) => void;
}

/**
 * EWC's quadratic penalty λ/2·Σ F·(θ − θ*)² with a diagonal Fisher F summed over tasks and θ*
 * the weights after the latest task. Used by the `ewc` strategy on all shared parameters and by
 * Adam-NSCL on BatchNorm parameters only.
 */
export class DiagonalFisherPenalty {
  private readonly fisher = new Map<Parameter, tf.Tensor>();
  private readonly anchor = new Map<Parameter, tf.Tensor>();

  constructor(
    private readonly lambda: number,
    private readonly select: (p: Parameter) => boolean,
  ) {}

  get active(): boolean {
    return this.lambda > 0 && this.anchor.size > 0;
  }

  /**
   * Adds the task's Fisher and re-anchors at the current weights. The estimator is the
   * reference's: squared mini-batch gradients weighted by batch size over the batch count,
   * with the model in eval mode.
   */
  consolidate(
    model: ContinualModel,
    images: LabelledImages,
    view: HeadView,
    { norm, batchSize, maxBatches = null, onImages }: ConsolidateOptions,
  ): void {
    const params = model.parameters.filter(this.select);
    const byName = new Map(params.map((p) => [p.variable.name, p]));
    const sums = new Map(params.map((p) => [p, tf.zerosLike(p.variable) as tf.Tensor]));
    let count = 0;
    for (const batch of batches(images, norm, { batchSize })) {
      if (maxBatches !== null && count >= maxBatches) {
        tf.dispose([batch.x, batch.y]);
        break;
      }
      const { value, grads } = tf.variableGrads(
        () =>
          crossEntropy(
            forward(model, batch.x, view, { training: false }),
            viewLabels(view, batch.y),
          ),
        params.map((p) => p.variable),
      );
      for (const [name, g] of Object.entries(grads)) {
        const p = byName.get(name)!;
        const prev = sums.get(p)!;
        sums.set(
          p,
          tf.tidy(() => tf.add(prev, tf.mul(tf.square(g), batch.size))),
        );
        prev.dispose();
      }
      tf.dispose([value, batch.x, batch.y, ...Object.values(grads)]);
      onImages?.(batch.size);
      count++;
    }
    for (const p of params) {
      const taskFisher = sums.get(p)!;
      const prev = this.fisher.get(p);
      this.fisher.set(
        p,
        tf.tidy(() => {
          const scaled = tf.div(taskFisher, Math.max(count, 1));
          return prev ? tf.add(prev, scaled) : scaled;
        }),
      );
      tf.dispose([taskFisher, prev ?? []].flat());
      this.anchor.get(p)?.dispose();
      this.anchor.set(p, tf.clone(p.variable));
    }
  }

  /** The penalty under the current weights; call inside the gradient tape. */
  penalty(): tf.Scalar | null {
    if (!this.active) return null;
    const terms = [...this.anchor].map(([p, anchor]) =>
      tf.sum(tf.mul(this.fisher.get(p)!, tf.square(tf.sub(p.variable, anchor)))),
    );
    return tf.mul(tf.addN(terms), this.lambda / 2) as tf.Scalar;
  }

  snapshot(): { name: string; fisher: Float32Array; anchor: Float32Array }[] {
    return [...this.anchor].map(([p, anchor]) => ({
      name: p.name,
      fisher: this.fisher.get(p)!.dataSync() as Float32Array,
      anchor: anchor.dataSync() as Float32Array,
    }));
  }

  restore(
    model: ContinualModel,
    snapshot: { name: string; fisher: Float32Array; anchor: Float32Array }[],
  ): void {
    this.dispose();
    for (const entry of snapshot) {
      const p = model.parameters.find((q) => q.name === entry.name);
      if (!p) throw new Error(`checkpoint has Fisher for unknown parameter ${entry.name}`);
      this.fisher.set(p, tf.tensor(entry.fisher, p.variable.shape));
      this.anchor.set(p, tf.tensor(entry.anchor, p.variable.shape));
    }
  }

  dispose(): void {
    tf.dispose([...this.fisher.values(), ...this.anchor.values()]);
    this.fisher.clear();
    this.anchor.clear();
  }
}
