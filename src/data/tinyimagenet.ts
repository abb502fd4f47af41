import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { nonEmptyLines, readOptionalText, readRequired, requireDirectory } from './files.js';
import { decodeWithCache, type ImageDecodeOptions } from './image-cache.js';
import type { DecodeSpec, ImageEntry, ImageListing } from './image-files.js';
import type { LabelledImages } from './images.js';
import { type LabelledDataset, splitDataset } from './labelled-dataset.js';
import type { ClassSplitOptions } from './split-sequence.js';
import type { Normalization, TaskSequence } from './task-sequence.js';

/** Greyscale and CMYK JPEGs in the set come out as three channels too. */
const DECODE_SPEC: DecodeSpec = { height: 64, width: 64, colourspace: 'srgb' };

export const TINY_IMAGENET_NORMALIZATION: Normalization = {
  mean: [0.4802, 0.4481, 0.3975],
  std: [0.2302, 0.2265, 0.2262],
};

export interface TinyImageNet {
  readonly train: LabelledImages;
  /** The official val split: the test split ships without labels. */
  readonly test: LabelledImages;
  readonly wnids: readonly string[];
  readonly classNames?: readonly string[];
  /** Whether the pixels came from the cache file rather than from decoding the JPEGs. */
  readonly fromCache: boolean;
}

export type TinyImageNetOptions = ImageDecodeOptions;

/** Loads the `tiny-imagenet-200` directory as extracted from the official zip. */
export async function loadTinyImageNet(
  dir: string,
  options: TinyImageNetOptions = {},
): Promise<TinyImageNet> {
  await requireDirectory(dir, 'Tiny ImageNet directory (tiny-imagenet-200)');
  const listing = await listImages(dir);
  const classNames = await readClassNames(dir, listing.classes);
  const images = await decodeWithCache(dir, listing, 'tinyimagenet', options, () => DECODE_SPEC);
  return { ...images, wnids: listing.classes, classNames };
}

/**
 * The whole set as a data set: classes are identified by wnid (what tasks files name) and
 * shown by their words.txt names where that file exists.
 */
export async function tinyImageNetDataset(
  dir: string,
  options: TinyImageNetOptions = {},
): Promise<LabelledDataset> {
  const data = await loadTinyImageNet(dir, options);
  return {
    name: 'tinyimagenet',
    train: data.train,
    test: data.test,
    classNames: data.wnids,
    displayNames: data.classNames,
    normalization: TINY_IMAGENET_NORMALIZATION,
  };
}

/** 25 tasks of 8 classes is the reference setting. */
export interface SplitTinyImageNetOptions extends TinyImageNetOptions, ClassSplitOptions {}

export async function loadSplitTinyImageNet(
  dir: string,
  options: SplitTinyImageNetOptions = {},
): Promise<TaskSequence> {
  const dataset = await tinyImageNetDataset(dir, options);
  const tasks = options.tasks ?? 25;
  return splitDataset(
    { ...dataset, name: `split-tinyimagenet-${tasks}` },
    { tasks, classOrder: options.classOrder ?? 'natural', classesPerTask: options.classesPerTask },
  );
}

// ---- listing ----

async function listImages(dir: string): Promise<ImageListing> {
  const wnidsFile = join(dir, 'wnids.txt');
  const wnids = nonEmptyLines((await readRequired(wnidsFile)).toString('utf8')).map((l) =>
    l.trim(),
  );
  const index = new Map<string, number>();
  for (const w of wnids) {
    if (index.has(w)) throw new Error(`${wnidsFile}: class id ${w} is listed twice`);
    index.set(w, index.size);
  }
  return {
    classes: wnids,
    train: await listTrain(dir, wnids, index),
    test: await listVal(dir, index),
  };
}

async function listTrain(
  dir: string,
  wnids: string[],
  index: Map<string, number>,
): Promise<ImageEntry[]> {
  const trainDir = join(dir, 'train');
  await requireDirectory(trainDir, 'Tiny ImageNet train directory');
  for (const entry of await readdir(trainDir, { withFileTypes: true })) {
    if (entry.isDirectory() && !index.has(entry.name)) {
      throw new Error(
        `${join(trainDir, entry.name)}: unknown class id ${entry.name} (not in wnids.txt)`,
      );
    }
  }
  const out: ImageEntry[] = [];
  for (const [label, wnid] of wnids.entries()) {
    const imagesDir = join(trainDir, wnid, 'images');
    await requireDirectory(imagesDir, `train images for class ${wnid}`);
    const files = (await readdir(imagesDir)).filter(isJpegName).sort();
    if (files.length === 0) throw new Error(`${imagesDir}: no .JPEG images for class ${wnid}`);
    for (const f of files) out.push({ file: join('train', wnid, 'images', f), label });
  }
  return out;
}

async function listVal(dir: string, index: Map<string, number>): Promise<ImageEntry[]> {
  const file = join(dir, 'val', 'val_annotations.txt');
  const lines = nonEmptyLines((await readRequired(file)).toString('utf8'));
  return lines.map((line, i) => {
    const [name, wnid] = line.split('\t');
    if (!name || !wnid) throw new Error(`${file}:${i + 1}: expected "filename<TAB>wnid<TAB>bbox"`);
    const label = index.get(wnid.trim());
    if (label === undefined) {
      throw new Error(`${file}:${i + 1}: unknown class id ${wnid} (not in wnids.txt)`);
    }
    return { file: join('val', 'images', name.trim()), label };
  });
}

function isJpegName(name: string): boolean {
  return /\.jpe?g$/i.test(name);
}

/** Short names from words.txt ("n01443537<TAB>goldfish, Carassius auratus" -> "goldfish"). */
async function readClassNames(
  dir: string,
  wnids: readonly string[],
): Promise<string[] | undefined> {
  const text = await readOptionalText(join(dir, 'words.txt'));
  if (text === undefined) return undefined;
  const words = new Map<string, string>();
  for (const line of nonEmptyLines(text)) {
    const tab = line.indexOf('\t');
    if (tab > 0)
      words.set(
        line.slice(0, tab).trim(),
        line
          .slice(tab + 1)
          .split(',')[0]
          .trim(),
      );
  }
  return wnids.map((w) => words.get(w) ?? w);
}
