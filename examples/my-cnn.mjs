/**
 * A user-defined model in one plain-JavaScript file: "my-cnn", a small Keras-style CNN built
 * with tfjs-layers and handed over by fromLayersModel, which projects its Conv2D and Dense
 * layers (biases included), makes its BatchNorm scales the 'bn' group and its moving
 * statistics checkpointed buffers, and puts one linear head per task after it. Its width is
 * the setting `model.my-cnn.filters`. Use it with
 *   npm run experiment -- --import examples/my-cnn.mjs --set model.type=my-cnn \
 *     --set model.my-cnn.filters=8 --set data.tasksFile=examples/tasks.json
 */
import * as tf from '@tensorflow/tfjs';
import { fromLayersModel, registerModel, z } from 'nullspace-cl';

/**
 * Glorot-uniform kernels seeded from the run's generator, so that a seed gives the same
 * network (tfjs would otherwise draw from Math.random).
 * @param {import('nullspace-cl').Rng} rng
 */
const seeded = (rng) => tf.initializers.glorotUniform({ seed: rng.int(2 ** 31) });

/**
 * Two strided convolutions with BatchNorm, global average pooling and a dense layer: the
 * backbone must end in [batch, features].
 * @param {readonly [number, number, number]} inputShape
 * @param {number} filters
 * @param {import('nullspace-cl').Rng} rng
 */
export function buildMyCnn(inputShape, filters, rng) {
  /** @param {string} name @param {number} width */
  const conv = (name, width) =>
    tf.layers.conv2d({
      name,
      filters: width,
      kernelSize: 3,
      strides: 2,
      padding: 'same',
      activation: 'relu',
      kernelInitializer: seeded(rng),
    });
  // Keras' default moving-average momentum, 0.99, leaves the evaluation statistics mostly at
  // their initial values for the first few hundred steps, which short continual tasks are;
  // 0.9 is PyTorch's default (its momentum 0.1), the built-in ResNet-18's too.
  /** @param {string} name */
  const norm = (name) => tf.layers.batchNormalization({ name, momentum: 0.9 });
  const input = tf.layers.inputLayer({ inputShape: [...inputShape] });
  return tf.sequential({
    name: 'my-cnn',
    layers: [
      input,
      conv('conv1', filters),
      norm('bn1'),
      conv('conv2', 2 * filters),
      norm('bn2'),
      tf.layers.globalAveragePooling2d({ name: 'pool' }),
      tf.layers.dense({
        name: 'fc',
        units: 4 * filters,
        activation: 'relu',
        kernelInitializer: seeded(rng),
      }),
    ],
  });
}

registerModel(
  'my-cnn',
  ({ inputShape, classesPerTask, settings, rng }) =>
    fromLayersModel(buildMyCnn(inputShape, settings.filters, rng), {
      classesPerTask,
      rng,
      name: `my-cnn-f${settings.filters}`,
    }),
  {
    filters: z
      .number()
      .int()
      .positive()
      .default(16)
      .describe('filters of the first convolution (the second has twice as many)'),
  },
);
