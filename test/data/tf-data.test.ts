import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfd from '@tensorflow/tfjs-data';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  labelledDatasetFromTfData,
  labelledImagesFromTfData,
  type TfDataElement,
  type TfDataset,
} from '../../src/data/tf-data.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const H = 2;
const W = 3;
const C = 3;
const CLASSES = 4;
const LABELS = [2, 0, 3, 3, 1];

/** Bytes that differ per image, position and channel, so converted pixels identify their source. */
function imageBytes(i: number): number[] {
  return Array.from({ length: H * W * C }, (_, k) => (i * 41 + k * 13) & 255);
}

const ALL_PIXELS = LABELS.flatMap((_, i) => imageBytes(i));

type PixelForm = 'bytes' | 'unit';
type LabelForm = 'ids' | 'one-hot';

/** Image i as byte values or [0, 1] floats, with a class id or a one-hot label. */
function element(i: number, pixels: PixelForm = 'bytes', labels: LabelForm = 'ids'): TfDataElement {
  const values = imageBytes(i).map((v) => (pixels === 'unit' ? v / 255 : v));
  return {
    xs: tf.tensor3d(values, [H, W, C], pixels === 'unit' ? 'float32' : 'int32'),
    ys: labels === 'ids' ? tf.scalar(LABELS[i], 'int32') : tf.oneHot(LABELS[i], CLASSES),
  };
}

function elements(pixels: PixelForm = 'bytes', labels: LabelForm = 'ids'): TfDataElement[] {
  return LABELS.map((_, i) => element(i, pixels, labels));
}

/** An image of one repeated value. */
function filled(value: number, shape = [H, W, C]): tf.Tensor {
  return tf.fill(shape, value);
}

/** Elements made by a generator, so every tensor in them is the adapter's to dispose. */
function generated(make: () => TfDataElement[]): TfDataset {
  return tfd.generator(function* () {
    yield* make();
  });
}

async function expectAll(dataset: TfDataset, maxPixel?: 255 | 1) {
  const images = await labelledImagesFromTfData(dataset, { maxPixel });
  expect([images.height, images.width, images.channels]).toEqual([H, W, C]);
  expect(Array.from(images.labels)).toEqual(LABELS);
  expect(Array.from(images.pixels)).toEqual(ALL_PIXELS);
}

/** The error message of converting the elements; each must hold tensors of its own. */
function errorOf(items: TfDataElement[], maxPixel?: 255 | 1): Promise<string> {
  return labelledImagesFromTfData(
    generated(() => items),
    { maxPixel },
  ).then(
    () => 'no error',
    (err: Error) => err.message,
  );
}

