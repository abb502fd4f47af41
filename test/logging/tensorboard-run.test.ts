import { describe, expect, it } from 'vitest';
import { readEventFile, TensorBoardWriter } from '../../src/logging/tensorboard.js';
import { configMarkdown, writeProjectionSummaries } from '../../src/logging/tensorboard-run.js';
import { tempDirPerTest } from '../helpers.js';
import { syntheticResults } from './fixtures.js';

const tempDir = tempDirPerTest('tb-run-test-');

describe('writeProjectionSummaries', () => {
  it('writes kept dims, kept ratio and the log10 spectrum of every layer at one step', () => {
    const records = syntheticResults().projection[1];
    const w = new TensorBoardWriter(tempDir(), { hostname: 'box' });
    writeProjectionSummaries(w, records, 8);
    w.close();
    const events = readEventFile(w.path).slice(1);
    expect(new Set(events.map((e) => e.step))).toEqual(new Set([8]));
    expect(events.flatMap((e) => e.scalars)).toEqual([
      { tag: 'projection/kept/conv1', value: 12 },
      { tag: 'projection/kept_ratio/conv1', value: Math.fround(12 / 27) },
      { tag: 'projection/kept/fc1', value: 29 },
      { tag: 'projection/kept_ratio/fc1', value: Math.fround(29 / 64) },
    ]);
    const histograms = events.flatMap((e) => e.histograms ?? []);
    expect(histograms.map((h) => h.tag)).toEqual([
      'projection/spectrum_log10/conv1',
      'projection/spectrum_log10/fc1',
    ]);
    for (const [i, { histogram }] of histograms.entries()) {
      const spectrum = records[i].spectrum;
      expect(histogram.num).toBe(spectrum.length);
      expect(histogram.bucket.reduce((a, b) => a + b, 0)).toBe(spectrum.length);
      expect(histogram.min).toBeCloseTo(Math.log10(spectrum[0]), 12);
      expect(histogram.max).toBeCloseTo(Math.log10(spectrum[spectrum.length - 1]), 12);
    }
  });

  it('puts zero and negative eigenvalues on the floor instead of failing', () => {
    const layer = { layer: 'l', n: 3, kept: 2, ratio: 2 / 3, lambdaMin: -1e-9, lambdaMax: 5 };
    const w = new TensorBoardWriter(tempDir(), { hostname: 'box' });
    writeProjectionSummaries(w, [{ ...layer, spectrum: [-1e-9, 0, 100] }], 1);
    w.close();
    const [h] = readEventFile(w.path).flatMap((e) => e.histograms ?? []);
    expect([h.histogram.min, h.histogram.max, h.histogram.num]).toEqual([-12, 2, 3]);
  });
});

describe('configMarkdown', () => {
  it('fences the config as JSON', () => {
    expect(configMarkdown({ lr: 0.001, a: [10, 30] })).toBe(
      '```json\n{\n  "lr": 0.001,\n  "a": [\n    10,\n    30\n  ]\n}\n```',
    );
  });

  it('uses a longer fence than any backtick run inside', () => {
    const md = configMarkdown({ note: 'a ```` b' });
    expect(md.startsWith('`````json\n')).toBe(true);
    expect(md.endsWith('\n`````')).toBe(true);
  });
});
