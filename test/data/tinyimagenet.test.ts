import { mkdir, mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DECODED_CACHE_FILE } from '../../src/data/image-cache.js';
import {
  loadSplitTinyImageNet,
  loadTinyImageNet,
  TINY_IMAGENET_NORMALIZATION,
} from '../../src/data/tinyimagenet.js';

type Rgb = readonly [number, number, number];

const WNIDS = ['n01443537', 'n01629819', 'n01641577', 'n01644900'];
const NAMES = [
  'goldfish, Carassius auratus',
  'European fire salamander',
  'bullfrog',
  'tailed frog',
];
/** A distinct constant colour per class and image, so decoded pixels identify their source. */
const trainColour = (c: number, i: number): Rgb => [40 * c + 10, 20 * i + 30, 200 - 30 * c];
const valColour = (k: number): Rgb => [250 - 20 * k, 15 * k, 100];
const TRAIN_PER_CLASS = 3;
/** val image k belongs to class VAL_CLASS[k]; the order deliberately differs from class order. */
const VAL_CLASS = [2, 0, 3, 1, 0];

async function solidJpeg(file: string, rgb: Rgb, side = 64): Promise<void> {
  await sharp({
    create: {
      width: side,
      height: side,
      channels: 3,
      background: { r: rgb[0], g: rgb[1], b: rgb[2] },
    },
  })
    .jpeg({ quality: 100 })
    .toFile(file);
}

/** A tiny-imagenet-200 tree in the official layout, including the train bbox files. */
async function writeTree(root: string): Promise<void> {
  await writeFile(join(root, 'wnids.txt'), `${WNIDS.join('\n')}\n`);
  const words = WNIDS.map((w, i) => `${w}\t${NAMES[i]}`).concat('n99999999\tunused synset');
  await writeFile(join(root, 'words.txt'), `${words.join('\n')}\n`);
  for (const [c, wnid] of WNIDS.entries()) {
    const images = join(root, 'train', wnid, 'images');
    await mkdir(images, { recursive: true });
    await writeFile(join(root, 'train', wnid, `${wnid}_boxes.txt`), '');
    for (let i = 0; i < TRAIN_PER_CLASS; i++) {
      await solidJpeg(join(images, `${wnid}_${i}.JPEG`), trainColour(c, i));
    }
  }
  await mkdir(join(root, 'val', 'images'), { recursive: true });
  const annotations = VAL_CLASS.map((c, k) => `val_${k}.JPEG\t${WNIDS[c]}\t0\t0\t63\t63`);
  await writeFile(join(root, 'val', 'val_annotations.txt'), `${annotations.join('\n')}\n`);
  for (const [k] of VAL_CLASS.entries()) {
    await solidJpeg(join(root, 'val', 'images', `val_${k}.JPEG`), valColour(k));
  }
}

