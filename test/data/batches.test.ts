import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { cropFlipImage, drawAugment, STANDARD_AUGMENT } from '../../src/data/augment.js';
import {
  batchCount,
  batches,
  evalBatches,
  hostBatches,
  normalizationTable,
  trainBatches,
} from '../../src/data/batches.js';
import type { LabelledImages } from '../../src/data/images.js';
import { Rng } from '../../src/util/rng.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const NORM3 = { mean: [0.5, 0.25, 0.1], std: [0.5, 0.2, 0.4] };

/** Images whose every pixel encodes (image, y, x, channel), for tracing where bytes went. */
function codedImages(n: number, h: number, w: number, c: number): LabelledImages {
  const pixels = new Uint8Array(n * h * w * c);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let ch = 0; ch < c; ch++) {
          pixels[((i * h + y) * w + x) * c + ch] = (1 + i * 50 + y * 8 + x + ch * 100) & 0xff;
        }
      }
    }
  }
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return { pixels, labels, height: h, width: w, channels: c };
}

describe('cropFlipImage', () => {
  const img = codedImages(1, 6, 5, 2);
  const at = (y: number, x: number, c: number) => img.pixels[(y * 5 + x) * 2 + c];

  it('shifts content by the crop offset and fills the padding with raw zeros', () => {
    const dst = new Uint8Array(60);
    // Padding 4, window at (dy, dx) = (1, 6): output (y, x) reads input (y - 3, x + 2).
    cropFlipImage(img.pixels, dst, 6, 5, 2, 4, { dy: 1, dx: 6, flip: false });
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 5; x++) {
        for (let c = 0; c < 2; c++) {
          const sy = y - 3;
          const sx = x + 2;
          const want = sy >= 0 && sy < 6 && sx < 5 ? at(sy, sx, c) : 0;
          expect(dst[(y * 5 + x) * 2 + c]).toBe(want);
        }
      }
    }
    expect(dst[0]).toBe(0);
    expect(dst[(3 * 5 + 0) * 2]).toBe(at(0, 2, 0));
    // The centred window (dy = dx = padding) is the identity.
    cropFlipImage(img.pixels, dst, 6, 5, 2, 4, { dy: 4, dx: 4, flip: false });
    expect(Array.from(dst)).toEqual(Array.from(img.pixels));
  });

  it('mirrors left-right, keeping channels in order', () => {
    const dst = new Uint8Array(60);
    cropFlipImage(img.pixels, dst, 6, 5, 2, 4, { dy: 4, dx: 4, flip: true });
    for (let y = 0; y < 6; y++) {
      for (let x = 0; x < 5; x++) {
        for (let c = 0; c < 2; c++) expect(dst[(y * 5 + x) * 2 + c]).toBe(at(y, 4 - x, c));
      }
    }
  });

  it('draws offsets across the full 0..2*padding range and flips about half the time', () => {
    const rng = new Rng(3);
    const seen = new Set<number>();
    let flips = 0;
    for (let i = 0; i < 2000; i++) {
      const d = drawAugment(rng, STANDARD_AUGMENT);
      seen.add(d.dx);
      seen.add(d.dy);
      if (d.flip) flips++;
    }
    expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(flips).toBeGreaterThan(900);
    expect(flips).toBeLessThan(1100);
  });
});

