import { describe, expect, it } from 'vitest';
import type { LabelledImages } from '../../src/data/images.js';
import {
  permutedSequence,
  pixelPermutations,
  rotatedSequence,
  rotateImage,
  singleTaskSequence,
} from '../../src/data/sequence-transforms.js';
import { splitByClass } from '../../src/data/split-sequence.js';

const NORM = { mean: [0.5], std: [0.5] };

/** `n` images of h x w x c whose bytes are all distinct within an image (up to 255 of them). */
function distinctImages(
  n: number,
  h: number,
  w: number,
  c: number,
  labels: number[],
): LabelledImages {
  const size = h * w * c;
  const pixels = Uint8Array.from(
    { length: n * size },
    (_, i) => ((i % size) + 1 + 17 * Math.floor(i / size)) & 0xff,
  );
  return { pixels, labels: Int32Array.from(labels), height: h, width: w, channels: c };
}

describe('permutedSequence', () => {
  const train = distinctImages(3, 4, 4, 1, [0, 1, 2]);
  const test = distinctImages(2, 4, 4, 1, [2, 0]);
  const base = singleTaskSequence('toy', train, test, NORM);

  it('keeps task 0 as identity by default and permutes the others by a bijection', () => {
    const seq = permutedSequence(base, { tasks: 3, seed: 11 });
    expect(seq.name).toBe('permuted-toy');
    expect(seq.tasks.map((t) => t.name)).toEqual([
      'task-0-identity',
      'task-1-permuted',
      'task-2-permuted',
    ]);
    expect(Array.from(seq.tasks[0].train.pixels)).toEqual(Array.from(train.pixels));
    const perms = pixelPermutations(base, 3, 11);
    expect(perms[0]).toBeUndefined();
    for (const t of [1, 2]) {
      const perm = perms[t]!;
      expect(Array.from(perm).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 16 }, (_, i) => i),
      );
      const out = seq.tasks[t].train.pixels;
      for (let img = 0; img < 3; img++) {
        for (let p = 0; p < 16; p++)
          expect(out[img * 16 + p]).toBe(train.pixels[img * 16 + perm[p]]);
        // Same multiset of values in each image.
        const sorted = (a: Uint8Array) => Array.from(a).sort((x, y) => x - y);
        expect(sorted(out.subarray(img * 16, img * 16 + 16))).toEqual(
          sorted(train.pixels.subarray(img * 16, img * 16 + 16)),
        );
      }
      expect(Array.from(seq.tasks[t].train.labels)).toEqual([0, 1, 2]);
      expect(Array.from(seq.tasks[t].test.labels)).toEqual([2, 0]);
    }
    expect(Array.from(perms[1]!)).not.toEqual(Array.from(perms[2]!));
    expect(Array.from(seq.tasks[1].train.pixels)).not.toEqual(Array.from(train.pixels));
    // The input is never modified in place.
    expect(train.pixels[0]).toBe(1);
  });

  it('is deterministic per seed, and identityFirst=false permutes task 0 too', () => {
    const a = permutedSequence(base, { tasks: 2, seed: 5 });
    const b = permutedSequence(base, { tasks: 2, seed: 5 });
    const c = permutedSequence(base, { tasks: 2, seed: 6 });
    expect(Array.from(a.tasks[1].test.pixels)).toEqual(Array.from(b.tasks[1].test.pixels));
    expect(Array.from(a.tasks[1].test.pixels)).not.toEqual(Array.from(c.tasks[1].test.pixels));
    const all = permutedSequence(base, { tasks: 2, seed: 5, identityFirst: false });
    expect(Array.from(all.tasks[0].train.pixels)).not.toEqual(Array.from(train.pixels));
    expect(Array.from(all.tasks[1].train.pixels)).toEqual(Array.from(a.tasks[1].train.pixels));
  });

  it('moves the channels of a pixel together', () => {
    const rgb = distinctImages(1, 2, 3, 3, [0]);
    const seq = permutedSequence(
      singleTaskSequence('rgb', rgb, rgb, { mean: [0, 0, 0], std: [1, 1, 1] }),
      {
        tasks: 2,
        seed: 3,
      },
    );
    const perm = pixelPermutations(seq, 2, 3)[1]!;
    const out = seq.tasks[1].train.pixels;
    for (let p = 0; p < 6; p++) {
      for (let ch = 0; ch < 3; ch++) expect(out[p * 3 + ch]).toBe(rgb.pixels[perm[p] * 3 + ch]);
    }
  });

  it('transforms each task of a multi-task base and rejects a mismatched task count', () => {
    const split = splitByClass(train, test, { name: 'split', tasks: 3, normalization: NORM });
    const seq = permutedSequence(split, { seed: 1 });
    expect(seq.tasks.map((t) => t.classes)).toEqual([[0], [1], [2]]);
    expect(() => permutedSequence(split, { tasks: 2, seed: 1 })).toThrow(
      'permutedSequence: base sequence split has 3 tasks; need 1 or 2',
    );
  });
});

