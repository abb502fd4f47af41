import * as tf from '@tensorflow/tfjs-core';
import type { Parameter, ParamGroup, ProjectedLayer } from '../models/parameter.js';

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
 * (Adam-NSCL, GPM) plugs in here. It must return a new tensor or `step` itself. A projected
 * layer with a bias is transformed once, with its kernel's parameter and an [n, out] step:
 * the kernel's rows with the bias's row under them.
 */
export type UpdateTransform = (param: Parameter, step: tf.Tensor) => tf.Tensor;

interface Slot {
  readonly m: tf.Variable;
  readonly v: tf.Variable | null;
}

/** One unit of a step: a parameter alone, or a projected layer's kernel with its bias. */
type StepUnit = readonly [param: Parameter, bias: Parameter | null];

/**
 * Adam or SGD over parameter groups, with the final step passed through an UpdateTransform.
 * For Adam the moments see the raw (weight-decayed) gradient and only the step m̂/(√v̂+ε) is
 * transformed — Adam-NSCL's Algorithm 1. A fresh optimizer is made for each task, so moments
 * and the step count restart, as in the reference.
 */
export class ProjectedOptimizer {
  private readonly slots = new Map<tf.Variable, Slot>();
  /** The training loop passes the same list every step of a head, so its pairing is kept. */
  private readonly plans = new WeakMap<readonly Parameter[], readonly StepUnit[]>();
  private t = 0;
  private lrScale = 1;

  /**
   * Without a transform every parameter steps alone: a kernel and its bias then need no
   * joint step, and stacking them would only copy.
   */
  constructor(
    readonly config: OptimizerConfig,
    private readonly transform?: UpdateTransform,
  ) {}

  /** The LR schedule's factor for the coming steps. */
  setLrScale(scale: number): void {
    this.lrScale = scale;
  }

  /**
   * Applies one step; `grads` is keyed by parameter; gradients are not disposed here. With a
   * transform, a projected layer's bias steps with its kernel (see stepLayer). `params` is
   * read once per array: pass a new array, not the same one changed, for other parameters.
   */
  step(params: readonly Parameter[], grads: ReadonlyMap<Parameter, tf.Tensor>): void {
    this.t++;
    let plan = this.plans.get(params);
    if (!plan) {
      plan = this.plan(params);
      this.plans.set(params, plan);
    }
    const transform = this.transform;
    for (const [p, bias] of plan) {
      tf.tidy(() =>
        bias && transform ? this.stepLayer(p, bias, transform, grads) : this.stepOne(p, grads),
      );
    }
  }

  /**
   * The step units of a parameter list. A bias without its kernel is refused with or without a
   * transform, so a list that projection could not step fails under every strategy alike.
   */
  private plan(params: readonly Parameter[]): StepUnit[] {
    const biases = new Map<ProjectedLayer, Parameter>();
    for (const p of params) if (p.biasOf) biases.set(p.biasOf, p);
    const kernels = new Set(params.map((p) => p.projected));
    const units: StepUnit[] = [];
    for (const p of params) {
      if (p.biasOf) {
        if (!kernels.has(p.biasOf)) throw new Error(`${p.name} is trained without its kernel`);
        if (!this.transform) units.push([p, null]);
        continue;
      }
      const bias = this.transform && p.projected ? biases.get(p.projected) : undefined;
      units.push([p, bias ?? null]);
    }
    return units;
  }

  private stepOne(p: Parameter, grads: ReadonlyMap<Parameter, tf.Tensor>): void {
    const g = grads.get(p);
    if (!g) return;
    const d = this.direction(p, g);
    this.apply(p, this.transform ? this.transform(p, d) : d, this.learningRate(p));
  }

  /**
   * A kernel and its bias (the weight of a constant-1 input) as one [n, out] step, kernel rows
   * then the bias row, transformed once with the kernel's parameter: a projection must see the
   * whole input vector to keep the layer's outputs on old inputs. Both parts then take the
   * kernel's learning rate, so the applied update stays a multiple of the transformed step.
   */
  private stepLayer(
    kernel: Parameter,
    bias: Parameter,
    transform: UpdateTransform,
    grads: ReadonlyMap<Parameter, tf.Tensor>,
  ): void {
    const gk = grads.get(kernel);
    const gb = grads.get(bias);
    if (!gk && !gb) return;
    const out = bias.variable.size;
    const dk = gk ? this.direction(kernel, gk) : tf.zerosLike(kernel.variable);
    const db = gb ? this.direction(bias, gb) : tf.zerosLike(bias.variable);
    const stacked = tf.concat([tf.reshape(dk, [-1, out]), tf.reshape(db, [1, out])], 0);
    const update = tf.reshape(transform(kernel, stacked), [-1, out]) as tf.Tensor2D;
    const rows = update.shape[0] - 1;
    const lr = this.learningRate(kernel);
    this.apply(kernel, tf.slice(update, [0, 0], [rows, out]), lr);
    this.apply(bias, tf.slice(update, [rows, 0], [1, out]), lr);
  }

  /** The optimiser's raw step for one parameter (moments updated from its gradient). */
  private direction(p: Parameter, g: tf.Tensor): tf.Tensor {
    const c = this.config;
    const grad = c.weightDecay > 0 ? tf.add(g, tf.mul(p.variable, c.weightDecay)) : g;
    return c.type === 'adam'
      ? this.adamDirection(p.variable, grad)
      : this.sgdDirection(p.variable, grad);
  }

  private apply(p: Parameter, update: tf.Tensor, lr: number): void {
    p.variable.assign(tf.sub(p.variable, tf.mul(tf.reshape(update, p.variable.shape), lr)));
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
