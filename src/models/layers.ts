import * as tf from '@tensorflow/tfjs-core';
import { batchNormTraining } from '../ops/batch-norm.js';
import { conv2d } from '../ops/conv2d.js';
import type { PatchGeometry } from '../ops/patch-geometry.js';
import type { Rng } from '../util/rng.js';
import {
  constantVariable,
  type Parameter,
  type ProjectedLayer,
  projectedKernel,
  uniformVariable,
} from './parameter.js';

/** Called with each projected layer's input during a forward pass (covariance, GPM). */
export type LayerInputHook = (layer: ProjectedLayer, input: tf.Tensor) => void;

export interface ForwardContext {
  readonly training: boolean;
  readonly onLayerInput?: LayerInputHook;
}

export class Conv2d {
  readonly layer: ProjectedLayer;

  constructor(
    readonly name: string,
    inChannels: number,
    outChannels: number,
    kernel: number,
    stride: number,
    padding: PatchGeometry['padding'],
    rng: Rng,
  ) {
    const inputSize = kernel * kernel * inChannels;
    this.layer = {
      name,
      kernel: uniformVariable([kernel, kernel, inChannels, outChannels], inputSize, rng),
      geometry: { kernelSize: [kernel, kernel], strides: [stride, stride], padding },
      inputSize,
    };
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    ctx.onLayerInput?.(this.layer, x);
    return conv2d(x, this.layer.kernel as tf.Tensor4D, this.layer.geometry!);
  }

  parameters(): Parameter[] {
    return [projectedKernel(this.layer)];
  }
}

/** A fully connected layer of the backbone (projected) without bias, as in the reference MLP. */
export class Dense {
  readonly layer: ProjectedLayer;

  constructor(
    readonly name: string,
    inSize: number,
    outSize: number,
    rng: Rng,
  ) {
    this.layer = {
      name,
      kernel: uniformVariable([inSize, outSize], inSize, rng),
      geometry: null,
      inputSize: inSize,
    };
  }

  apply(x: tf.Tensor2D, ctx: ForwardContext): tf.Tensor2D {
    ctx.onLayerInput?.(this.layer, x);
    return tf.matMul(x, this.layer.kernel as tf.Tensor2D);
  }

  parameters(): Parameter[] {
    return [projectedKernel(this.layer)];
  }
}

/** A linear classifier (with bias) over the backbone's features; heads are never projected. */
export class Head {
  readonly kernel: tf.Variable;
  readonly bias: tf.Variable;

  constructor(
    readonly index: number,
    inSize: number,
    classes: number,
    rng: Rng,
  ) {
    this.kernel = uniformVariable([inSize, classes], inSize, rng);
    this.bias = uniformVariable([classes], inSize, rng);
  }

  apply(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(tf.matMul(x, this.kernel as tf.Tensor2D), this.bias);
  }

  parameters(): Parameter[] {
    const base = { group: 'head' as const, head: this.index };
    return [
      { ...base, name: `head${this.index}.kernel`, variable: this.kernel },
      { ...base, name: `head${this.index}.bias`, variable: this.bias },
    ];
  }
}

/**
 * Batch normalisation over the channel axis with PyTorch's conventions (momentum 0.1 on the
 * running statistics, unbiased running variance, eps 1e-5) so reference hyper-parameters carry over.
 */
export class BatchNorm {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
  readonly runningMean: tf.Variable;
  readonly runningVar: tf.Variable;
  private static readonly momentum = 0.1;
  private static readonly eps = 1e-5;

  constructor(
    readonly name: string,
    channels: number,
  ) {
    this.gamma = constantVariable([channels], 1);
    this.beta = constantVariable([channels], 0);
    this.runningMean = constantVariable([channels], 0, false);
    this.runningVar = constantVariable([channels], 1, false);
  }

  apply<T extends tf.Tensor>(x: T, ctx: ForwardContext): T {
    if (!ctx.training) {
      return tf.batchNorm(
        x,
        this.runningMean,
        this.runningVar,
        this.beta,
        this.gamma,
        BatchNorm.eps,
      ) as T;
    }
    // Not tf.batchNorm, whose gradient tiles per-channel factors to the input's full size.
    return batchNormTraining(x, this.gamma, this.beta, BatchNorm.eps, (mean, variance, n) =>
      this.updateRunningStats(mean, variance, n),
    );
  }

  private updateRunningStats(mean: tf.Tensor, variance: tf.Tensor, count: number): void {
    const m = BatchNorm.momentum;
    const unbiased = count > 1 ? count / (count - 1) : 1;
    tf.tidy(() => {
      this.runningMean.assign(tf.add(tf.mul(this.runningMean, 1 - m), tf.mul(mean, m)));
      this.runningVar.assign(
        tf.add(tf.mul(this.runningVar, 1 - m), tf.mul(variance, m * unbiased)),
      );
    });
  }

  parameters(): Parameter[] {
    return [
      { name: `${this.name}.gamma`, variable: this.gamma, group: 'bn' },
      { name: `${this.name}.beta`, variable: this.beta, group: 'bn' },
    ];
  }

  buffers(): tf.Variable[] {
    return [this.runningMean, this.runningVar];
  }
}
