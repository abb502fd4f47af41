import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import sharp from 'sharp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DECODED_CACHE_FILE } from '../../src/data/image-cache.js';
import { loadImageFolder } from '../../src/data/image-folder.js';

const H = 3;
const W = 4;

/** Bytes that differ per image, row, column and channel, so decoded pixels identify their source. */
function coded(seed: number, channels: number, h = H, w = W): Uint8Array {
  const out = new Uint8Array(h * w * channels);
  for (let p = 0; p < h * w; p++) {
    for (let c = 0; c < channels; c++) out[p * channels + c] = (seed * 37 + p * 11 + c * 50) & 255;
  }
  return out;
}

/** Every pixel of a greyscale image repeated over three channels, as sRGB conversion does. */
function toRgb(grey: Uint8Array): Uint8Array {
  return Uint8Array.from({ length: grey.length * 3 }, (_, i) => grey[Math.floor(i / 3)]);
}

function withoutAlpha(rgba: Uint8Array): Uint8Array {
  return rgba.filter((_, i) => i % 4 !== 3);
}

async function png(file: string, pixels: Uint8Array, channels: 1 | 2 | 3 | 4, h = H, w = W) {
  await mkdir(dirname(file), { recursive: true });
  const image = sharp(pixels, { raw: { width: w, height: h, channels } });
  // Without the conversion sharp would store one- and two-channel input as RGB.
  await (channels < 3 ? image.toColourspace('b-w') : image).png().toFile(file);
}

async function solidJpeg(file: string, rgb: readonly [number, number, number]): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const background = { r: rgb[0], g: rgb[1], b: rgb[2] };
  await sharp({ create: { width: W, height: H, channels: 3, background } })
    .jpeg({ quality: 100 })
    .toFile(file);
}

/** The images of one split concatenated, for comparison with the loaded pixels. */
function concat(images: Uint8Array[]): number[] {
  return images.flatMap((i) => Array.from(i));
}

let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'nscl-imgfolder-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/**
 * Class folders whose UTF-16 order ('B', 'a', '😀', 'Ａ') differs from their code-point order
 * ('B', 'a', 'Ａ', '😀'); colour and greyscale images, one with alpha, and files to ignore.
 */
async function writeMixedFolder(): Promise<{ train: Uint8Array[]; test: Uint8Array[] }> {
  const rgb0 = coded(0, 3);
  const grey = coded(1, 1);
  const rgba = coded(2, 4);
  const rgb3 = coded(3, 3);
  const testRgb = coded(4, 3);
  const testGrey = coded(5, 1);
  await png(join(root, 'train', 'B', 'b0.png'), rgb0, 3);
  await solidJpeg(join(root, 'train', 'B', 'b1.JPG'), [200, 100, 50]);
  await png(join(root, 'train', 'a', 'grey.png'), grey, 1);
  await png(join(root, 'train', 'Ａ', 'alpha.png'), rgba, 4);
  await png(join(root, 'train', '😀', 'x.png'), rgb3, 3);
  await writeFile(join(root, 'train', '😀', 'readme.txt'), 'not an image');
  await png(join(root, 'train', '.ipynb_checkpoints', 'stale.png'), coded(9, 3), 3);
  await png(join(root, 'test', 'a', 't.png'), testRgb, 3);
  await png(join(root, 'test', '😀', 't.png'), testGrey, 1);
  const jpeg = Uint8Array.from({ length: H * W * 3 }, (_, i) => [200, 100, 50][i % 3]);
  return {
    train: [rgb0, jpeg, toRgb(grey), withoutAlpha(rgba), rgb3],
    test: [testRgb, toRgb(testGrey)],
  };
}

