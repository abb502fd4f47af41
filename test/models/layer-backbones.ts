/** Small tf.LayersModel backbones on 8×8×2 images for the fromLayersModel tests. */
import * as tf from '@tensorflow/tfjs';

export const SHAPE = [8, 8, 2] as const;

const link = (layer: tf.layers.Layer, input: tf.SymbolicTensor | tf.SymbolicTensor[]) =>
  layer.apply(input) as tf.SymbolicTensor;

/**
 * Conv2D ('same', stride 2, bias, relu) → BatchNorm → Conv2D (bias, relu) → Flatten →
 * Dropout → Dense (bias), kernels drawn from `seed`.
 */
export function sequentialCnn(seed = 1, dropout = 0): tf.Sequential {
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  return tf.sequential({
    name: 'seq',
    layers: [
      tf.layers.conv2d({
        name: 'conv1',
        inputShape: [...SHAPE],
        filters: 8,
        kernelSize: 3,
        strides: 2,
        padding: 'same',
        activation: 'relu',
        kernelInitializer: init(),
      }),
      tf.layers.batchNormalization({ name: 'bn' }),
      tf.layers.conv2d({
        name: 'conv2',
        filters: 8,
        kernelSize: 3,
        activation: 'relu',
        kernelInitializer: init(),
      }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dropout({ name: 'drop', rate: dropout }),
      tf.layers.dense({ name: 'fc', units: 5, kernelInitializer: init() }),
    ],
  });
}

/**
 * Conv2D (stride 2) → BatchNorm → relu → Conv2D, added to a 1×1 stride-2 Conv2D shortcut of
 * the input, global average pooling, Dense; every layer 'same' with a bias; kernels drawn
 * from `seed`.
 */
export function residualCnn(seed = 1): tf.LayersModel {
  const init = () => tf.initializers.glorotUniform({ seed: seed++ });
  const conv = (name: string, kernelSize: number, strides: number) =>
    tf.layers.conv2d({
      name,
      filters: 8,
      kernelSize,
      strides,
      padding: 'same',
      kernelInitializer: init(),
    });
  const input = tf.input({ shape: [...SHAPE] });
  const a = link(conv('a', 3, 2), input);
  const relu = link(
    tf.layers.activation({ activation: 'relu' }),
    link(tf.layers.batchNormalization({ name: 'bn' }), a),
  );
  const sum = link(tf.layers.add(), [
    link(conv('b', 3, 1), relu),
    link(conv('shortcut', 1, 2), input),
  ]);
  const pooled = link(tf.layers.globalAveragePooling2d({}), sum);
  const out = link(tf.layers.dense({ name: 'fc', units: 6, kernelInitializer: init() }), pooled);
  return tf.model({ name: 'res', inputs: input, outputs: out });
}

/** A residual model with tfjs' default (process-wide numbered) layer names. */
export function residualCnnUnnamed(): tf.LayersModel {
  const input = tf.input({ shape: [...SHAPE] });
  const a = link(tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }), input);
  const shortcut = link(tf.layers.conv2d({ filters: 4, kernelSize: 1 }), input);
  const pooled = link(tf.layers.globalAveragePooling2d({}), link(tf.layers.add(), [a, shortcut]));
  const out = link(tf.layers.dense({ units: 6 }), pooled);
  return tf.model({ inputs: input, outputs: out });
}
