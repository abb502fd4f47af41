/**
 * Run by wasm-threads.test.ts in a child process, one per thread count (one wasm module a
 * process): trains a small ResNet for three steps and takes the gradient of one larger
 * convolution, then prints the backend line and the figures as one JSON line.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describeBackend, selectBackend } from '../../src/backend/select-backend.js';
import { createResNet18 } from '../../src/models/resnet18.js';
import { ProjectedOptimizer } from '../../src/nullspace/projected-optimizer.js';
import { conv2d } from '../../src/ops/conv2d.js';
import { parseConfig } from '../../src/registry/experiment-config.js';
import { strategyContext } from '../../src/train/strategy-context.js';
import { trainTask } from '../../src/train/train-task.js';
import { Rng } from '../../src/util/rng.js';
import { randomNormal } from '../helpers.js';

const info = await selectBackend('wasm');
const rng = new Rng(3);
const model = createResNet18({ inputChannels: 3, baseWidth: 8, classesPerTask: [10] }, rng);
const count = 48;
const pixels = Uint8Array.from({ length: count * 16 * 16 * 3 }, () => rng.nextUint32() & 0xff);
const labels = Int32Array.from({ length: count }, () => rng.nextUint32() % 10);
const images = { pixels, labels, height: 16, width: 16, channels: 3 };
const normalization = { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
const sequence = {
  name: 'fixture',
  inputShape: [16, 16, 3] as [number, number, number],
  normalization,
  tasks: [
    { index: 0, name: 'fixture', classes: [...Array(10).keys()], train: images, test: images },
  ],
};
const optimizer = new ProjectedOptimizer({
  type: 'adam',
  lr: { backbone: 1e-3, bn: 1e-3, head: 1e-3 },
  weightDecay: 5e-5,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  momentum: 0,
});
const losses: number[] = [];
await trainTask(
  strategyContext({
    model,
    sequence,
    task: 0,
    config: parseConfig({}, 'fixture'),
    rng: new Rng(1),
  }),
  { name: 'fixture' },
  optimizer,
  {
    epochs: 1,
    batchSize: 16,
    augment: false,
    milestones: [],
    gamma: 1,
    norm: normalization,
    onBatch: (b) => losses.push(b.loss),
  },
);
const weights = model.parameters.flatMap((p) => Array.from(p.variable.dataSync()));
// Large enough for XNNPACK to split it between threads.
const x = tf.tensor4d(Float32Array.from(randomNormal(8 * 24 * 24 * 32, 1)), [8, 24, 24, 32]);
const k = tf.tensor4d(Float32Array.from(randomNormal(3 * 3 * 32 * 48, 2)), [3, 3, 32, 48]);
const geometry = { kernelSize: [3, 3], strides: [1, 1], padding: 1 } as const;
const gradients = tf
  .grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.square(conv2d(a as tf.Tensor4D, b as tf.Tensor4D, geometry))),
  )([x, k])
  .map((g) => Array.from(g.dataSync()));
process.stdout.write(
  `${JSON.stringify({ backend: describeBackend(info), losses, weights, gradients })}\n`,
);
