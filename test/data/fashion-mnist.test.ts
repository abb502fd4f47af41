import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  FASHION_MNIST_CLASS_NAMES,
  FASHION_MNIST_NORMALIZATION,
  FASHION_MNIST_SYSTEM_DIR,
  loadFashionMnist,
  loadSplitFashionMnist,
} from '../../src/data/fashion-mnist.js';
import { encodeIdx, parseIdx } from '../../src/data/idx.js';

/** Big-endian header bytes written by hand, so the reader is checked against the spec, not the writer. */
function rawIdx(magic: number, dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt32BE(magic, 0);
  dims.forEach((d, i) => {
    head.writeUInt32BE(d, 4 + 4 * i);
  });
  return Buffer.concat([head, data]);
}

function countLabels(labels: Int32Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

describe('IDX', () => {
  it('parses a hand-written images file and round-trips through the encoder, gzipped or not', () => {
    const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i * 10);
    const raw = rawIdx(0x00000803, [2, 3, 4], data);
    expect(raw.subarray(0, 8)).toEqual(Buffer.from([0, 0, 8, 3, 0, 0, 0, 2]));
    const parsed = parseIdx(raw, 'x', 3);
    expect(parsed.dims).toEqual([2, 3, 4]);
    expect(Array.from(parsed.data)).toEqual(Array.from(data));
    expect(encodeIdx([2, 3, 4], data)).toEqual(raw);
    const gz = encodeIdx([2, 3, 4], data, true);
    expect(gz[0]).toBe(0x1f);
    expect(Array.from(parseIdx(gz, 'x.gz', 3).data)).toEqual(Array.from(data));
  });

  it('rejects a wrong magic, a truncated body and trailing bytes', () => {
    const labels = rawIdx(0x00000801, [3], Uint8Array.of(1, 2, 3));
    expect(() => parseIdx(labels, 'labels', 3)).toThrow(
      'labels: bad IDX magic 0x00000801 (expected 0x00000803)',
    );
    expect(() => parseIdx(labels.subarray(0, 10), 'short', 1)).toThrow(
      'short: truncated IDX file: dims [3] need 11 bytes, found 10',
    );
    expect(() => parseIdx(Buffer.concat([labels, Buffer.of(0)]), 'long', 1)).toThrow(
      '1 unexpected bytes',
    );
    const gz = gzipSync(labels);
    expect(() => parseIdx(gz.subarray(0, gz.length - 6), 'cut.gz', 1)).toThrow(
      /cut\.gz: corrupt or truncated gzip data/,
    );
  });
});

describe('loadFashionMnist from a directory', () => {
  let dir: string;
  const trainImages = Uint8Array.from({ length: 4 * 28 * 28 }, (_, i) => (i * 7) & 0xff);
  const testImages = Uint8Array.from({ length: 2 * 28 * 28 }, (_, i) => (i * 5) & 0xff);

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nscl-fmnist-'));
    // Mixed plain and gzipped files, as both forms circulate.
    await writeFile(join(dir, 'train-images-idx3-ubyte'), rawIdx(0x803, [4, 28, 28], trainImages));
    await writeFile(
      join(dir, 'train-labels-idx1-ubyte.gz'),
      gzipSync(rawIdx(0x801, [4], Uint8Array.of(9, 0, 3, 0))),
    );
    await writeFile(
      join(dir, 't10k-images-idx3-ubyte.gz'),
      gzipSync(rawIdx(0x803, [2, 28, 28], testImages)),
    );
    await writeFile(join(dir, 't10k-labels-idx1-ubyte'), rawIdx(0x801, [2], Uint8Array.of(1, 8)));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads images and labels exactly', async () => {
    const { train, test } = await loadFashionMnist({ dir });
    expect([train.height, train.width, train.channels]).toEqual([28, 28, 1]);
    expect(Array.from(train.labels)).toEqual([9, 0, 3, 0]);
    expect(Buffer.compare(train.pixels, trainImages)).toBe(0);
    expect(Array.from(test.labels)).toEqual([1, 8]);
    expect(Buffer.compare(test.pixels, testImages)).toBe(0);
  });

  it('rejects image and label counts that disagree', async () => {
    await writeFile(
      join(dir, 't10k-labels-idx1-ubyte'),
      rawIdx(0x801, [3], Uint8Array.of(1, 8, 2)),
    );
    await expect(loadFashionMnist({ dir })).rejects.toThrow(
      /t10k-images-idx3-ubyte\.gz holds 2 images but .*t10k-labels-idx1-ubyte holds 3 labels/,
    );
  });

  it('rejects a label outside 0..9 and names missing files', async () => {
    await writeFile(join(dir, 't10k-labels-idx1-ubyte'), rawIdx(0x801, [2], Uint8Array.of(1, 10)));
    await expect(loadFashionMnist({ dir })).rejects.toThrow(/unknown class id 10 at label 1/);
    await rm(join(dir, 't10k-labels-idx1-ubyte'));
    await expect(loadFashionMnist({ dir })).rejects.toThrow(
      /Missing data file: .*t10k-labels-idx1-ubyte \(or .*\.gz\)/,
    );
  });
});

describe('embedded Fashion-MNIST subset', () => {
  it('loads 1000 train and 200 test images per class without a download', async () => {
    const { train, test } = await loadFashionMnist({ subset: true });
    expect(train.labels.length).toBe(10_000);
    expect(test.labels.length).toBe(2_000);
    expect(countLabels(train.labels)).toEqual(new Array(10).fill(1000));
    expect(countLabels(test.labels)).toEqual(new Array(10).fill(200));
    expect(train.pixels.length).toBe(10_000 * 784);
    // Real clothing images: mostly dark background, far from constant.
    let sum = 0;
    for (const p of train.pixels) sum += p;
    const mean = sum / train.pixels.length / 255;
    expect(mean).toBeGreaterThan(0.2);
    expect(mean).toBeLessThan(0.4);
  });

  it('splits into 5 tasks of 2 classes with names and the reference normalisation', async () => {
    const seq = await loadSplitFashionMnist({ subset: true });
    expect(seq.tasks).toHaveLength(5);
    expect(seq.normalization).toEqual(FASHION_MNIST_NORMALIZATION);
    expect(seq.inputShape).toEqual([28, 28, 1]);
    expect(seq.tasks[4].classNames).toEqual(['Bag', 'Ankle boot']);
    expect(seq.tasks.flatMap((t) => t.classNames)).toEqual(FASHION_MNIST_CLASS_NAMES);
    for (const task of seq.tasks) {
      expect(task.train.labels.length).toBe(2000);
      expect(task.test.labels.length).toBe(400);
      const ones = task.train.labels.reduce((a, l) => a + l, 0);
      expect(ones).toBe(1000);
    }
  });

  it.skipIf(!existsSync(FASHION_MNIST_SYSTEM_DIR))(
    'matches the first images of the full set',
    async () => {
      const full = await loadFashionMnist();
      const subset = await loadFashionMnist({ subset: true });
      expect(full.train.labels.length).toBe(60_000);
      expect(full.test.labels.length).toBe(10_000);
      // No class reaches its 200-image quota within the first ten images, so the subset starts with them.
      expect(
        Buffer.compare(
          subset.test.pixels.subarray(0, 784 * 10),
          full.test.pixels.subarray(0, 784 * 10),
        ),
      ).toBe(0);
    },
  );
});