describe('hostBatches', () => {
  const set = codedImages(10, 4, 4, 3);

  it('normalises (p/255 - mean)/std per channel in data order for evaluation', () => {
    const out = [...hostBatches(set, NORM3, { batchSize: 4 })];
    expect(out.map((b) => b.size)).toEqual([4, 4, 2]);
    expect(Array.from(out[2].y)).toEqual([2, 0]);
    const lastImage = 9;
    for (let p = 0; p < 48; p++) {
      const c = p % 3;
      const raw = set.pixels[lastImage * 48 + p];
      expect(out[2].x[48 + p]).toBeCloseTo((raw / 255 - NORM3.mean[c]) / NORM3.std[c], 5);
    }
    expect(batchCount(10, 4)).toBe(3);
    expect(batchCount(10, 4, true)).toBe(2);
  });

  it('shuffles into a permutation of the set, reproducibly per seed', () => {
    const run = (seed: number) => {
      const bs = [...hostBatches(set, NORM3, { batchSize: 3, rng: new Rng(seed), shuffle: true })];
      return bs.flatMap((b) => Array.from({ length: b.size }, (_, i) => b.x[i * 48]));
    };
    const firsts = run(1);
    // The first normalised value identifies its image: byte (1 + 50 i) mod 256.
    const lut = normalizationTable(NORM3, 3);
    const ids = firsts.map((v) =>
      Array.from({ length: 10 }, (_, i) => lut[(1 + 50 * i) & 0xff]).indexOf(v),
    );
    expect([...ids].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ids).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(run(1)).toEqual(firsts);
    expect(run(2)).not.toEqual(firsts);
  });

  it('pads with raw zero before normalising, so padding becomes -mean/std', () => {
    const one = codedImages(1, 4, 4, 3);
    const augment = { padding: 4, flip: false };
    // Search seeds for a draw that shifts the window fully off the image in x.
    let seed = 0;
    while (drawAugment(new Rng(seed), augment).dx !== 0) seed++;
    const [b] = [...hostBatches(one, NORM3, { batchSize: 1, rng: new Rng(seed), augment })];
    // dx = 0 with padding 4 on a 4-wide image: every output column is padding.
    for (let p = 0; p < 48; p++) {
      const c = p % 3;
      expect(b.x[p]).toBeCloseTo(-NORM3.mean[c] / NORM3.std[c], 5);
    }
  });

  it('rejects a normalisation of the wrong channel count and shuffling without an rng', () => {
    expect(() => [...hostBatches(set, { mean: [0.5], std: [0.5] }, { batchSize: 2 })]).toThrow(
      'Normalisation has 1 means and 1 stds for 3-channel images',
    );
    expect(() => [...hostBatches(set, NORM3, { batchSize: 2, shuffle: true })]).toThrow(
      'needs an rng',
    );
  });
});

describe('batches (tensors)', () => {
  const set = codedImages(7, 4, 4, 3);

  it('yields float32 NHWC and int32 labels matching the host batches', () => {
    const tensors = [...evalBatches(set, NORM3, 5)];
    const host = [...hostBatches(set, NORM3, { batchSize: 5 })];
    expect(tensors.map((b) => b.x.shape)).toEqual([
      [5, 4, 4, 3],
      [2, 4, 4, 3],
    ]);
    expect(tensors[0].x.dtype).toBe('float32');
    expect(tensors[0].y.dtype).toBe('int32');
    expect(Array.from(tensors[1].y.dataSync())).toEqual([2, 0]);
    expect(Array.from(tensors[1].x.dataSync())).toEqual(Array.from(host[1].x));
    for (const b of tensors) tf.dispose([b.x, b.y]);
  });

  it('gives identical augmented training batches for the same seed, different for another', () => {
    const epoch = (seed: number) => {
      const values: number[][] = [];
      for (const b of trainBatches(set, NORM3, {
        batchSize: 4,
        rng: new Rng(seed),
        augment: STANDARD_AUGMENT,
        dropLast: true,
      })) {
        values.push(Array.from(b.x.dataSync()), Array.from(b.y.dataSync()));
        tf.dispose([b.x, b.y]);
      }
      return values;
    };
    const before = tf.memory().numTensors;
    const a = epoch(42);
    expect(a).toHaveLength(2);
    expect(epoch(42)).toEqual(a);
    expect(epoch(43)).not.toEqual(a);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('stays lazy: only the batches requested are built', () => {
    const gen = batches(set, NORM3, { batchSize: 2 });
    const first = gen.next();
    expect(first.done).toBe(false);
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(2);
    if (!first.done) tf.dispose([first.value.x, first.value.y]);
    gen.return(undefined);
  });
});
