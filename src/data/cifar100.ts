import { join } from 'node:path';
import { nonEmptyLines, readOptionalText, readRequired, requireDirectory } from './files.js';
import type { LabelledImages } from './images.js';
import { type LabelledDataset, splitDataset } from './labelled-dataset.js';
import type { ClassSplitOptions } from './split-sequence.js';
import type { Normalization, TaskSequence } from './task-sequence.js';

export const CIFAR100_CLASSES = 100;
const SIDE = 32;
const PLANE = SIDE * SIDE;
const PIXELS = 3 * PLANE;
/** Coarse label byte + fine label byte + the three colour planes. */
export const CIFAR100_RECORD_BYTES = 2 + PIXELS;

/** Channel statistics of the CIFAR-100 training set, as used by the reference implementation. */
export const CIFAR100_NORMALIZATION: Normalization = {
  mean: [0.5071, 0.4865, 0.4409],
  std: [0.2673, 0.2564, 0.2762],
};

/**
 * The fine label names in label order, as the official fine_label_names.txt lists them; used when
 * a copy of the data set lacks that file.
 */
export const CIFAR100_FINE_LABEL_NAMES: readonly string[] = [
  'apple',
  'aquarium_fish',
  'baby',
  'bear',
  'beaver',
  'bed',
  'bee',
  'beetle',
  'bicycle',
  'bottle',
  'bowl',
  'boy',
  'bridge',
  'bus',
  'butterfly',
  'camel',
  'can',
  'castle',
  'caterpillar',
  'cattle',
  'chair',
  'chimpanzee',
  'clock',
  'cloud',
  'cockroach',
  'couch',
  'crab',
  'crocodile',
  'cup',
  'dinosaur',
  'dolphin',
  'elephant',
  'flatfish',
  'forest',
  'fox',
  'girl',
  'hamster',
  'house',
  'kangaroo',
  'keyboard',
  'lamp',
  'lawn_mower',
  'leopard',
  'lion',
  'lizard',
  'lobster',
  'man',
  'maple_tree',
  'motorcycle',
  'mountain',
  'mouse',
  'mushroom',
  'oak_tree',
  'orange',
  'orchid',
  'otter',
  'palm_tree',
  'pear',
  'pickup_truck',
  'pine_tree',
  'plain',
  'plate',
  'poppy',
  'porcupine',
  'possum',
  'rabbit',
  'raccoon',
  'ray',
  'road',
  'rocket',
  'rose',
  'sea',
  'seal',
  'shark',
  'shrew',
  'skunk',
  'skyscraper',
  'snail',
  'snake',
  'spider',
  'squirrel',
  'streetcar',
  'sunflower',
  'sweet_pepper',
  'table',
  'tank',
  'telephone',
  'television',
  'tiger',
  'tractor',
  'train',
  'trout',
  'tulip',
  'turtle',
  'wardrobe',
  'whale',
  'willow_tree',
  'wolf',
  'woman',
  'worm',
];

export interface Cifar100Split extends LabelledImages {
  /** The 20 superclass labels, parallel to `labels`; the split uses fine labels only. */
  readonly coarseLabels: Int32Array;
}

export interface Cifar100 {
  readonly train: Cifar100Split;
  readonly test: Cifar100Split;
  readonly classNames?: readonly string[];
}

/**
 * Decodes one `cifar-100-binary` record file. Records store each image as three 32x32 planes
 * (CHW); they are interleaved to HWC here because every consumer works in NHWC.
 */
export function decodeCifar100Records(bytes: Uint8Array, file: string): Cifar100Split {
  if (bytes.length % CIFAR100_RECORD_BYTES !== 0) {
    throw new Error(
      `${file}: truncated record file: ${bytes.length} bytes is not a multiple of the ${CIFAR100_RECORD_BYTES}-byte record size`,
    );
  }
  const n = bytes.length / CIFAR100_RECORD_BYTES;
  const pixels = new Uint8Array(n * PIXELS);
  const labels = new Int32Array(n);
  const coarseLabels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const rec = i * CIFAR100_RECORD_BYTES;
    coarseLabels[i] = bytes[rec];
    labels[i] = bytes[rec + 1];
    if (labels[i] >= CIFAR100_CLASSES) {
      throw new Error(`${file}: unknown class id ${labels[i]} in record ${i} (expected 0..99)`);
    }
    chwToHwc(bytes, rec + 2, pixels, i * PIXELS);
  }
  return { pixels, labels, coarseLabels, height: SIDE, width: SIDE, channels: 3 };
}

function chwToHwc(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number): void {
  for (let p = 0; p < PLANE; p++) {
    const d = dstOff + 3 * p;
    dst[d] = src[srcOff + p];
    dst[d + 1] = src[srcOff + PLANE + p];
    dst[d + 2] = src[srcOff + 2 * PLANE + p];
  }
}

export async function readCifar100File(file: string): Promise<Cifar100Split> {
  return decodeCifar100Records(await readRequired(file), file);
}

/** Reads train.bin, test.bin and, when present, fine_label_names.txt from a cifar-100-binary directory. */
export async function loadCifar100(dir: string): Promise<Cifar100> {
  await requireDirectory(dir, 'CIFAR-100 directory (cifar-100-binary)');
  const [train, test] = await Promise.all([
    readCifar100File(join(dir, 'train.bin')),
    readCifar100File(join(dir, 'test.bin')),
  ]);
  return { train, test, classNames: await readClassNames(join(dir, 'fine_label_names.txt')) };
}

/** The whole set as a data set: the official label names when the copy lacks the names file. */
export async function cifar100Dataset(dir: string): Promise<LabelledDataset> {
  const data = await loadCifar100(dir);
  return {
    name: 'cifar100',
    train: data.train,
    test: data.test,
    classNames: data.classNames ?? CIFAR100_FINE_LABEL_NAMES,
    normalization: CIFAR100_NORMALIZATION,
  };
}

/** 10 tasks of 10 classes or 20 of 5 are the usual settings; anything dividing 100 works. */
export type SplitCifar100Options = ClassSplitOptions;

export async function loadSplitCifar100(
  dir: string,
  options: SplitCifar100Options = {},
): Promise<TaskSequence> {
  const dataset = await cifar100Dataset(dir);
  const tasks = options.tasks ?? 10;
  return splitDataset(
    { ...dataset, name: `split-cifar100-${tasks}` },
    { tasks, classOrder: options.classOrder ?? 'natural', classesPerTask: options.classesPerTask },
  );
}

async function readClassNames(file: string): Promise<string[] | undefined> {
  const text = await readOptionalText(file);
  if (text === undefined) return undefined;
  const names = nonEmptyLines(text).map((l) => l.trim());
  if (names.length !== CIFAR100_CLASSES) {
    throw new Error(`${file}: expected ${CIFAR100_CLASSES} class names, found ${names.length}`);
  }
  return names;
}
