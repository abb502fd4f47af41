import * as tf from '@tensorflow/tfjs-core';
import type { ExperimentConfig } from '../config/schema.js';
import type { ContinualModel } from '../models/continual-model.js';
import { createModel } from '../models/create-model.js';
import { logSoftmax } from '../ops/loss.js';
import { Rng } from '../util/rng.js';
import type { StepInputs, Strategy, StrategyContext } from './strategy.js';

/** A frozen copy of the live model: same architecture, every parameter and buffer cloned. */
export function frozenCopy(ctx: StrategyContext): ContinualModel {
  // The initial weights are overwritten below, so the copy's seed does not matter.
  const copy = createModel(ctx.config, ctx.sequence, new Rng(0));
  const from = [...ctx.model.parameters.map((p) => p.variable), ...ctx.model.buffers];
  const to = [...copy.parameters.map((p) => p.variable), ...copy.buffers];
  tf.tidy(() => {
    for (const [i, v] of to.entries()) v.assign(tf.clone(from[i]));
  });
  return copy;
}

/**
 * Mean over the batch of T²·KL(softmax(old/T) ‖ softmax(new/T)). KL rather than the paper's
 * soft cross-entropy: same gradient, but zero when nothing has drifted. T² keeps the gradient's
 * size independent of T (Hinton et al.).
 */
export function distillation(oldLogits: tf.Tensor2D, newLogits: tf.Tensor2D, t: number): tf.Scalar {
  return tf.tidy(() => {
    const target = logSoftmax(tf.div(oldLogits, t) as tf.Tensor2D);
    const current = logSoftmax(tf.div(newLogits, t) as tf.Tensor2D);
    const kl = tf.sum(tf.mul(tf.exp(target), tf.sub(target, current)), 1);
    return tf.mul(tf.mean(kl), t * t) as tf.Scalar;
  });
}

/**
 * Learning without Forgetting (Li & Hoiem 2016), multi-head: while training task t the heads of
 * tasks j < t are asked to keep answering the new task's images as the model did before task t,
 * by alpha·Σ_j distillation(old_j, new_j). The old model is a frozen copy taken at beforeTask and
 * run in eval mode on each batch; it shares no variable with the live model, so no gradient
 * reaches it. Only the backbone feels the loss here: the loop trains just the current head.
 * Nothing to checkpoint: after a resume, beforeTask copies the restored weights again.
 */
export function createLwf(config: ExperimentConfig): Strategy {
  const { alpha, temperature } = config.lwf;
  let old: ContinualModel | null = null;
  const release = () => {
    old?.dispose();
    old = null;
  };
  return {
    name: 'lwf',
    beforeTask(ctx) {
      release();
      if (ctx.task > 0 && alpha > 0) old = frozenCopy(ctx);
    },
    penalty(ctx, step: StepInputs) {
      const frozen = old;
      if (!frozen || ctx.task === 0) return null;
      const oldFeatures = frozen.features(step.x, { training: false });
      const terms = Array.from({ length: ctx.task }, (_, j) =>
        distillation(
          frozen.logits(oldFeatures, j),
          ctx.model.logits(step.features, j),
          temperature,
        ),
      );
      return tf.mul(tf.addN(terms), alpha) as tf.Scalar;
    },
    snapshot: () => null,
    dispose: release,
  };
}
