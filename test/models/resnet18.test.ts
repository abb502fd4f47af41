import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import type { LabelledImages } from '../../src/data/images.js';
import { createResNet18 } from '../../src/models/resnet18.js';
import { covarianceMatrix } from '../../src/nullspace/covariance.js';
import { ProjectionState } from '../../src/nullspace/projection-state.js';
import { Rng } from '../../src/util/rng.js';
import { norm } from '../helpers.js';

/** Flat-coloured images: their patches span few directions, so the stem has a real null space. */
function flatImages(count: number, size: number, seed: number): LabelledImages {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(count * size * size * 3);
  for (let i = 0; i < count; i++) {
    const colour = [rng.int(256), rng.int(256), rng.int(256)];
    for (let p = 0; p < size * size; p++) pixels.set(colour, (i * size * size + p) * 3);
  }
  return { pixels, labels: new Int32Array(count), height: size, width: size, channels: 3 };
}

describe('pre-activation ResNet-18', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
  });

  it('has the reference parameter count (11,218,340 with 10 heads of 10 classes)', () => {
    const model = createResNet18(
      { inputChannels: 3, baseWidth: 64, classesPerTask: Array(10).fill(10) },
      new Rng(0),
    );
    expect(model.parameters.reduce((a, p) => a + p.variable.size, 0)).toBe(11_218_340);
    // Stem, 16 block convs and 3 shortcut convs are projected; heads and BatchNorm are not.
    expect(model.projectedLayers).toHaveLength(20);
    expect(model.projectedLayers.map((l) => l.inputSize).slice(0, 2)).toEqual([27, 576]);
    expect(
      model.projectedLayers.filter((l) => l.name.endsWith('shortcut')).map((l) => l.inputSize),
    ).toEqual([64, 128, 256]);
    expect(Math.max(...model.projectedLayers.map((l) => l.inputSize))).toBe(4608);
    model.dispose();
  });

  it('adds bn1(x) on an identity shortcut, as the reference block does', () => {
    const model = createResNet18(
      { inputChannels: 3, baseWidth: 4, classesPerTask: [2] },
      new Rng(3),
    );
    const param = (name: string) => model.parameters.find((p) => p.name === name)!.variable;
    tf.tidy(() => {
      param('layer1.0.bn1.gamma').assign(tf.fill([4], 2));
      param('layer1.0.bn1.beta').assign(tf.fill([4], 0.5));
      // Block 0 then outputs its shortcut alone.
      param('layer1.0.conv2.kernel').assign(tf.zeros([3, 3, 4, 4]));
    });
    const inputs = new Map<string, Float32Array>();
    tf.tidy(() => {
      model.features(tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 5) as tf.Tensor4D, {
        training: false,
        onLayerInput: (layer, x) => inputs.set(layer.name, x.dataSync() as Float32Array),
      });
    });
    // Both see relu(bn1(stem)) (block 1's bn1 is the identity up to √(1 + ε)) only if the
    // skip carried bn1(stem) rather than the stem's output itself.
    const scale = Math.sqrt(1 + 1e-5);
    const first = inputs.get('layer1.0.conv1')!;
    const second = inputs.get('layer1.1.conv1')!.map((v) => v * scale);
    expect(Math.max(...first.map((v, i) => Math.abs(v - second[i])))).toBeLessThan(1e-5);
    expect(Math.max(...first)).toBeGreaterThan(1);
    model.dispose();
  });

  it.each([32, 64])('maps %d-pixel square images to per-task logits', (size) => {
    const model = createResNet18(
      { inputChannels: 3, baseWidth: 4, classesPerTask: [5, 8] },
      new Rng(1),
    );
    const x = tf.randomNormal([2, size, size, 3]) as tf.Tensor4D;
    expect(model.logits(model.features(x, { training: false }), 1).shape).toEqual([2, 8]);
    expect(model.featureSize).toBe(32);
    model.dispose();
  });

  it('conv covariance comes from im2col patches and projected conv updates leave C·ΔW ≈ 0', () => {
    const model = createResNet18(
      { inputChannels: 3, baseWidth: 4, classesPerTask: [2] },
      new Rng(2),
    );
    const state = new ProjectionState({
      rule: { kind: 'energy', epsilon: 0.05 },
      normalize: true,
      covarianceMode: 'per-sample',
      batchSize: 8,
    });
    const images = flatImages(16, 8, 3);
    state.accumulate(model, images, { mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    const records = state.refresh(model.projectedLayers);
    expect(records.map((r) => r.n)).toEqual(model.projectedLayers.map((l) => l.inputSize));
    const stem = model.projectedLayers[0];
    const snap = state.snapshot().covariances[stem.name];
    // 16 images of 8×8 with stride 1 and padding 1: 64 patches each.
    expect(snap.count).toBe(16 * 64);
    const c = covarianceMatrix({ n: 27, sum: snap.sum, count: snap.count });
    const g = tf.randomNormal([3, 3, 3, 4]);
    const pg = state.project(stem, g).dataSync();
    const cg = (v: ArrayLike<number>) => {
      const out = new Float64Array(27 * 4);
      for (let i = 0; i < 27; i++)
        for (let j = 0; j < 27; j++)
          for (let o = 0; o < 4; o++) out[i * 4 + o] += c[i * 27 + j] * v[j * 4 + o];
      return out;
    };
    expect(records[0].kept).toBeGreaterThan(0);
    expect(norm(cg(pg)) / norm(pg)).toBeLessThan(
      0.2 * (norm(cg(g.dataSync())) / norm(g.dataSync())),
    );
    state.dispose();
    model.dispose();
  });
});
