import { imageCount, imageSize, type LabelledImages } from './images.js';
import { type ClassOrder, splitByClass, splitByTaskClasses } from './split-sequence.js';
import type { Normalization, TaskSequence } from './task-sequence.js';

/**
 * A whole labelled data set before it is split into tasks: what a data-set loader returns.
 * Labels are class ids indexing `classNames`.
 */
export interface LabelledDataset {
  readonly name: string;
  readonly train: LabelledImages;
  readonly test: LabelledImages;
  /** Class identifiers by class id: what tasks files name (e.g. TinyImageNet's wnids). */
  readonly classNames: readonly string[];
  /** Human-readable names by class id for reports, where they differ from classNames. */
  readonly displayNames?: readonly string[];
  /** Per-channel statistics on the [0, 1] scale; computed from the training images when absent. */
  readonly normalization?: Normalization;
}

/** How a data set becomes tasks: explicit class lists, or a count of tasks in an order. */
export type TaskSplit =
  | { readonly taskClasses: readonly (readonly number[])[] }
  | {
      readonly tasks: number;
      readonly classOrder: ClassOrder;
      /** Classes in each task, summing to the class count; equal shares when omitted. */
      readonly classesPerTask?: readonly number[];
    };

export function splitDataset(dataset: LabelledDataset, split: TaskSplit): TaskSequence {
  const options = {
    name: dataset.name,
    classNames: dataset.displayNames ?? dataset.classNames,
    numClasses: dataset.classNames.length,
    normalization: dataset.normalization ?? channelStatistics(dataset.train),
  };
  return 'taskClasses' in split
    ? splitByTaskClasses(dataset.train, dataset.test, split.taskClasses, options)
    : splitByClass(dataset.train, dataset.test, { ...options, ...split });
}

/**
 * Mean and (population) standard deviation of each channel over every pixel of the set, on
 * the [0, 1] scale, accumulated in float64 from a histogram of byte values per channel.
 */
export function channelStatistics(images: LabelledImages): Normalization {
  const { channels, pixels } = images;
  if (imageCount(images) === 0) throw new Error('cannot compute channel statistics of no images');
  const counts = Array.from({ length: channels }, () => new Float64Array(256));
  for (let i = 0; i < pixels.length; i++) counts[i % channels][pixels[i]]++;
  const perChannel = (imageCount(images) * imageSize(images)) / channels;
  const mean: number[] = [];
  const std: number[] = [];
  for (const hist of counts) {
    let sum = 0;
    let squares = 0;
    hist.forEach((n, v) => {
      sum += (n * v) / 255;
      squares += n * (v / 255) ** 2;
    });
    const m = sum / perChannel;
    mean.push(m);
    // A constant channel would divide by zero; 1 leaves it centred and unscaled.
    std.push(Math.sqrt(Math.max(squares / perChannel - m * m, 0)) || 1);
  }
  return { mean, std };
}
