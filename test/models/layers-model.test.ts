import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { fromLayersModel } from '../../src/models/layers-model.js';
import { createModel, registerModel } from '../../src/registry/components.js';
import { parseConfig } from '../../src/registry/experiment-config.js';
import { loadModelWeights, modelWeights } from '../../src/train/checkpoint.js';
import { Rng } from '../../src/util/rng.js';
import { maxAbsDiff } from '../helpers.js';
import { residualCnn, residualCnnUnnamed, SHAPE, sequentialCnn } from './layer-backbones.js';

beforeAll(async () => {
  await selectBackend('cpu');
});

const batch = (seed: number, size = 4) =>
  tf.randomNormal([size, ...SHAPE], 0, 1, 'float32', seed) as tf.Tensor4D;

const options = { classesPerTask: [2, 3], rng: new Rng(1) };

describe('fromLayersModel', () => {
  it('projects every Dense and Conv2D under the user’s names, biases in; BatchNorm is bn and buffers', () => {
    const backbone = sequentialCnn();
    const bnLayer = backbone.getLayer('bn');
    const model = fromLayersModel(backbone, { classesPerTask: [2, 3], rng: new Rng(1) });
    expect(model.name).toBe('seq');
    expect(model.featureSize).toBe(5);
    expect(model.projectedLayers.map((l) => [l.name, l.inputSize])).toEqual([
      ['conv1', 3 * 3 * 2 + 1],
      ['conv2', 3 * 3 * 8 + 1],
      ['fc', 2 * 2 * 8 + 1],
    ]);
    expect(model.projectedLayers[0].geometry).toEqual({
      kernelSize: [3, 3],
      strides: [2, 2],
      padding: 'same',
    });
    expect(model.parameters.map((p) => [p.name, p.group, p.head])).toEqual([
      ['conv1.kernel', 'backbone', undefined],
      ['conv1.bias', 'backbone', undefined],
      ['bn.gamma', 'bn', undefined],
      ['bn.beta', 'bn', undefined],
      ['conv2.kernel', 'backbone', undefined],
      ['conv2.bias', 'backbone', undefined],
      ['fc.kernel', 'backbone', undefined],
      ['fc.bias', 'backbone', undefined],
      ['head0.kernel', 'head', 0],
      ['head0.bias', 'head', 0],
      ['head1.kernel', 'head', 1],
      ['head1.bias', 'head', 1],
    ]);
    const [conv1, conv1Bias] = model.parameters;
    expect(conv1.projected).toBe(model.projectedLayers[0]);
    expect(conv1Bias.biasOf).toBe(model.projectedLayers[0]);
    expect(model.projectedLayers[0].bias).toBe(conv1Bias.variable);
    expect(model.buffers).toEqual(bnLayer.nonTrainableWeights.map((w) => w.read()));
    model.dispose();
  });

  it('computes what the backbone computed before it was taken over', () => {
    for (const backbone of [sequentialCnn(), residualCnn()]) {
      const x = batch(1);
      const own = backbone.predict(x) as tf.Tensor;
      const model = fromLayersModel(backbone, options);
      const features = model.features(x, { training: false });
      expect(features.shape).toEqual(own.shape);
      expect(maxAbsDiff(features.dataSync(), own.dataSync())).toBeLessThan(1e-5);
      expect(model.logits(features, 1).shape).toEqual([4, 3]);
      tf.dispose([x, own, features]);
      model.dispose();
    }
  });

  it('reports each projected layer’s input once per pass, the residual shortcut included', () => {
    const model = fromLayersModel(residualCnn(), options);
    for (const training of [false, true]) {
      const seen: string[] = [];
      tf.tidy(() => {
        model.features(batch(2), {
          training,
          onLayerInput: (layer, input) => seen.push(`${layer.name} ${input.shape.slice(1)}`),
        });
      });
      expect(seen.sort()).toEqual(['a 8,8,2', 'b 4,4,8', 'fc 8', 'shortcut 8,8,2']);
    }
    model.dispose();
  });

  it('passes training mode to the layers: BatchNorm statistics move and Dropout drops', () => {
    const model = fromLayersModel(sequentialCnn(1, 0.5), options);
    const x = batch(3);
    const stats = () => model.buffers.flatMap((b) => Array.from(b.dataSync()));
    const eval1 = tf.tidy(() => Array.from(model.features(x, { training: false }).dataSync()));
    const statsBefore = stats();
    const eval2 = tf.tidy(() => Array.from(model.features(x, { training: false }).dataSync()));
    expect(eval2).toEqual(eval1);
    expect(stats()).toEqual(statsBefore);
    const trained = tf.tidy(() => Array.from(model.features(x, { training: true }).dataSync()));
    expect(maxAbsDiff(stats(), statsBefore)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(trained, eval1)).toBeGreaterThan(0.1);
    x.dispose();
    model.dispose();
  });

  it('exposes the variables the computation reads: every parameter gets a gradient', () => {
    const model = fromLayersModel(residualCnn(), options);
    const params = model.parameters.filter((p) => p.head !== 0);
    const x = batch(4);
    const { value, grads } = tf.variableGrads(
      () => tf.sum(tf.square(model.logits(model.features(x, { training: true }), 1))) as tf.Scalar,
      params.map((p) => p.variable),
    );
    for (const p of params) {
      const g = grads[p.variable.name];
      expect(g, p.name).toBeDefined();
      expect(tf.norm(g).dataSync()[0], p.name).toBeGreaterThan(0);
    }
    tf.dispose([x, value, ...Object.values(grads)]);
    model.dispose();
  });

  it('refuses what it cannot project, naming the layer', () => {
    const conv = (args: Partial<Parameters<typeof tf.layers.conv2d>[0]>) =>
      tf.sequential({
        layers: [
          tf.layers.conv2d({ inputShape: [...SHAPE], filters: 2, kernelSize: 3, ...args }),
          tf.layers.flatten(),
        ],
      });
    expect(() => fromLayersModel(conv({ name: 'dil', dilationRate: 2 }), options)).toThrow(
      /layer dil: a dilated Conv2D \(dilationRate 2×2\)/,
    );
    expect(() =>
      fromLayersModel(conv({ name: 'first', dataFormat: 'channelsFirst' }), options),
    ).toThrow(/layer first: only channelsLast/);
    const unflattened = tf.sequential({
      layers: [tf.layers.conv2d({ inputShape: [...SHAPE], filters: 2, kernelSize: 3 })],
    });
    expect(() => fromLayersModel(unflattened, options)).toThrow(
      /outputs \[batch, 6, 6, 2\], not \[batch, features\]: end it with tf.layers.flatten\(\) or tf.layers.globalAveragePooling2d\(\)/,
    );
  });

  it('refuses unprojectable trainable layers unless told to train them unprotected', () => {
    const backbone = tf.sequential({
      layers: [
        tf.layers.depthwiseConv2d({ name: 'dw', inputShape: [...SHAPE], kernelSize: 3 }),
        tf.layers.separableConv2d({ name: 'sep', filters: 2, kernelSize: 3 }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ name: 'fc', units: 3 }),
      ],
    });
    expect(() => fromLayersModel(backbone, options)).toThrow(
      /layers dw \(DepthwiseConv2D\), sep \(SeparableConv2D\) of backbone .* unprojected: 'train'/,
    );
    // The refusal took nothing over: the same backbone can be passed again.
    const model = fromLayersModel(backbone, { ...options, unprojected: 'train' });
    expect(model.projectedLayers.map((l) => l.name)).toEqual(['fc']);
    const plain = model.parameters.filter(
      (p) => p.group === 'backbone' && !p.projected && !p.biasOf,
    );
    expect(plain.map((p) => p.name)).toEqual([
      'dw.depthwise_kernel',
      'dw.bias',
      'sep.depthwise_kernel',
      'sep.pointwise_kernel',
      'sep.bias',
    ]);
    model.dispose();
  });

  it('keeps frozen layers’ weights as buffers, not parameters', () => {
    const backbone = sequentialCnn();
    backbone.getLayer('conv2').trainable = false;
    const model = fromLayersModel(backbone, options);
    expect(model.projectedLayers.map((l) => l.name)).toEqual(['conv1', 'fc']);
    expect(model.buffers.length).toBe(4);
    model.dispose();
  });

  it('opens nested models: the layers of a model used as a layer are projected too', () => {
    const base = sequentialCnn();
    const input = tf.input({ shape: [...SHAPE] });
    const features = base.apply(input) as tf.SymbolicTensor;
    const top = tf.layers.dense({ name: 'top', units: 3 }).apply(features) as tf.SymbolicTensor;
    const backbone = tf.model({ name: 'outer', inputs: input, outputs: top });
    const x = batch(7);
    const own = backbone.predict(x) as tf.Tensor;
    const model = fromLayersModel(backbone, options);
    expect(model.projectedLayers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc', 'top']);
    const got = model.features(x, { training: false });
    expect(maxAbsDiff(got.dataSync(), own.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, own, got]);
    model.dispose();
  });

  it('takes flattened-input backbones (an MLP) on images', () => {
    const backbone = tf.sequential({
      layers: [
        tf.layers.dense({ name: 'h', inputShape: [8 * 8 * 2], units: 6, activation: 'relu' }),
      ],
    });
    const model = fromLayersModel(backbone, options);
    const features = tf.tidy(() => model.features(batch(5), { training: false }));
    expect(features.shape).toEqual([4, 6]);
    expect(model.projectedLayers[0].inputSize).toBe(8 * 8 * 2 + 1);
    features.dispose();
    model.dispose();
  });

  it('builds the user’s heads: their weights are head parameters with the head’s index', () => {
    const heads = (head: number, outputs: number, featureSize: number) =>
      tf.sequential({
        layers: [
          tf.layers.dense({
            name: `h${head}a`,
            inputShape: [featureSize],
            units: 4,
            activation: 'relu',
          }),
          tf.layers.dense({ name: `h${head}b`, units: outputs, useBias: false }),
        ],
      });
    const model = fromLayersModel(sequentialCnn(), { ...options, heads });
    expect(model.parameters.filter((p) => p.group === 'head').map((p) => [p.name, p.head])).toEqual(
      [
        ['head0.h0a.kernel', 0],
        ['head0.h0a.bias', 0],
        ['head0.h0b.kernel', 0],
        ['head1.h1a.kernel', 1],
        ['head1.h1a.bias', 1],
        ['head1.h1b.kernel', 1],
      ],
    );
    // Heads are never projected.
    expect(model.projectedLayers.map((l) => l.name)).toEqual(['conv1', 'conv2', 'fc']);
    const logits = tf.tidy(() => model.logits(model.features(batch(6), { training: false }), 1));
    expect(logits.shape).toEqual([4, 3]);
    logits.dispose();
    model.dispose();
    const wrong = () => tf.sequential({ layers: [tf.layers.dense({ inputShape: [5], units: 7 })] });
    expect(() => fromLayersModel(sequentialCnn(), { ...options, heads: wrong })).toThrow(
      /head 0 must map \[batch, 5\] features to \[batch, 2\] logits; it maps \[batch, 5\] to \[batch, 7\]/,
    );
  });

  it('is built twice through a factory with the same names and disposed without leaks', async () => {
    registerModel('test-layers-twice', ({ classesPerTask, rng }) =>
      fromLayersModel(residualCnnUnnamed(), { classesPerTask, rng }),
    );
    const config = parseConfig({ model: { type: 'test-layers-twice' } }, 'test');
    const build = () => createModel(config, SHAPE, [2], new Rng(0));
    (await build()).dispose();
    const baseline = tf.memory().numTensors;
    const [first, second] = [await build(), await build()];
    expect(second.projectedLayers.map((l) => l.name)).toEqual(
      first.projectedLayers.map((l) => l.name),
    );
    expect(first.projectedLayers.map((l) => l.name)).toEqual(['conv2d_1', 'conv2d_2', 'dense_1']);
    const shared = first.parameters.filter((p) =>
      second.parameters.some((q) => q.variable === p.variable),
    );
    expect(shared).toEqual([]);
    first.dispose();
    second.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('refuses a backbone another model already took over', () => {
    const backbone = sequentialCnn();
    const model = fromLayersModel(backbone, options);
    expect(() => fromLayersModel(backbone, options)).toThrow(
      /layer conv1 of seq already belongs to a model made by fromLayersModel: build a new tf.LayersModel for every model/,
    );
    model.dispose();
  });

  it('restores parameters and buffers from a checkpoint to identical logits', () => {
    const trained = fromLayersModel(sequentialCnn(1), options);
    // Training-mode passes move the BatchNorm statistics; shifted weights stand in for training.
    tf.tidy(() => {
      for (let i = 0; i < 3; i++) trained.features(batch(10 + i), { training: true });
      for (const p of trained.parameters) p.variable.assign(tf.add(p.variable, 0.1));
    });
    const fresh = fromLayersModel(sequentialCnn(99), { classesPerTask: [2, 3], rng: new Rng(2) });
    const x = batch(20);
    const logits = (m: typeof trained) =>
      tf.tidy(() => Array.from(m.logits(m.features(x, { training: false }), 1).dataSync()));
    expect(maxAbsDiff(logits(fresh), logits(trained))).toBeGreaterThan(1e-3);
    loadModelWeights(fresh, modelWeights(trained));
    expect(logits(fresh)).toEqual(logits(trained));
    x.dispose();
    trained.dispose();
    fresh.dispose();
  });

  it('trains a linear, biased Conv2D on wasm, where tfjs-layers’ own fused call has no gradient', async () => {
    const gradients = () => {
      const backbone = tf.sequential({
        layers: [
          tf.layers.conv2d({
            name: 'conv',
            inputShape: [...SHAPE],
            filters: 3,
            kernelSize: 3,
            strides: 2,
            kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }),
            biasInitializer: 'ones',
          }),
          tf.layers.flatten(),
        ],
      });
      const model = fromLayersModel(backbone, options);
      const x = tf.tensor4d(
        Float32Array.from({ length: 2 * 8 * 8 * 2 }, (_, i) => Math.sin(i)),
        [2, ...SHAPE],
      );
      const [kernel, bias] = model.parameters;
      const { value, grads } = tf.variableGrads(
        () => tf.sum(tf.square(model.features(x, { training: true }))) as tf.Scalar,
        [kernel.variable, bias.variable],
      );
      const host = [kernel, bias].flatMap((p) => Array.from(grads[p.variable.name].dataSync()));
      tf.dispose([x, value, ...Object.values(grads)]);
      model.dispose();
      return host;
    };
    const onCpu = gradients();
    try {
      await selectBackend('wasm');
      expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
      expect(maxAbsDiff(gradients(), onCpu)).toBeLessThan(1e-4);
    } finally {
      await selectBackend('cpu');
    }
  });
});
