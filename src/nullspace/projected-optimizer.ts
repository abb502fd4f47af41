import * as tf from '@tensorflow/tfjs-core';
import type { Parameter, ParamGroup } from '../models/parameter.js';

export interface OptimizerConfig {
  readonly type: 'adam' | 'sgd';
  /** Learning rate per parameter group. */
  readonly lr: Readonly<Record<ParamGroup, number>>;
  /** L2 added to the gradient (coupled weight decay, as in the reference Adam). */
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  /** SGD momentum. */
  readonly momentum: number;
}

/**
 * Changes a parameter's final update direction before it is applied: null-space projection
 * (Adam-NSCL, GPM) plugs in here. It must return a new tensor or `step` itself.
 */
export type UpdateTransform = (param: Parameter, step: tf.Tensor) => tf.Tensor;

interface Slot {
  readonly m: tf.Variable;
  readonly v: tf.Variable | null;
}

/**
 * Adam or SGD over parameter groups, with the final step passed through an UpdateTransform.
 * For Adam the moments see the raw (weight-decayed) gradient and only the step m̂/(√v̂+ε) is
 * transformed — Adam-NSCL's Algorithm 1. A fresh optimizer is made for each task, so moments
 * and the step count restart, as in the reference.
 */
export class ProjectedOptimizer {
  private readonly slots = new Map<tf.Variable, Slot>();
  private t = 0;
  private lrScale = 1;

  constructor(
    readonly config: OptimizerConfig,
    private readonly transform: UpdateTransform = (_p, s) => s,
  ) {}

  /** The LR schedule's factor for the coming steps. */
  setLrScale(scale: number): void {
    this.lrScale = scale;
  }

  /** Applies one step; `grads` is keyed by parameter; gradients are not disposed here. */
  step(params: readonly Parameter[], grads: ReadonlyMap<Parameter, tf.Tensor>): void {
    this.t++;
    const c = this.config;
    for (const p of params) {
      const g = grads.get(p);
      if (!g) continue;
      tf.tidy(() => {
        const grad = c.weightDecay > 0 ? tf.add(g, tf.mul(p.variable, c.weightDecay)) : g;
        const direction =
          c.type === 'adam'
            ? this.adamDirection(p.variable, grad)
            : this.sgdDirection(p.variable, grad);
        const update = this.transform(p, direction);
        p.variable.assign(tf.sub(p.variable, tf.mul(update, this.learningRate(p))));
      });
    }
  }

  private learningRate(p: Parameter): number {
    const base = this.config.lr[p.group] * this.lrScale;
    if (this.config.type !== 'adam') return base;
    const { beta1, beta2 } = this.config;
    return (base * Math.sqrt(1 - beta2 ** this.t)) / (1 - beta1 ** this.t);
  }

  private slot(variable: tf.Variable, withV: boolean): Slot {
    let s = this.slots.get(variable);
    if (!s) {
      s = {
        m: tf.variable(tf.zerosLike(variable), false),
        v: withV ? tf.variable(tf.zerosLike(variable), false) : null,
      };
      this.slots.set(variable, s);
    }
    return s;
  }

  /** m/(√v+ε) with bias correction folded into the learning rate, as PyTorch's Adam does. */
  private adamDirection(variable: tf.Variable, grad: tf.Tensor): tf.Tensor {
    const { beta1, beta2, eps } = this.config;
    const s = this.slot(variable, true);
    s.m.assign(tf.add(tf.mul(s.m, beta1), tf.mul(grad, 1 - beta1)));
    s.v!.assign(tf.add(tf.mul(s.v!, beta2), tf.mul(tf.square(grad), 1 - beta2)));
    return tf.div(s.m, tf.add(tf.sqrt(s.v!), eps));
  }

  private sgdDirection(variable: tf.Variable, grad: tf.Tensor): tf.Tensor {
    if (this.config.momentum === 0) return grad;
    const s = this.slot(variable, false);
    s.m.assign(tf.add(tf.mul(s.m, this.config.momentum), grad));
    return s.m;
  }

  dispose(): void {
    for (const s of this.slots.values()) {
      s.m.dispose();
      s.v?.dispose();
    }
    this.slots.clear();
  }
}
