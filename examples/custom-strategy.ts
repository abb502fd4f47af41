/**
 * A user-defined strategy in one file: "l2-anchor" pulls the shared weights towards where they
 * were after the previous task with (strength/2)·‖θ − θ*‖². Use it with
 *   npm run experiment -- --import examples/custom-strategy.ts --set strategy=l2-anchor
 * or import this module in your own script before calling runContinual.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { ContinualModel } from '../src/models/continual-model.js';
import type { Parameter } from '../src/models/parameter.js';
import { registerStrategy } from '../src/strategies/registry.js';
import type { Strategy } from '../src/strategies/strategy.js';

export function createL2Anchor(strength = 0.01): Strategy {
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

registerStrategy('l2-anchor', () => createL2Anchor());
