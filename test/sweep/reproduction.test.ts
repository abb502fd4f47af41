import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPreset } from '../../src/config/presets.js';
import { parseConfig } from '../../src/registry/experiment-config.js';
import {
  compare,
  loadReproduction,
  reproductionMarkdown,
  reproductionNames,
  reproductionSweep,
  withinSpread,
} from '../../src/sweep/reproduction.js';
import { summariseSweep } from '../../src/sweep/summary.js';
import { plannedRuns, runConfig } from '../../src/sweep/sweep-plan.js';
import { runCli } from '../cli/run-cli.js';

describe('reproduction specs', () => {
  it('ships Table 1, the Fig. 6 sweep and the Fashion-MNIST check, each a valid sweep', () => {
    expect(reproductionNames()).toEqual([
      'adam-nscl-fig6-a',
      'adam-nscl-table1-cifar100-10',
      'adam-nscl-table1-cifar100-20',
      'adam-nscl-table1-tinyimagenet-25',
      'fashion-mnist-baselines',
    ]);
    for (const name of reproductionNames()) {
      const spec = loadReproduction(name);
      const sweep = reproductionSweep(spec);
      for (const run of plannedRuns(sweep)) expect(() => runConfig(sweep, run)).not.toThrow();
    }
    const table1 = ['cifar100-10', 'cifar100-20', 'tinyimagenet-25'].map((p) =>
      loadReproduction(`adam-nscl-table1-${p}`),
    );
    expect(table1.map((s) => [s.rows[0].ACC?.value, s.rows[0].BWT?.value])).toEqual([
      [73.77, -1.6],
      [75.95, -3.66],
      [58.28, -6.05],
    ]);
    // The presets the specs run carry the paper's hyper-parameters (tested with the presets).
    expect(parseConfig(loadPreset('cifar100-20'), 't')['adam-nscl']).toMatchObject({ a: 30 });
  });

  it('judges the spread: the published value within our std (plus the published std)', () => {
    expect(withinSpread(70, 1, 70.9, null)).toBe(true);
    expect(withinSpread(70, 1, 71.5, null)).toBe(false);
    expect(withinSpread(70, 1, 71.5, 0.5)).toBe(true);
    expect(withinSpread(70, null, 70, null)).toBeNull();
  });

  it('lays our rows beside the published ones', () => {
    const spec = loadReproduction('fashion-mnist-baselines');
    const run = (strategy: string, seed: number, ACC: number, BWT: number) => ({
      point: [`strategy=${strategy}`],
      seed,
      outDir: '',
      status: 'completed' as const,
      ACC,
      BWT,
    });
    const rows = summariseSweep([run('lwf', 0, 98, -0.5), run('lwf', 1, 99, 0)]);
    const lwf = compare(spec, rows).filter((c) => c.label === 'LwF');
    expect(lwf.map((c) => c.metric)).toEqual(['ACC', 'BWT']);
    expect(lwf[0]).toMatchObject({ n: 2, mean: 98.5, published: 98.67, within: true });
    expect(lwf[0].difference).toBeCloseTo(-0.17, 10);
    expect(compare(spec, rows).find((c) => c.label === 'GPM')).toMatchObject({ n: 0, mean: null });
    const cells = reproductionMarkdown(spec, compare(spec, rows))
      .split('\n')
      .filter((line) => line.startsWith('| LwF'))
      .map((line) =>
        line
          .split('|')
          .slice(1, -1)
          .map((c) => c.trim()),
      );
    expect(cells).toEqual([
      ['LwF', 'ACC', '98.50 ± 0.71', '2', '98.67 ± 0.21', '-0.17', 'yes'],
      ['LwF', 'BWT', '-0.25 ± 0.35', '2', '-0.27 ± 0.22', '+0.02', 'yes'],
    ]);
  });

  it('runs a spec end to end and writes reproduction.md and .html', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nscl-repro-'));
    const spec = join(dir, 'tiny.json');
    writeFileSync(
      spec,
      JSON.stringify({
        title: 'tiny',
        reference: 'made up for the test',
        preset: 'default',
        set: [
          'data.tasks=2',
          'data.trainLimit=100',
          'data.testLimit=50',
          'train.epochs=1',
          'model.mlp.hidden=[16]',
        ],
        grid: { strategy: ['finetune'] },
        seeds: [0, 1],
        rows: [{ label: 'fine-tune', point: { strategy: 'finetune' }, ACC: { value: 90 } }],
      }),
    );
    const out = join(dir, 'out');
    const done = await runCli(['reproduce', spec, '--out', out, '--backend', 'cpu']);
    expect(done.code, done.stderr).toBe(0);
    const md = readFileSync(join(out, 'reproduction.md'), 'utf8');
    expect(md).toMatch(/\| fine-tune \| ACC +\| \d+\.\d\d ± \d+\.\d\d +\| 2 +\| 90\.00 +\|/);
    expect(readFileSync(join(out, 'reproduction.html'), 'utf8')).toContain('<td>fine-tune</td>');
    const collected = await runCli(['reproduce', spec, '--collect', '--out', out]);
    expect(collected.code).toBe(0);
    expect(readFileSync(join(out, 'reproduction.md'), 'utf8')).toBe(md);
  });
});
