import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readEventFile } from '../../src/logging/tensorboard.js';
import { Rng } from '../../src/util/rng.js';
import { ROOT, runCli } from './run-cli.js';

const COLOURS: Record<string, [number, number, number]> = {
  red: [200, 40, 40],
  green: [40, 200, 40],
  blue: [40, 40, 200],
  yellow: [200, 200, 40],
};

/** DIR/{train,test}/<class>/*.png: noisy 16×16 images of one colour per class, and tasks.json. */
async function imageFolder(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nscl-folder-'));
  const rng = new Rng(11);
  for (const [split, count] of [
    ['train', 24],
    ['test', 10],
  ] as const) {
    for (const [name, rgb] of Object.entries(COLOURS)) {
      const classDir = join(dir, split, name);
      mkdirSync(classDir, { recursive: true });
      for (let i = 0; i < count; i++) {
        const pixels = Buffer.alloc(16 * 16 * 3);
        for (let p = 0; p < pixels.length; p++) {
          pixels[p] = Math.max(0, Math.min(255, rgb[p % 3] + Math.round(60 * rng.normal())));
        }
        await sharp(pixels, { raw: { width: 16, height: 16, channels: 3 } })
          .png()
          .toFile(join(classDir, `${i}.png`));
      }
    }
  }
  writeFileSync(
    join(dir, 'tasks.json'),
    JSON.stringify([
      ['red', 'green'],
      ['blue', 'yellow'],
    ]),
  );
  return dir;
}

describe('a user model, an image folder and a tasks file, from the command line', () => {
  let data: string;
  beforeAll(async () => {
    data = await imageFolder();
  });

  it('trains the plugin model on the folder’s tasks and names the classes in the records', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'nscl-byo-')), 'run');
    const done = await runCli([
      'experiment',
      '--import',
      join(ROOT, 'examples/my-cnn.mjs'),
      ...[
        'model.type=my-cnn',
        'model.my-cnn.filters=4',
        'data.dataset=folder',
        `data.dir=${data}`,
        `data.tasksFile=${join(data, 'tasks.json')}`,
        'train.epochs=10',
        'train.batchSize=8',
        'log.progress=false',
      ].flatMap((s) => ['--set', s]),
      '--backend',
      'cpu',
      '--out',
      out,
    ]);
    expect(done.code, done.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.taskNames).toEqual(['red, green', 'blue, yellow']);
    expect(results.sequence.tasks.map((t: { trainImages: number }) => t.trainImages)).toEqual([
      48, 48,
    ]);
    // Normalisation from the training images: the classes' channel means, averaged.
    const { mean } = results.sequence.normalization;
    const expected = [0, 1, 2].map(
      (c) => Object.values(COLOURS).reduce((sum, rgb) => sum + rgb[c], 0) / 4 / 255,
    );
    for (const [c, m] of mean.entries()) expect(m).toBeCloseTo(expected[c], 1);
    // Colours are easy: both tasks are learned.
    expect(results.accMatrix[0][0]).toBeGreaterThan(70);
    expect(results.accMatrix[1][1]).toBeGreaterThan(70);
    expect(results.projection[0].map((r: { layer: string }) => r.layer)).toEqual([
      'conv1',
      'conv2',
      'fc',
    ]);
    const events = readEventFile(join(out, 'tb', readdirSync(join(out, 'tb'))[0]));
    const tags = new Set(events.flatMap((e) => e.scalars.map((s) => s.tag)));
    expect(tags.has('test/accuracy/task_1_blue_yellow')).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.model.type).toBe('my-cnn');
    expect(config.model['my-cnn']).toEqual({ filters: 4 });
    expect(config.imports).toEqual([join(ROOT, 'examples/my-cnn.mjs')]);
  });
});
