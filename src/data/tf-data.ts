import type { data } from '@tensorflow/tfjs';
import * as tf from '@tensorflow/tfjs-core';
import type { LabelledImages } from './images.js';
import type { LabelledDataset } from './labelled-dataset.js';

/**
 * One image `xs` [height, width, channels] with its class id (scalar) or one-hot vector
 * [classes] as `ys`, or a batch of them: [batch, height, width, channels] with [batch] or
 * [batch, classes]. A data set may mix batched and single elements. A type rather than an
 * interface, so that it is a tf.TensorContainer and tf.data accepts it.
 */
export type TfDataElement = { readonly xs: tf.Tensor; readonly ys: tf.Tensor };

/**
 * Any tf.data Dataset: `batch()` types its result as a plain TensorContainer, so the {xs, ys}
 * form is checked per element at run time instead.
 */
export type TfDataset = data.Dataset<tf.TensorContainer>;

export interface TfDataOptions {
  /**
   * The xs value of full intensity: 255 (default) when xs hold byte values, 1 when they hold
   * floats in [0, 1]. Either way every value must be a whole byte once scaled to [0, 255]:
   * anything else (resized or normalised images) is refused rather than rounded.
   */
  readonly maxPixel?: 255 | 1;
  /** When given, class ids must be below it and one-hot vectors this long. */
  readonly numClasses?: number;
}

/** Reads every element of `dataset` into bytes, disposing each element's tensors. */
export function labelledImagesFromTfData(
  dataset: TfDataset,
  options: TfDataOptions = {},
): Promise<LabelledImages> {
  return collect(dataset, options, 'tf.data');
}

export interface TfDataSplits {
  /** Defaults to 'tf-data'. */
  readonly name?: string;
  readonly train: TfDataset;
  readonly test: TfDataset;
  /** By class id; their number bounds the class ids and fixes the one-hot length. */
  readonly classNames: readonly string[];
  readonly maxPixel?: TfDataOptions['maxPixel'];
}

/** A whole data set from tf.data splits; normalisation is left to the training images. */
export async function labelledDatasetFromTfData(splits: TfDataSplits): Promise<LabelledDataset> {
  const options = { maxPixel: splits.maxPixel, numClasses: splits.classNames.length };
  const train = await collect(splits.train, options, 'train');
  const test = await collect(splits.test, options, 'test');
  if (shapeText(train) !== shapeText(test)) {
    throw new Error(`test images are ${shapeText(test)} but train images are ${shapeText(train)}`);
  }
  return { name: splits.name ?? 'tf-data', train, test, classNames: splits.classNames };
}

/** Float32 rounding of k/255 scaled back by 255 lands within ~2e-5 of k. */
const PIXEL_TOLERANCE = 1e-3;

interface ElementImages {
  readonly images: LabelledImages;
  /** Image shape and label form; every element of a data set must have the same. */
  readonly layout: string;
}

async function collect(
  dataset: TfDataset,
  options: TfDataOptions,
  what: string,
): Promise<LabelledImages> {
  const parts: LabelledImages[] = [];
  let layout: string | undefined;
  const iterator = await dataset.iterator();
  for (let index = 0; ; index++) {
    const { value, done } = await iterator.next();
    if (done) break;
    try {
      const element = await readElement(value, options);
      layout ??= element.layout;
      if (element.layout !== layout) {
        throw new Error(`it holds ${element.layout}, but the first element holds ${layout}`);
      }
      parts.push(element.images);
    } catch (err) {
      throw new Error(`${what} element ${index}: ${(err as Error).message}`);
    } finally {
      tf.dispose(value);
    }
  }
  if (parts.length === 0) throw new Error(`${what}: the dataset yielded no elements`);
  return concatImages(parts);
}

