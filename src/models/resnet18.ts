import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import type { Rng } from '../util/rng.js';
import type { ContinualModel } from './continual-model.js';
import { disposeModel } from './continual-model.js';
import { LinearHeads } from './heads.js';
import { BatchNorm, Conv2d, type ForwardContext } from './layers.js';
import type { Parameter } from './parameter.js';

export interface ResNet18Options {
  readonly inputChannels: number;
  /** Base width: 64 is the reference, 20 the usual reduced variant. */
  readonly baseWidth: number;
  /** Outputs of each head (one head per task in the task scenario). */
  readonly classesPerTask: readonly number[];
}

/** `model.resnet18`. */
export const resnet18Settings = z.strictObject({
  width: z
    .number()
    .int()
    .positive()
    .default(64)
    .describe('base width: 64 is the reference, 20 the usual reduced variant'),
});

/**
 * Pre-activation block as in the reference code: BN-ReLU feeds both the first conv and the 1×1
 * shortcut conv (which has no BN), an identity shortcut carries bn1(x), and the block adds the
 * shortcut after the second conv.
 */
class PreActBlock {
  private readonly bn1: BatchNorm;
  private readonly conv1: Conv2d;
  private readonly bn2: BatchNorm;
  private readonly conv2: Conv2d;
  private readonly shortcut: Conv2d | null;

  constructor(name: string, inC: number, outC: number, stride: number, rng: Rng) {
    this.bn1 = new BatchNorm(`${name}.bn1`, inC);
    this.conv1 = new Conv2d(`${name}.conv1`, inC, outC, 3, stride, 1, rng);
    this.bn2 = new BatchNorm(`${name}.bn2`, outC);
    this.conv2 = new Conv2d(`${name}.conv2`, outC, outC, 3, 1, 1, rng);
    this.shortcut =
      stride !== 1 || inC !== outC
        ? new Conv2d(`${name}.shortcut`, inC, outC, 1, stride, 0, rng)
        : null;
  }

  apply(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    const normed = this.bn1.apply(x, ctx);
    const pre = tf.relu(normed);
    // As the reference code: an identity skip carries bn1(x), not x.
    const skip = this.shortcut ? this.shortcut.apply(pre, ctx) : normed;
    const h = this.conv1.apply(pre, ctx);
    const out = this.conv2.apply(tf.relu(this.bn2.apply(h, ctx)), ctx);
    return tf.add(out, skip);
  }

  convs(): Conv2d[] {
    return this.shortcut ? [this.conv1, this.conv2, this.shortcut] : [this.conv1, this.conv2];
  }

  norms(): BatchNorm[] {
    return [this.bn1, this.bn2];
  }
}

/**
 * Pre-activation ResNet-18 of the Adam-NSCL code: 3×3 stem (stride 1, no max-pool), four stages
 * of two blocks (widths w, 2w, 4w, 8w; strides 1, 2, 2, 2), BN-ReLU, global average pool, and
 * linear heads (one per task in the task scenario). Convolutions have no bias.
 */
export function createResNet18(options: ResNet18Options, rng: Rng): ContinualModel {
  const w = options.baseWidth;
  const stem = new Conv2d('conv1', options.inputChannels, w, 3, 1, 1, rng);
  const widths = [w, 2 * w, 4 * w, 8 * w];
  const blocks: PreActBlock[] = [];
  let inC = w;
  widths.forEach((outC, stage) => {
    for (let b = 0; b < 2; b++) {
      const stride = b === 0 && stage > 0 ? 2 : 1;
      blocks.push(new PreActBlock(`layer${stage + 1}.${b}`, inC, outC, stride, rng));
      inC = outC;
    }
  });
  const bnLast = new BatchNorm('bn_last', inC);
  const heads = new LinearHeads(inC, options.classesPerTask, rng);
  const convs = [stem, ...blocks.flatMap((b) => b.convs())];
  const norms = [...blocks.flatMap((b) => b.norms()), bnLast];
  const parameters: Parameter[] = [
    ...convs.flatMap((c) => c.parameters()),
    ...norms.flatMap((n) => n.parameters()),
    ...heads.parameters(),
  ];
  const model: ContinualModel = {
    name: `resnet18-w${w}`,
    parameters,
    buffers: norms.flatMap((n) => n.buffers()),
    projectedLayers: convs.map((c) => c.layer),
    featureSize: inC,
    features(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor2D {
      let h = stem.apply(x, ctx);
      for (const block of blocks) h = block.apply(h, ctx);
      return tf.mean(tf.relu(bnLast.apply(h, ctx)), [1, 2]) as tf.Tensor2D;
    },
    logits: (features, head) => heads.apply(features, head),
    dispose: () => disposeModel(model),
  };
  return model;
}