describe('rotatedSequence', () => {
  it('rotates a known image by 90 degrees counter-clockwise exactly', () => {
    // 3x3 image, values 1..9 row-major:   after 90° CCW:
    //   1 2 3                              3 6 9
    //   4 5 6                              2 5 8
    //   7 8 9                              1 4 7
    const src = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    const dst = new Uint8Array(9);
    rotateImage(src, dst, 3, 3, 1, 90);
    expect(Array.from(dst)).toEqual([3, 6, 9, 2, 5, 8, 1, 4, 7]);
    rotateImage(src, dst, 3, 3, 1, -90);
    expect(Array.from(dst)).toEqual([7, 4, 1, 8, 5, 2, 9, 6, 3]);
    rotateImage(src, dst, 3, 3, 1, 180);
    expect(Array.from(dst)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('rotates an even-sized colour image about its centre and fills with zeros at 45 degrees', () => {
    const img = distinctImages(1, 4, 4, 2, [0]);
    const dst = new Uint8Array(32);
    rotateImage(img.pixels, dst, 4, 4, 2, 90);
    // Output (y, x) comes from input (x, 3 - y) for a 90° CCW turn of a 4x4 grid.
    for (let y = 0; y < 4; y++) {
      for (let x = 0; x < 4; x++) {
        for (let c = 0; c < 2; c++)
          expect(dst[(y * 4 + x) * 2 + c]).toBe(img.pixels[(x * 4 + (3 - y)) * 2 + c]);
      }
    }
    const ones = new Uint8Array(16).fill(200);
    const rotated = new Uint8Array(16);
    rotateImage(ones, rotated, 4, 4, 1, 45);
    // The corners leave the frame; the centre stays fully inside.
    expect(rotated[0]).toBeLessThan(200);
    expect(rotated[5]).toBe(200);
    // Bilinear: a 45° turn of a 2-valued image produces intermediate values.
    const half = Uint8Array.from({ length: 16 }, (_, i) => (i % 4 < 2 ? 0 : 100));
    rotateImage(half, rotated, 4, 4, 1, 45);
    expect(Array.from(rotated).some((v) => v > 0 && v < 100)).toBe(true);
  });

  it('builds one task per angle from a single-task base', () => {
    const img = distinctImages(2, 3, 3, 1, [1, 0]);
    const seq = rotatedSequence(singleTaskSequence('toy', img, img, NORM), {
      angles: [0, 90, 180],
    });
    expect(seq.name).toBe('rotated-toy');
    expect(seq.tasks).toHaveLength(3);
    expect(seq.tasks[1].name).toBe('task-1-rot90');
    expect(Array.from(seq.tasks[0].train.pixels)).toEqual(Array.from(img.pixels));
    expect(Array.from(seq.tasks[2].train.pixels.subarray(0, 9))).toEqual([
      9, 8, 7, 6, 5, 4, 3, 2, 1,
    ]);
    expect(Array.from(seq.tasks[2].train.labels)).toEqual([1, 0]);
    expect(seq.tasks[2].classes).toEqual([0, 1]);
  });
});
