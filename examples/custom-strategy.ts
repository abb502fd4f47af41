/**
 * A user-defined strategy in one file: "l2-anchor" pulls the shared weights towards where they
 * were after the previous task with (strength/2)·‖θ − θ*‖². It declares its own setting,
 * `l2-anchor.strength`. Use it with
 *   npm run experiment -- --import examples/custom-strategy.ts --set strategy=l2-anchor \
 *     --set l2-anchor.strength=0.1
 * or import this module in your own program before calling runContinual.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  type ContinualModel,
  type Parameter,
  registerStrategy,
  type Strategy,
  z,
} from 'nullspace-cl';

export function createL2Anchor(strength: number): Strategy {
  const anchors = new Map<Parameter, tf.Tensor>();
  const release = () => {
    tf.dispose([...anchors.values()]);
    anchors.clear();
  };
  const anchor = (model: ContinualModel) => {
    release();
    // Heads belong to one task each, so only the shared parameters are anchored.
    for (const p of model.parameters.filter((q) => q.group !== 'head'))
      anchors.set(p, tf.clone(p.variable));
  };
  return {
    name: 'l2-anchor',
    penalty() {
      if (anchors.size === 0) return null;
      const terms = [...anchors].map(([p, a]) => tf.sum(tf.square(tf.sub(p.variable, a))));
      return tf.mul(tf.addN(terms), strength / 2) as tf.Scalar;
    },
    afterTask(ctx) {
      anchor(ctx.model);
      return undefined;
    },
    // Checkpoints are taken right after afterTask, so the resumed weights are the anchor.
    restore: (_snapshot, ctx) => anchor(ctx.model),
    dispose: release,
  };
}

registerStrategy('l2-anchor', ({ settings }) => createL2Anchor(settings.strength), {
  strength: z.number().min(0).default(0.01).describe('weight of the pull towards the anchor'),
});
