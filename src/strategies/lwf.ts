import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { HeadView } from '../data/scenario.js';
import { type ContinualModel, viewLogits } from '../models/continual-model.js';
import { logSoftmax } from '../ops/loss.js';
import type { StepInputs, Strategy, StrategyContext } from './strategy.js';

/** The `lwf` config section. */
export const lwfSettings = z.strictObject({
  alpha: z.number().min(0).default(1).describe('weight of the distillation loss'),
  temperature: z.number().positive().default(2).describe('distillation temperature T'),
});

/** A frozen copy of the live model: same architecture, every parameter and buffer cloned. */
export async function frozenCopy(ctx: StrategyContext): Promise<ContinualModel> {
  const copy = await ctx.buildModel();
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
 * The outputs earlier tasks were scored on just before task t: one view per old head in the
 * task scenario, the one shared head in the domain scenario, the old classes' outputs of the
 * growing head in the class scenario.
 */
function previousViews(ctx: StrategyContext): HeadView[] {
  const views = new Map<string, HeadView>();
  for (let j = 0; j < ctx.task; j++) {
    const v = ctx.scenario.view(j, ctx.task - 1);
    views.set(`${v.head}:${v.outputs}`, v);
  }
  return [...views.values()];
}

/**
 * Learning without Forgetting (Li & Hoiem 2016): while training task t the outputs earlier
 * tasks were scored on (see previousViews) are asked to keep answering the new task's images
 * as the model did before task t, by alpha·Σ distillation(old, new). The old model is a frozen
 * copy taken at beforeTask and run in eval mode on each batch; it shares no variable with the
 * live model, so no gradient reaches it. Nothing to checkpoint: after a resume, beforeTask
 * copies the restored weights again.
 */
export function createLwf({ alpha, temperature }: z.output<typeof lwfSettings>): Strategy {
  let old: ContinualModel | null = null;
  // Fixed for the task, so taken with the frozen copy rather than per step.
  let views: HeadView[] = [];
  const release = () => {
    old?.dispose();
    old = null;
    views = [];
  };
  return {
    name: 'lwf',
    async beforeTask(ctx) {
      release();
      if (ctx.task > 0 && alpha > 0) {
        old = await frozenCopy(ctx);
        views = previousViews(ctx);
      }
    },
    penalty(ctx, step: StepInputs) {
      const frozen = old;
      if (!frozen || ctx.task === 0) return null;
      const oldFeatures = frozen.features(step.x, { training: false });
      const terms = views.map((view) =>
        distillation(
          viewLogits(frozen, oldFeatures, view),
          viewLogits(ctx.model, step.features, view),
          temperature,
        ),
      );
      return tf.mul(tf.addN(terms), alpha) as tf.Scalar;
    },
    snapshot: () => null,
    dispose: release,
  };
}
