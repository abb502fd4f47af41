import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import sharp from 'sharp';
import { requireDirectory } from './files.js';
import { decodeWithCache, type ImageDecodeOptions } from './image-cache.js';
import {
  type DecodeSpec,
  forEachPooled,
  type ImageEntry,
  type ImageListing,
  undecodable,
} from './image-files.js';
import type { LabelledDataset } from './labelled-dataset.js';

export type ImageFolderOptions = ImageDecodeOptions;

/**
 * Loads `dir/train/<class>/*` and `dir/test/<class>/*` (PNG and JPEG; other files are ignored).
 * Class ids follow the code-point order of the train folder names, as torchvision's
 * ImageFolder numbers them. The set has one channel when every image is greyscale and three
 * otherwise; all images must share the size of the first one.
 */
export async function loadImageFolder(
  dir: string,
  options: ImageFolderOptions = {},
): Promise<LabelledDataset> {
  await requireDirectory(dir, 'image folder');
  const listing = await listImageFolder(dir);
  const { train, test } = await decodeWithCache(dir, listing, 'image-folder', options, (n) =>
    probeSpec(dir, listing, n),
  );
  return { name: basename(resolve(dir)), train, test, classNames: listing.classes };
}

async function listImageFolder(dir: string): Promise<ImageListing> {
  const trainDir = join(dir, 'train');
  const testDir = join(dir, 'test');
  const classes = await classFolders(trainDir);
  if (classes.length === 0) throw new Error(`${trainDir}: no class folders`);
  const index = new Map(classes.map((name, id) => [name, id]));
  const testClasses = await classFolders(testDir);
  const unknown = testClasses.find((name) => !index.has(name));
  if (unknown !== undefined) {
    throw new Error(`${join(testDir, unknown)}: class ${unknown} has no folder in ${trainDir}`);
  }
  const train = await listClasses(dir, 'train', classes, index);
  const empty = train.findIndex((images) => images.length === 0);
  if (empty >= 0) {
    throw new Error(`${join(trainDir, classes[empty])}: no training images (PNG or JPEG)`);
  }
  const test = await listClasses(dir, 'test', testClasses, index);
  return { classes, train: train.flat(), test: test.flat() };
}

/** Hidden entries are skipped: editors and notebooks leave folders like .ipynb_checkpoints. */
async function classFolders(splitDir: string): Promise<string[]> {
  await requireDirectory(splitDir, 'image folder split');
  const names = (await readdir(splitDir)).filter((name) => !name.startsWith('.'));
  const isFolder = await Promise.all(
    names.map(async (name) => (await stat(join(splitDir, name))).isDirectory()),
  );
  return sortByCodePoint(names.filter((_, i) => isFolder[i]));
}

/** The images of each class folder of one split, in code-point order of their names. */
async function listClasses(
  dir: string,
  split: string,
  classes: readonly string[],
  index: ReadonlyMap<string, number>,
): Promise<ImageEntry[][]> {
  return Promise.all(
    classes.map(async (name) => {
      const files = (await readdir(join(dir, split, name))).filter(isImageName);
      const label = index.get(name)!;
      return sortByCodePoint(files).map((f) => ({ file: join(split, name, f), label }));
    }),
  );
}

function isImageName(name: string): boolean {
  return !name.startsWith('.') && /\.(png|jpe?g)$/i.test(name);
}

/** UTF-8 byte order is code-point order; String comparison would order UTF-16 code units. */
function sortByCodePoint(names: string[]): string[] {
  return names
    .map((name) => ({ name, key: Buffer.from(name, 'utf8') }))
    .sort((a, b) => Buffer.compare(a.key, b.key))
    .map((n) => n.name);
}

/**
 * Reads every header (cheap next to decoding) so that the channel count is known before any
 * pixel is decoded, and a wrong-sized file is reported against the size it should have.
 */
async function probeSpec(
  dir: string,
  listing: ImageListing,
  concurrency: number,
): Promise<DecodeSpec> {
  const [head, ...rest] = [...listing.train, ...listing.test];
  const firstFile = join(dir, head.file);
  const first = await probe(firstFile);
  let allGrey = first.grey;
  await forEachPooled(rest, concurrency, async (entry) => {
    const file = join(dir, entry.file);
    const image = await probe(file);
    if (image.width !== first.width || image.height !== first.height) {
      throw new Error(
        `${file}: image size ${image.width}x${image.height} differs from ${first.width}x${first.height}, the size of the first image ${firstFile}`,
      );
    }
    allGrey &&= image.grey;
  });
  return { height: first.height, width: first.width, colourspace: allGrey ? 'b-w' : 'srgb' };
}

async function probe(file: string): Promise<{ width: number; height: number; grey: boolean }> {
  const meta = await sharp(file).metadata().catch(undecodable(file));
  const colourChannels = meta.channels - (meta.hasAlpha ? 1 : 0);
  return { width: meta.width, height: meta.height, grey: colourChannels === 1 };
}