describe('labelledImagesFromTfData', () => {
  it('reads unbatched elements with class ids', async () => {
    await expectAll(tfd.array(elements()));
  });

  it('reads batches, including a short last one, with one-hot labels', async () => {
    await expectAll(tfd.array(elements('bytes', 'one-hot')).batch(2));
  });

  it('reads [0, 1] floats as bytes with maxPixel: 1', async () => {
    await expectAll(tfd.array(elements('unit')).batch(3), 1);
  });

  it('accepts integer-valued float32 class ids and a mix of batches and single images', async () => {
    const floatIds = (i: number) => ({ xs: element(i).xs, ys: tf.scalar(LABELS[i]) });
    const batch = () => ({
      xs: tf.stack([0, 1, 2].map((i) => element(i).xs)),
      ys: tf.tensor1d(LABELS.slice(0, 3)),
    });
    await expectAll(generated(() => [batch(), floatIds(3), floatIds(4)]));
  });

  it('disposes every tensor it takes from the iterator, on success and on error', async () => {
    const before = tf.memory().numTensors;
    await labelledImagesFromTfData(generated(() => elements('bytes', 'one-hot')).batch(2));
    expect(tf.memory().numTensors).toBe(before);
    const bad = () => [element(0), element(1), { xs: filled(300), ys: tf.scalar(0) }];
    await expect(labelledImagesFromTfData(generated(bad))).rejects.toThrow(/element 2/);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses values that are not pixel bytes instead of rounding them', async () => {
    const image = (value: number) => ({ xs: filled(value), ys: tf.scalar(0) });
    expect(await errorOf([image(3), image(127.5)])).toBe(
      'tf.data element 1: xs value 127.5 is not a pixel value: expected whole numbers in [0, 255] (pass maxPixel: 1 for floats in [0, 1])',
    );
    expect(await errorOf([image(0.5)])).toMatch(/xs value 0\.5 is not a pixel value/);
    expect(await errorOf([image(256)])).toMatch(/xs value 256 is not a pixel value/);
    expect(await errorOf([image(-1)])).toMatch(/xs value -1 is not a pixel value/);
    expect(await errorOf([image(Number.NaN)])).toMatch(/xs value NaN is not a pixel value/);
    expect(await errorOf([image(0.3)], 1)).toBe(
      'tf.data element 0: xs value 0.30000001192092896 is not a pixel value: expected multiples of 1/255 in [0, 1]',
    );
    expect(await errorOf([image(1.01)], 1)).toMatch(/is not a pixel value/);
  });

  it('refuses elements whose image shape or label form differs from the first', async () => {
    expect(await errorOf([element(0), { xs: filled(0, [W, H, C]), ys: tf.scalar(1) }])).toBe(
      `tf.data element 1: it holds ${W}x${H}x${C} images with class ids, but the first element holds ${H}x${W}x${C} images with class ids`,
    );
    expect(await errorOf([element(0), element(1, 'bytes', 'one-hot')])).toMatch(
      /element 1: it holds .* with one-hot labels of length 4, but the first element holds .* with class ids/,
    );
  });

  it('explains xs and ys shapes it cannot read', async () => {
    expect(await errorOf([{ xs: filled(0, [H, W]), ys: tf.scalar(0) }])).toMatch(
      /xs has shape \[2,3\]; expected \[height, width, channels\] or \[batch, height, width, channels\] \(give greyscale images a channel axis/,
    );
    expect(await errorOf([{ xs: filled(0, [2, H, W, C]), ys: tf.tensor1d([0, 1, 2]) }])).toMatch(
      /ys has shape \[3\] for xs of shape \[2,2,3,3\]/,
    );
    expect(await errorOf([{ xs: filled(0), ys: tf.zeros([1, 4]) }])).toMatch(
      /ys has shape \[1,4\]/,
    );
    expect(await errorOf([{ xs: filled(0, [2, H, W, C]), ys: tf.zeros([2, 0]) }])).toMatch(
      /ys has shape \[2,0\]/,
    );
  });

  it('refuses labels that are neither class ids nor one-hot vectors', async () => {
    expect(await errorOf([{ xs: filled(0), ys: tf.scalar(1.5) }])).toBe(
      'tf.data element 0: class id 1.5 in ys is not a whole number >= 0',
    );
    expect(await errorOf([{ xs: filled(0), ys: tf.scalar(-1, 'int32') }])).toMatch(/class id -1/);
    expect(await errorOf([{ xs: filled(0), ys: tf.tensor1d([0, 0.9, 0.1, 0]) }])).toMatch(
      /ys row \[0,0\.8999999761581421,0\.10000000149011612,0\] is not one-hot/,
    );
    expect(await errorOf([{ xs: filled(0), ys: tf.tensor1d([1, 0, 1, 0]) }])).toMatch(
      /is not one-hot/,
    );
    expect(await errorOf([{ xs: filled(0), ys: tf.scalar(true, 'bool') }])).toMatch(
      /ys has dtype bool; expected float32 or int32/,
    );
  });

  it('refuses an empty dataset and elements that are not {xs, ys}', async () => {
    expect(await errorOf([])).toBe('tf.data: the dataset yielded no elements');
    const noYs = { xs: filled(0) } as unknown as TfDataElement;
    expect(await errorOf([noYs])).toMatch(
      /element 0: expected an element \{xs: Tensor, ys: Tensor\}/,
    );
  });
});

describe('labelledDatasetFromTfData', () => {
  const classNames = ['a', 'b', 'c', 'd'];

  it('builds a labelled data set from train and test datasets', async () => {
    const data = await labelledDatasetFromTfData({
      name: 'mine',
      train: tfd.array(elements('unit', 'one-hot')).batch(2),
      test: tfd.array(elements('unit').slice(0, 2)),
      classNames,
      maxPixel: 1,
    });
    expect(data.name).toBe('mine');
    expect(data.classNames).toEqual(classNames);
    expect(data.normalization).toBeUndefined();
    expect(Array.from(data.train.labels)).toEqual(LABELS);
    expect(Array.from(data.train.pixels)).toEqual(ALL_PIXELS);
    expect(Array.from(data.test.labels)).toEqual(LABELS.slice(0, 2));
    expect(Array.from(data.test.pixels)).toEqual(ALL_PIXELS.slice(0, 2 * H * W * C));
  });

  it('checks labels against the class names and the test shape against the train shape', async () => {
    const build = (test: TfDataset, names = classNames) =>
      labelledDatasetFromTfData({ train: tfd.array(elements()), test, classNames: names });
    await expect(build(tfd.array(elements()), ['a', 'b', 'c'])).rejects.toThrow(
      'train element 2: class id 3 in ys is not in 0..2',
    );
    const oneHot5 = [{ xs: filled(0), ys: tf.oneHot(0, 5) }];
    await expect(build(tfd.array(oneHot5))).rejects.toThrow(
      'test element 0: ys one-hot vectors have length 5, not 4 classes',
    );
    const wide = [{ xs: filled(0, [H, W + 1, C]), ys: tf.scalar(0) }];
    await expect(build(tfd.array(wide))).rejects.toThrow(
      `test images are ${H}x${W + 1}x${C} but train images are ${H}x${W}x${C}`,
    );
  });
});