describe('loadImageFolder', () => {
  it('numbers classes in code-point order and decodes colour and greyscale to RGB', async () => {
    const expected = await writeMixedFolder();
    const data = await loadImageFolder(root, { cacheFile: false });
    expect(data.name).toBe(basename(root));
    expect(data.classNames).toEqual(['B', 'a', 'Ａ', '😀']);
    expect(data.normalization).toBeUndefined();
    expect([data.train.height, data.train.width, data.train.channels]).toEqual([H, W, 3]);
    expect([data.test.height, data.test.width, data.test.channels]).toEqual([H, W, 3]);
    expect(Array.from(data.train.labels)).toEqual([0, 0, 1, 2, 3]);
    expect(Array.from(data.test.labels)).toEqual([1, 3]);
    const size = H * W * 3;
    // PNG is lossless: every byte but the JPEG's is exact.
    const train = Array.from(data.train.pixels);
    const want = concat(expected.train);
    expect(train.slice(0, size)).toEqual(want.slice(0, size));
    expect(train.slice(2 * size)).toEqual(want.slice(2 * size));
    const jpeg = train.slice(size, 2 * size);
    expect(Math.max(...jpeg.map((v, i) => Math.abs(v - want[size + i])))).toBeLessThanOrEqual(2);
    expect(Array.from(data.test.pixels)).toEqual(concat(expected.test));
  });

  it('keeps one channel when every image is greyscale, with or without alpha', async () => {
    const a = coded(0, 1);
    const greyAlpha = coded(1, 2);
    const b = coded(2, 1);
    await png(join(root, 'train', 'zero', 'a.png'), a, 1);
    await png(join(root, 'train', 'zero', 'b.png'), greyAlpha, 2);
    await png(join(root, 'train', 'one', 'c.png'), b, 1);
    await mkdir(join(root, 'test'));
    const data = await loadImageFolder(root, { cacheFile: false });
    expect(data.classNames).toEqual(['one', 'zero']);
    expect(data.train.channels).toBe(1);
    expect(Array.from(data.train.labels)).toEqual([0, 1, 1]);
    const grey = greyAlpha.filter((_, i) => i % 2 === 0);
    expect(Array.from(data.train.pixels)).toEqual(concat([b, a, grey]));
    expect(data.test.labels.length).toBe(0);
    expect(data.test.channels).toBe(1);
  });

  it('names a file whose size differs from the first image, with both sizes', async () => {
    await writeMixedFolder();
    await png(join(root, 'test', 'a', 'odd.png'), coded(0, 3, 5, 6), 3, 5, 6);
    const first = join(root, 'train', 'B', 'b0.png');
    await expect(loadImageFolder(root, { cacheFile: false })).rejects.toThrow(
      `${join(root, 'test', 'a', 'odd.png')}: image size 6x5 differs from 4x3, the size of the first image ${first}`,
    );
  });

  it('names an image file that does not decode', async () => {
    await writeMixedFolder();
    await writeFile(join(root, 'train', 'a', 'broken.jpeg'), 'not a jpeg');
    await expect(loadImageFolder(root, { cacheFile: false })).rejects.toThrow(
      `${join(root, 'train', 'a', 'broken.jpeg')}: cannot decode image`,
    );
  });

  it('rejects a class with no training images', async () => {
    await writeMixedFolder();
    await mkdir(join(root, 'train', 'empty'));
    await writeFile(join(root, 'train', 'empty', 'notes.txt'), '');
    await expect(loadImageFolder(root, { cacheFile: false })).rejects.toThrow(
      `${join(root, 'train', 'empty')}: no training images (PNG or JPEG)`,
    );
  });

  it('rejects a test class folder that is not a train class', async () => {
    await writeMixedFolder();
    await png(join(root, 'test', 'c', 't.png'), coded(0, 3), 3);
    await expect(loadImageFolder(root, { cacheFile: false })).rejects.toThrow(
      `${join(root, 'test', 'c')}: class c has no folder in ${join(root, 'train')}`,
    );
  });

  it('names a missing split folder', async () => {
    await png(join(root, 'train', 'a', 'x.png'), coded(0, 3), 3);
    await expect(loadImageFolder(root)).rejects.toThrow(`${join(root, 'test')} is not a directory`);
  });
});

describe('loadImageFolder cache', () => {
  /** Loads with a progress counter: zero decodes means the pixels came from the cache. */
  async function loadCounting() {
    let decoded = 0;
    const data = await loadImageFolder(root, { onProgress: () => decoded++ });
    return { data, decoded };
  }

  it('decodes once, then reads the cache until an image file changes', async () => {
    const a = coded(0, 1);
    const b = coded(1, 1);
    await png(join(root, 'train', 'a', 'a.png'), a, 1);
    await png(join(root, 'test', 'a', 'b.png'), b, 1);
    const first = await loadCounting();
    expect(first.decoded).toBe(2);
    const cacheFile = join(root, DECODED_CACHE_FILE);
    // Header, then one 4-byte label and 12 one-channel pixels per image.
    expect((await stat(cacheFile)).size).toBe(72 + 2 * (4 + H * W));

    // Only a read of the cache can see this pixel value.
    const bytes = await readFile(cacheFile);
    bytes[72 + 2 * 4] ^= 0xff;
    await writeFile(cacheFile, bytes);
    const cached = await loadCounting();
    expect(cached.decoded).toBe(0);
    expect(cached.data.train.channels).toBe(1);
    expect(cached.data.train.pixels[0]).toBe(a[0] ^ 0xff);
    expect(Array.from(cached.data.test.pixels)).toEqual(Array.from(b));

    const changed = coded(7, 3);
    await png(join(root, 'train', 'a', 'a.png'), changed, 3);
    await utimes(join(root, 'train', 'a', 'a.png'), 1e6, 1e6);
    const rebuilt = await loadCounting();
    expect(rebuilt.decoded).toBe(2);
    expect(rebuilt.data.train.channels).toBe(3);
    expect(Array.from(rebuilt.data.train.pixels)).toEqual(Array.from(changed));
    expect(Array.from(rebuilt.data.test.pixels)).toEqual(Array.from(toRgb(b)));
    expect((await loadCounting()).decoded).toBe(0);
  });

  it('writes no cache file when cacheFile is false', async () => {
    await png(join(root, 'train', 'a', 'a.png'), coded(0, 3), 3);
    await mkdir(join(root, 'test'));
    await loadImageFolder(root, { cacheFile: false });
    await expect(stat(join(root, DECODED_CACHE_FILE))).rejects.toThrow(/ENOENT/);
  });
});
