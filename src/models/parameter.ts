import * as tf from '@tensorflow/tfjs-core';
import type { PatchGeometry } from '../ops/patch-geometry.js';
import type { Rng } from '../util/rng.js';

/** Optimiser groups: each gets its own learning rate and each strategy treats them differently. */
export type ParamGroup = 'backbone' | 'bn' | 'head';

/**
 * A layer whose weight updates null-space projection constrains. Its kernel is a matrix over
 * the input (patch) vector: dense [in, out]; conv [kh, kw, in, out] read as [kh·kw·in, out].
 */
export interface ProjectedLayer {
  readonly name: string;
  readonly kernel: tf.Variable;
  /**
   * A bias [out] is the weight of a constant-1 input: the input vector is augmented with a 1
   * (its covariance sees it) and the bias's step is projected stacked under the kernel's.
   */
  readonly bias?: tf.Variable;
  /** null for a dense layer. */
  readonly geometry: PatchGeometry | null;
  /** Length of the input (patch) vector, plus 1 with a bias: the projector's dimension n. */
  readonly inputSize: number;
}

export interface Parameter {
  readonly name: string;
  readonly variable: tf.Variable;
  readonly group: ParamGroup;
  /** Set when this parameter is a projected layer's kernel. */
  readonly projected?: ProjectedLayer;
  /** Set when this parameter is a projected layer's bias: it steps together with the kernel. */
  readonly biasOf?: ProjectedLayer;
  /** For head parameters: which head. */
  readonly head?: number;
}

/** A projected layer's kernel as a trainable backbone parameter. */
export function projectedKernel(layer: ProjectedLayer): Parameter {
  return {
    name: `${layer.name}.kernel`,
    variable: layer.kernel,
    group: 'backbone',
    projected: layer,
  };
}

/**
 * A variable initialised from the run's Rng (not tfjs' own seeding), so a seed gives the same
 * initial weights on every backend. Uniform(−b, b) with b = 1/√fanIn is PyTorch's default.
 */
export function uniformVariable(shape: number[], fanIn: number, rng: Rng): tf.Variable {
  const size = shape.reduce((a, b) => a * b, 1);
  const bound = 1 / Math.sqrt(fanIn);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (2 * rng.next() - 1) * bound;
  return variableFrom(tf.tensor(values, shape), true);
}

/** tf.variable keeps its initial tensor alive as a separate tensor; release it. */
function variableFrom(initial: tf.Tensor, trainable: boolean): tf.Variable {
  const v = tf.variable(initial, trainable);
  initial.dispose();
  return v;
}

/** tfjs' own variable names are process-global, so names live on Parameter, not here. */
export function constantVariable(shape: number[], value: number, trainable = true): tf.Variable {
  return variableFrom(tf.fill(shape, value), trainable);
}
