import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CIFAR100_NORMALIZATION,
  CIFAR100_RECORD_BYTES,
  loadCifar100,
  loadSplitCifar100,
} from '../../src/data/cifar100.js';

interface Rec {
  readonly coarse: number;
  readonly fine: number;
  /** Seed of the pixel pattern, so every image has its own bytes. */
  readonly seed: number;
}

/** The value the fixture stores at (channel, y, x) of an image: distinct per plane and position. */
function pixel(seed: number, c: number, y: number, x: number): number {
  return (seed * 31 + c * 101 + y * 7 + x * 3) & 0xff;
}

/** Records in the official layout: coarse byte, fine byte, then R, G, B planes of 32x32, row-major. */
function encodeRecords(recs: readonly Rec[]): Buffer {
  const out = Buffer.alloc(recs.length * CIFAR100_RECORD_BYTES);
  for (const [i, r] of recs.entries()) {
    const base = i * CIFAR100_RECORD_BYTES;
    out[base] = r.coarse;
    out[base + 1] = r.fine;
    for (let c = 0; c < 3; c++) {
      for (let y = 0; y < 32; y++) {
        for (let x = 0; x < 32; x++) out[base + 2 + c * 1024 + y * 32 + x] = pixel(r.seed, c, y, x);
      }
    }
  }
  return out;
}

const TRAIN: Rec[] = [
  { coarse: 4, fine: 30, seed: 1 },
  { coarse: 1, fine: 0, seed: 2 },
  { coarse: 19, fine: 99, seed: 3 },
  { coarse: 4, fine: 55, seed: 4 },
  { coarse: 1, fine: 0, seed: 5 },
];
const TEST: Rec[] = [
  { coarse: 7, fine: 12, seed: 6 },
  { coarse: 4, fine: 30, seed: 7 },
];

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nscl-cifar-'));
  await writeFile(join(dir, 'train.bin'), encodeRecords(TRAIN));
  await writeFile(join(dir, 'test.bin'), encodeRecords(TEST));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadCifar100', () => {
  it('decodes labels and converts CHW planes to HWC pixels exactly', async () => {
    const data = await loadCifar100(dir);
    expect(Array.from(data.train.labels)).toEqual([30, 0, 99, 55, 0]);
    expect(Array.from(data.train.coarseLabels)).toEqual([4, 1, 19, 4, 1]);
    expect(Array.from(data.test.labels)).toEqual([12, 30]);
    expect([data.train.height, data.train.width, data.train.channels]).toEqual([32, 32, 3]);
    expect(data.classNames).toBeUndefined();
    for (const [set, recs] of [
      [data.train, TRAIN],
      [data.test, TEST],
    ] as const) {
      expect(set.pixels.length).toBe(recs.length * 3072);
      for (const [i, r] of recs.entries()) {
        for (let y = 0; y < 32; y++) {
          for (let x = 0; x < 32; x++) {
            for (let c = 0; c < 3; c++) {
              const got = set.pixels[i * 3072 + (y * 32 + x) * 3 + c];
              if (got !== pixel(r.seed, c, y, x)) {
                throw new Error(`image ${i} (${y},${x},${c}): ${got} != ${pixel(r.seed, c, y, x)}`);
              }
            }
          }
        }
      }
    }
    // Spot check against a hand-computed value: image 0, row 1, column 2, green.
    expect(data.train.pixels[(1 * 32 + 2) * 3 + 1]).toBe((31 + 101 + 7 + 6) & 0xff);
  });

  it('reads fine_label_names.txt when present', async () => {
    const names = Array.from({ length: 100 }, (_, i) => `class_${i}`);
    await writeFile(join(dir, 'fine_label_names.txt'), `${names.join('\n')}\n`);
    expect((await loadCifar100(dir)).classNames).toEqual(names);
  });

  it('rejects a truncated record file, naming the file and its size', async () => {
    const bytes = encodeRecords(TRAIN);
    await writeFile(join(dir, 'train.bin'), bytes.subarray(0, bytes.length - 10));
    await expect(loadCifar100(dir)).rejects.toThrow(
      new RegExp(`train\\.bin: truncated record file: ${bytes.length - 10} bytes`),
    );
  });

  it('rejects a fine label >= 100 with its record index', async () => {
    const bytes = encodeRecords(TEST);
    bytes[CIFAR100_RECORD_BYTES + 1] = 100;
    await writeFile(join(dir, 'test.bin'), bytes);
    await expect(loadCifar100(dir)).rejects.toThrow(/test\.bin: unknown class id 100 in record 1/);
  });

  it('names a missing directory or file', async () => {
    await expect(loadCifar100(join(dir, 'absent'))).rejects.toThrow(/absent is not a directory/);
    await rm(join(dir, 'test.bin'));
    await expect(loadCifar100(dir)).rejects.toThrow(/Missing data file: .*test\.bin/);
  });
});

describe('loadSplitCifar100', () => {
  it('splits 100 classes into 10 tasks with local labels and reference statistics', async () => {
    const seq = await loadSplitCifar100(dir, { tasks: 10 });
    expect(seq.name).toBe('split-cifar100-10');
    expect(seq.normalization).toEqual(CIFAR100_NORMALIZATION);
    expect(seq.inputShape).toEqual([32, 32, 3]);
    expect(seq.tasks).toHaveLength(10);
    expect(seq.tasks[3].classes).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
    // Task 0 holds classes 0..9: train records 1 and 4 (class 0), in file order.
    expect(Array.from(seq.tasks[0].train.labels)).toEqual([0, 0]);
    expect(seq.tasks[0].train.pixels[0]).toBe(pixel(2, 0, 0, 0));
    expect(seq.tasks[0].train.pixels[3072]).toBe(pixel(5, 0, 0, 0));
    expect(Array.from(seq.tasks[9].train.labels)).toEqual([9]);
    expect(Array.from(seq.tasks[1].test.labels)).toEqual([2]);
    expect(seq.tasks[2].train.labels.length).toBe(0);
    // Without fine_label_names.txt the tasks take the official names.
    expect(seq.tasks[0].classNames?.slice(0, 2)).toEqual(['apple', 'aquarium_fish']);
  });

  it('supports 20 tasks and a seeded class order', async () => {
    const a = await loadSplitCifar100(dir, { tasks: 20, classOrder: { shuffleSeed: 1993 } });
    const b = await loadSplitCifar100(dir, { tasks: 20, classOrder: { shuffleSeed: 1993 } });
    expect(a.tasks).toHaveLength(20);
    expect(a.tasks.map((t) => t.classes)).toEqual(b.tasks.map((t) => t.classes));
    expect(a.tasks.flatMap((t) => t.classes).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    expect(a.tasks[0].classes).not.toEqual([0, 1, 2, 3, 4]);
    await expect(loadSplitCifar100(dir, { tasks: 7 })).rejects.toThrow(
      /not divisible into 7 tasks/,
    );
  });
});
