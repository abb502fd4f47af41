import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../util/rng.js';
import { type AugmentOptions, augmentImage } from './augment.js';
import { imageCount, imageSize, type LabelledImages } from './images.js';
import type { Normalization } from './task-sequence.js';

/** One mini-batch on the tfjs backend; the consumer owns both tensors and must dispose them. */
export interface Batch {
  /** float32 [B, H, W, C], normalised as (p/255 - mean) / std per channel. */
  readonly x: tf.Tensor4D;
  /** int32 [B] labels. */
  readonly y: tf.Tensor1D;
  readonly size: number;
}

/** A batch still in host memory, before it becomes tensors. */
export interface HostBatch {
  readonly x: Float32Array;
  readonly y: Int32Array;
  readonly size: number;
}

export interface BatchOptions {
  readonly batchSize: number;
  /** Draws the shuffle order and the augmentation; required when either is on. */
  readonly rng?: Rng;
  readonly shuffle?: boolean;
  readonly augment?: AugmentOptions;
  /** Drop a final short batch (keeps batch statistics comparable across steps). */
  readonly dropLast?: boolean;
}

/**
 * Mini-batches over one epoch, built lazily so only one batch of float32 exists at a time.
 * The shuffle order is drawn when the first batch is requested, and each image's augmentation
 * as its batch is built, so the same seed gives the same batches.
 */
export function* batches(
  set: LabelledImages,
  normalization: Normalization,
  options: BatchOptions,
): Generator<Batch, void, undefined> {
  for (const host of hostBatches(set, normalization, options)) {
    const { height, width, channels } = set;
    yield {
      x: tf.tensor4d(host.x, [host.size, height, width, channels], 'float32'),
      y: tf.tensor1d(host.y, 'int32'),
      size: host.size,
    };
  }
}

/** Shuffled, optionally augmented training batches for one epoch. */
export function trainBatches(
  set: LabelledImages,
  normalization: Normalization,
  options: { batchSize: number; rng: Rng; augment?: AugmentOptions; dropLast?: boolean },
): Generator<Batch, void, undefined> {
  return batches(set, normalization, { ...options, shuffle: true });
}

/** Evaluation batches in data order, never augmented, the last one possibly short. */
export function evalBatches(
  set: LabelledImages,
  normalization: Normalization,
  batchSize: number,
): Generator<Batch, void, undefined> {
  return batches(set, normalization, { batchSize });
}

export function batchCount(images: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(images / batchSize) : Math.ceil(images / batchSize);
}

/** The host-side half of `batches`, separate so it can be tested and timed without tfjs. */
export function* hostBatches(
  set: LabelledImages,
  normalization: Normalization,
  options: BatchOptions,
): Generator<HostBatch, void, undefined> {
  const { batchSize } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`Batch size must be a positive integer, got ${batchSize}`);
  }
  if ((options.shuffle || options.augment) && !options.rng) {
    throw new Error('Shuffling or augmenting batches needs an rng');
  }
  const lut = normalizationTable(normalization, set.channels);
  const n = imageCount(set);
  const order = options.shuffle ? options.rng!.permutation(n) : undefined;
  const size = imageSize(set);
  const scratch = new Uint8Array(size);
  const batchesTotal = batchCount(n, batchSize, options.dropLast);
  for (let b = 0; b < batchesTotal; b++) {
    const count = Math.min(batchSize, n - b * batchSize);
    const x = new Float32Array(count * size);
    const y = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      const src = order ? order[b * batchSize + i] : b * batchSize + i;
      let pixels = set.pixels.subarray(src * size, (src + 1) * size);
      if (options.augment) {
        const { height, width, channels } = set;
        augmentImage(pixels, scratch, height, width, channels, options.rng!, options.augment);
        pixels = scratch;
      }
      normalizeInto(pixels, x, i * size, set.channels, lut);
      y[i] = set.labels[src];
    }
    yield { x, y, size: count };
  }
}

/**
 * Every (channel, byte) pair's normalised value, so a pixel costs one lookup rather than a
 * divide and two subtractions.
 */
export function normalizationTable(normalization: Normalization, channels: number): Float32Array {
  const { mean, std } = normalization;
  if (mean.length !== channels || std.length !== channels) {
    throw new Error(
      `Normalisation has ${mean.length} means and ${std.length} stds for ${channels}-channel images`,
    );
  }
  const lut = new Float32Array(channels * 256);
  for (let c = 0; c < channels; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v / 255 - mean[c]) / std[c];
  }
  return lut;
}

/** Writes normalised HWC pixels into `out` starting at `offset`. */
export function normalizeInto(
  pixels: Uint8Array,
  out: Float32Array,
  offset: number,
  channels: number,
  lut: Float32Array,
): void {
  for (let p = 0; p < pixels.length; p += channels) {
    for (let c = 0; c < channels; c++) out[offset + p + c] = lut[c * 256 + pixels[p + c]];
  }
}