async function readElement(
  element: tf.TensorContainer,
  options: TfDataOptions,
): Promise<ElementImages> {
  const { xs, ys } = (element ?? {}) as Partial<TfDataElement>;
  if (!(xs instanceof tf.Tensor) || !(ys instanceof tf.Tensor)) {
    throw new Error('expected an element {xs: Tensor, ys: Tensor}');
  }
  const batched = xs.rank === 4;
  if (!batched && xs.rank !== 3) {
    throw new Error(
      `xs has shape [${xs.shape}]; expected [height, width, channels] or [batch, height, width, channels] (give greyscale images a channel axis: xs.expandDims(-1))`,
    );
  }
  const [height, width, channels] = xs.shape.slice(batched ? 1 : 0);
  const labelRank = ys.rank - (batched ? 1 : 0);
  const oneHotLength = labelRank === 1 ? ys.shape[ys.rank - 1] : undefined;
  if (
    (batched && ys.shape[0] !== xs.shape[0]) ||
    labelRank < 0 ||
    labelRank > 1 ||
    oneHotLength === 0
  ) {
    throw new Error(
      `ys has shape [${ys.shape}] for xs of shape [${xs.shape}]; expected class ids ([] per image) or one-hot vectors ([classes] per image)`,
    );
  }
  const labels = readLabels(await numbers(ys, 'ys'), oneHotLength, options.numClasses);
  const pixels = toBytes(await numbers(xs, 'xs'), options.maxPixel ?? 255);
  const labelForm =
    oneHotLength === undefined ? 'class ids' : `one-hot labels of length ${oneHotLength}`;
  const images = { pixels, labels, height, width, channels };
  return { images, layout: `${shapeText(images)} images with ${labelForm}` };
}

async function numbers(t: tf.Tensor, name: string): Promise<Float32Array | Int32Array> {
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new Error(`${name} has dtype ${t.dtype}; expected float32 or int32`);
  }
  return (await t.data()) as Float32Array | Int32Array;
}

function readLabels(
  values: Float32Array | Int32Array,
  oneHotLength: number | undefined,
  numClasses: number | undefined,
): Int32Array {
  if (oneHotLength === undefined) {
    for (const id of values) {
      if (!Number.isInteger(id) || id < 0 || (numClasses !== undefined && id >= numClasses)) {
        const range = numClasses === undefined ? 'a whole number >= 0' : `in 0..${numClasses - 1}`;
        throw new Error(`class id ${id} in ys is not ${range}`);
      }
    }
    return Int32Array.from(values);
  }
  if (numClasses !== undefined && oneHotLength !== numClasses) {
    throw new Error(`ys one-hot vectors have length ${oneHotLength}, not ${numClasses} classes`);
  }
  return Int32Array.from({ length: values.length / oneHotLength }, (_, i) =>
    oneHotIndex(values.subarray(i * oneHotLength, (i + 1) * oneHotLength)),
  );
}

function oneHotIndex(row: Float32Array | Int32Array): number {
  const hot = row.indexOf(1);
  if (hot < 0 || row.some((v, i) => v !== (i === hot ? 1 : 0))) {
    throw new Error(`ys row [${row}] is not one-hot (a single 1, all else 0)`);
  }
  return hot;
}

function toBytes(values: Float32Array | Int32Array, maxPixel: 255 | 1): Uint8Array {
  const scale = 255 / maxPixel;
  const bytes = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] * scale;
    const b = Math.round(v);
    // Written so that NaN fails too.
    if (!(Math.abs(v - b) <= PIXEL_TOLERANCE && b >= 0 && b <= 255)) {
      throw new Error(`xs value ${values[i]} is not a pixel value: ${pixelRule(maxPixel)}`);
    }
    bytes[i] = b;
  }
  return bytes;
}

function pixelRule(maxPixel: 255 | 1): string {
  return maxPixel === 255
    ? 'expected whole numbers in [0, 255] (pass maxPixel: 1 for floats in [0, 1])'
    : 'expected multiples of 1/255 in [0, 1]';
}

function shapeText(images: LabelledImages): string {
  return `${images.height}x${images.width}x${images.channels}`;
}

function concatImages(parts: readonly LabelledImages[]): LabelledImages {
  const pixels = new Uint8Array(parts.reduce((n, p) => n + p.pixels.length, 0));
  const labels = new Int32Array(parts.reduce((n, p) => n + p.labels.length, 0));
  let pixelOffset = 0;
  let labelOffset = 0;
  for (const part of parts) {
    pixels.set(part.pixels, pixelOffset);
    labels.set(part.labels, labelOffset);
    pixelOffset += part.pixels.length;
    labelOffset += part.labels.length;
  }
  const { height, width, channels } = parts[0];
  return { pixels, labels, height, width, channels };
}
