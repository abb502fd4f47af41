import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRequired, requireDirectory } from './files.js';
import { parseIdx } from './idx.js';
import type { LabelledImages } from './images.js';
import { type ClassSplitOptions, splitByClass } from './split-sequence.js';
import type { Normalization, TaskSequence } from './task-sequence.js';

/** Where Debian's `dataset-fashion-mnist` package installs the full set. */
export const FASHION_MNIST_SYSTEM_DIR = '/usr/share/datasets/fashion-mnist';

/** The balanced subset committed with the repository, so tests and demos need no download. */
export const FASHION_MNIST_SUBSET_DIR = fileURLToPath(
  new URL('../../datasets/fashion-mnist-subset/', import.meta.url),
);

export const FASHION_MNIST_CLASS_NAMES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

export const FASHION_MNIST_NORMALIZATION: Normalization = { mean: [0.286], std: [0.353] };

export const FASHION_MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export interface FashionMnistOptions {
  /** Directory holding the four IDX files, plain or .gz; defaults to the Debian location. */
  readonly dir?: string;
  /** Read the committed subset instead (ignored when `dir` is given). */
  readonly subset?: boolean;
}

export interface FashionMnist {
  readonly train: LabelledImages;
  readonly test: LabelledImages;
  readonly dir: string;
}

export function fashionMnistDir(options: FashionMnistOptions = {}): string {
  return options.dir ?? (options.subset ? FASHION_MNIST_SUBSET_DIR : FASHION_MNIST_SYSTEM_DIR);
}

export async function loadFashionMnist(options: FashionMnistOptions = {}): Promise<FashionMnist> {
  const dir = fashionMnistDir(options);
  const hint =
    dir === FASHION_MNIST_SYSTEM_DIR
      ? 'Fashion-MNIST directory (apt-get install dataset-fashion-mnist, or pass dir / subset: true)'
      : 'Fashion-MNIST directory';
  await requireDirectory(dir, hint);
  const f = FASHION_MNIST_FILES;
  const [train, test] = await Promise.all([
    readIdxPair(dir, f.trainImages, f.trainLabels),
    readIdxPair(dir, f.testImages, f.testLabels),
  ]);
  return { train, test, dir };
}

/** Reads an images/labels pair of IDX files and checks they describe the same images. */
export async function readIdxPair(
  dir: string,
  imagesName: string,
  labelsName: string,
): Promise<LabelledImages> {
  const [imagesFile, labelsFile] = await Promise.all([
    resolveMaybeGz(dir, imagesName),
    resolveMaybeGz(dir, labelsName),
  ]);
  const images = parseIdx(await readRequired(imagesFile), imagesFile, 3);
  const labels = parseIdx(await readRequired(labelsFile), labelsFile, 1);
  const [n, height, width] = images.dims;
  if (labels.dims[0] !== n) {
    throw new Error(
      `${imagesFile} holds ${n} images but ${labelsFile} holds ${labels.dims[0]} labels`,
    );
  }
  const classes = Int32Array.from(labels.data);
  const bad = classes.findIndex((l) => l >= FASHION_MNIST_CLASS_NAMES.length);
  if (bad >= 0) throw new Error(`${labelsFile}: unknown class id ${classes[bad]} at label ${bad}`);
  return { pixels: images.data, labels: classes, height, width, channels: 1 };
}

/** The plain file when present, else its .gz; the error names both when neither exists. */
async function resolveMaybeGz(dir: string, name: string): Promise<string> {
  const plain = join(dir, name);
  for (const candidate of [plain, `${plain}.gz`]) {
    if (
      await access(candidate).then(
        () => true,
        () => false,
      )
    )
      return candidate;
  }
  throw new Error(`Missing data file: ${plain} (or ${plain}.gz)`);
}

/** 5 tasks of 2 classes is the usual setting. */
export interface SplitFashionMnistOptions extends FashionMnistOptions, ClassSplitOptions {}

export async function loadSplitFashionMnist(
  options: SplitFashionMnistOptions = {},
): Promise<TaskSequence> {
  const { train, test } = await loadFashionMnist(options);
  const tasks = options.tasks ?? 5;
  return splitByClass(train, test, {
    name: `split-fashion-mnist-${tasks}${options.subset && !options.dir ? '-subset' : ''}`,
    tasks,
    classOrder: options.classOrder,
    classesPerTask: options.classesPerTask,
    classNames: FASHION_MNIST_CLASS_NAMES,
    normalization: FASHION_MNIST_NORMALIZATION,
  });
}
