import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { FASHION_MNIST_CLASS_NAMES } from '../../src/data/fashion-mnist.js';
import { readTasksFile } from '../../src/data/tasks-file.js';
import { createModel } from '../../src/registry/components.js';
import { parseConfig } from '../../src/registry/experiment-config.js';
import { Rng } from '../../src/util/rng.js';

await import('../../examples/my-cnn.mjs');

beforeAll(async () => {
  await selectBackend('cpu');
});

const config = parseConfig({ model: { type: 'my-cnn', 'my-cnn': { filters: 4 } } }, 'test');
const build = (seed: number) => createModel(config, [28, 28, 1], [2, 2, 2], new Rng(seed));
const weights = (model: Awaited<ReturnType<typeof build>>) =>
  model.parameters.flatMap((p) => Array.from(p.variable.dataSync()));

describe('examples/my-cnn', () => {
  it('registers my-cnn: projected conv1, conv2 and fc, per-task heads, logits per task', async () => {
    const model = await build(5);
    expect(model.name).toBe('my-cnn-f4');
    expect(model.projectedLayers.map((l) => [l.name, l.inputSize])).toEqual([
      ['conv1', 3 * 3 * 1 + 1],
      ['conv2', 3 * 3 * 4 + 1],
      ['fc', 8 + 1],
    ]);
    expect(model.buffers).toHaveLength(4);
    const logits = tf.tidy(() =>
      model.logits(model.features(tf.zeros([2, 28, 28, 1]), { training: false }), 2),
    );
    expect(logits.shape).toEqual([2, 2]);
    logits.dispose();
    model.dispose();
  });

  it('draws the same network from the same seed and another from another', async () => {
    const [a, b, c] = [await build(5), await build(5), await build(6)];
    expect(weights(b)).toEqual(weights(a));
    expect(weights(c)).not.toEqual(weights(a));
    for (const m of [a, b, c]) m.dispose();
  });

  it('comes with a tasks file over the Fashion-MNIST class names', () => {
    expect(readTasksFile('examples/tasks.json', FASHION_MNIST_CLASS_NAMES)).toEqual([
      [0, 1],
      [2, 3],
      [7, 8],
    ]);
  });
});