function expectSolid(pixels: Uint8Array, image: number, rgb: Rgb, tolerance = 2): void {
  const size = 64 * 64 * 3;
  for (let p = image * size; p < (image + 1) * size; p += 3) {
    for (let ch = 0; ch < 3; ch++) {
      const diff = Math.abs(pixels[p + ch] - rgb[ch]);
      if (diff > tolerance) {
        throw new Error(`image ${image} byte ${p} channel ${ch}: ${pixels[p + ch]} vs ${rgb[ch]}`);
      }
    }
  }
}

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'nscl-tin-'));
  await writeTree(root);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('loadTinyImageNet', () => {
  it('decodes train and val images with labels in wnids order', async () => {
    const data = await loadTinyImageNet(root);
    expect(data.fromCache).toBe(false);
    expect(data.wnids).toEqual(WNIDS);
    expect(data.classNames).toEqual([
      'goldfish',
      'European fire salamander',
      'bullfrog',
      'tailed frog',
    ]);
    expect([data.train.height, data.train.width, data.train.channels]).toEqual([64, 64, 3]);
    expect(Array.from(data.train.labels)).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
    for (let c = 0; c < WNIDS.length; c++) {
      for (let i = 0; i < TRAIN_PER_CLASS; i++) {
        expectSolid(data.train.pixels, c * TRAIN_PER_CLASS + i, trainColour(c, i));
      }
    }
    expect(Array.from(data.test.labels)).toEqual(VAL_CLASS);
    for (const [k] of VAL_CLASS.entries()) expectSolid(data.test.pixels, k, valColour(k));
  });

  it('expands greyscale JPEGs to three equal channels', async () => {
    const file = join(root, 'train', WNIDS[1], 'images', `${WNIDS[1]}_1.JPEG`);
    await sharp({
      create: { width: 64, height: 64, channels: 3, background: { r: 90, g: 90, b: 90 } },
    })
      .toColourspace('b-w')
      .jpeg({ quality: 100 })
      .toFile(file);
    expect((await sharp(file).metadata()).channels).toBe(1);
    const data = await loadTinyImageNet(root, { cacheFile: false });
    expectSolid(data.train.pixels, 4, [90, 90, 90]);
  });

  it('accepts a PNG saved under a .JPEG name, as long as it is 64x64', async () => {
    const file = join(root, 'val', 'images', 'val_2.JPEG');
    await sharp({
      create: { width: 64, height: 64, channels: 4, background: { r: 1, g: 2, b: 3, alpha: 1 } },
    })
      .png()
      .toFile(file);
    const data = await loadTinyImageNet(root, { cacheFile: false });
    expectSolid(data.test.pixels, 2, [1, 2, 3], 0);
  });

  it('writes the cache once and then reads pixels from it instead of decoding', async () => {
    const cacheFile = join(root, DECODED_CACHE_FILE);
    const first = await loadTinyImageNet(root);
    const before = await stat(cacheFile);
    // Header + 4-byte labels + pixels, nothing more.
    expect(before.size).toBe(72 + 17 * (4 + 64 * 64 * 3));

    // Tamper with the first train pixel inside the cache: only a cache read can see this value.
    const bytes = await readFile(cacheFile);
    const firstPixel = 72 + 17 * 4;
    bytes[firstPixel] = 255 - bytes[firstPixel];
    await writeFile(cacheFile, bytes);

    const second = await loadTinyImageNet(root);
    expect(second.fromCache).toBe(true);
    expect(second.train.pixels[0]).toBe(255 - first.train.pixels[0]);
    // Buffer.compare: toEqual walks typed arrays element by element and takes seconds here.
    expect(Buffer.compare(second.train.pixels.subarray(1), first.train.pixels.subarray(1))).toBe(0);
    expect(Buffer.compare(second.test.pixels, first.test.pixels)).toBe(0);
    expect(Array.from(second.test.labels)).toEqual(VAL_CLASS);
  });

  it('rebuilds the cache when the file list changes or the cache is truncated', async () => {
    const cacheFile = join(root, DECODED_CACHE_FILE);
    await loadTinyImageNet(root);
    await unlink(join(root, 'train', WNIDS[0], 'images', `${WNIDS[0]}_2.JPEG`));
    const changed = await loadTinyImageNet(root);
    expect(changed.fromCache).toBe(false);
    expect(changed.train.labels.length).toBe(11);

    const bytes = await readFile(cacheFile);
    await writeFile(cacheFile, bytes.subarray(0, bytes.length - 100));
    const rebuilt = await loadTinyImageNet(root);
    expect(rebuilt.fromCache).toBe(false);
    expect((await stat(cacheFile)).size).toBe(bytes.length);
    expect((await loadTinyImageNet(root)).fromCache).toBe(true);
  });

  it('rejects a val annotation whose wnid is not in wnids.txt', async () => {
    const file = join(root, 'val', 'val_annotations.txt');
    await writeFile(file, `val_0.JPEG\tn00000001\t0\t0\t1\t1\n`);
    await expect(loadTinyImageNet(root)).rejects.toThrow(
      /val_annotations\.txt:1: unknown class id n00000001/,
    );
  });

  it('rejects an image that is not 64x64, naming the file', async () => {
    await solidJpeg(join(root, 'val', 'images', 'val_3.JPEG'), [1, 2, 3], 32);
    await expect(loadTinyImageNet(root, { cacheFile: false })).rejects.toThrow(
      /val_3\.JPEG: wrong image size 32x32x3, expected 64x64x3/,
    );
  });

  it('names the missing directory', async () => {
    await expect(loadTinyImageNet(join(root, 'nope'))).rejects.toThrow(/nope is not a directory/);
  });

  it('names a missing val image', async () => {
    await unlink(join(root, 'val', 'images', 'val_4.JPEG'));
    await expect(loadTinyImageNet(root)).rejects.toThrow(/val_4\.JPEG/);
  });
});

describe('loadSplitTinyImageNet', () => {
  it('splits classes into tasks with local labels and the reference normalisation', async () => {
    const seq = await loadSplitTinyImageNet(root, { tasks: 2, cacheFile: false });
    expect(seq.normalization).toEqual(TINY_IMAGENET_NORMALIZATION);
    expect(seq.inputShape).toEqual([64, 64, 3]);
    expect(seq.tasks.map((t) => t.classes)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    expect(seq.tasks[1].classNames).toEqual(['bullfrog', 'tailed frog']);
    expect(Array.from(seq.tasks[1].train.labels)).toEqual([0, 0, 0, 1, 1, 1]);
    // val images 0 (class 2) and 2 (class 3), in file order.
    expect(Array.from(seq.tasks[1].test.labels)).toEqual([0, 1]);
    expectSolid(seq.tasks[1].test.pixels, 1, valColour(2));
    await expect(loadSplitTinyImageNet(root, { cacheFile: false })).rejects.toThrow(
      /4 classes are not divisible into 25 tasks/,
    );
  });
});
