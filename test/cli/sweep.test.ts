import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import {
  formatSweepTable,
  gridPoints,
  main,
  parseGridAxis,
  type SweepRun,
  summariseSweep,
  sweepCsv,
} from '../../src/cli/sweep.js';

function run(point: string[], seed: number, ACC: number | null, BWT: number | null): SweepRun {
  return { point, seed, ACC, BWT, outDir: '' };
}

describe('sweep aggregation', () => {
  it('averages over seeds with the sample standard deviation', () => {
    const rows = summariseSweep([
      run(['a=10'], 0, 70, -2),
      run(['a=10'], 1, 72, -4),
      run(['a=10'], 2, 74, -3),
      run(['a=30'], 0, 80, -1),
    ]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ point: ['a=10'], n: 3, accMean: 72, bwtMean: -3 });
    // Sample std of 70, 72, 74: √((4 + 0 + 4) / 2) = 2; of −2, −4, −3: √((1 + 1 + 0) / 2) = 1.
    expect(rows[0].accStd).toBeCloseTo(2, 12);
    expect(rows[0].bwtStd).toBeCloseTo(1, 12);
    expect(rows[1]).toMatchObject({ n: 1, accMean: 80, accStd: null, bwtStd: null });
  });

  it('leaves missing metrics out of the mean but counts the run', () => {
    const [row] = summariseSweep([run([], 0, 50, null), run([], 1, 60, null)]);
    expect(row).toMatchObject({ n: 2, accMean: 55, bwtMean: null, bwtStd: null });
    expect(row.accStd).toBeCloseTo(Math.SQRT2 * 5, 12);
  });

  it('formats one row per point, with a dash for the std of a single seed', () => {
    const rows = summariseSweep([run(['a=10', 'strategy=ewc'], 0, 70.123, -2.5)]);
    const table = formatSweepTable(rows).split('\n');
    expect(table[0]).toMatch(/^\| a +\| strategy \| ACC \(%\) +\| BWT \(%\) +\| n \|$/);
    expect(table[2]).toContain('| 10 | ewc      | 70.12 ± — | -2.50 ± — | 1 |');
    expect(sweepCsv(rows).split('\n')[1]).toBe('10,ewc,70.123,,-2.5,,1');
  });

  it('takes the Cartesian product with the last grid varying fastest', () => {
    const points = gridPoints([parseGridAxis('a=10,30'), parseGridAxis('strategy=x,y,z')]);
    expect(points.map((p) => p.join(' '))).toEqual([
      'a=10 strategy=x',
      'a=10 strategy=y',
      'a=10 strategy=z',
      'a=30 strategy=x',
      'a=30 strategy=y',
      'a=30 strategy=z',
    ]);
    expect(gridPoints([])).toEqual([[]]);
  });

  it('keeps commas inside brackets as part of a value', () => {
    expect(parseGridAxis('model.mlp.hidden=[32,32],[64]').values).toEqual(['[32,32]', '[64]']);
  });

  it.each([['a='], ['=1,2'], ['a=1,,2'], ['nothing']])('rejects the grid %s', (grid) => {
    expect(() => parseGridAxis(grid)).toThrow(/--grid/);
  });
});

describe('sweep CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nscl-sweep-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const fast = [
    'data.trainLimit=200',
    'data.testLimit=100',
    'train.epochs=1',
    'log.progress=false',
    'log.report=false',
    'log.tensorboard=false',
    'log.trainMetrics=false',
    'data.tasks=2',
    'model.mlp.hidden=[32]',
  ].flatMap((s) => ['--set', s]);

  it.each([
    [['--grid', 'a=']],
    [['--grid', 'a']],
    [['--preset', 'no-such-preset']],
    [['--seeds', '0,x']],
    [['--grid', 'a=10', '--grid', 'a=30']],
    [['--grid', 'a=0.5']],
    [['--grid', 'strategy=no-such-strategy']],
  ])('exits 2 on bad arguments %j', async (argv) => {
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      expect(await main([...argv, '--out', join(dir, 'bad')])).toBe(2);
      expect(err.mock.calls[0][0]).toMatch(/^sweep: /);
    } finally {
      err.mockRestore();
    }
    expect(existsSync(join(dir, 'bad'))).toBe(false);
  });

  it('runs a 2×2 sweep and writes the table', async () => {
    const out = join(dir, 'sweep');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    let code: number;
    try {
      code = await main([
        '--preset',
        'default',
        '--backend',
        'cpu',
        ...fast,
        '--grid',
        'a=10,30',
        '--seeds',
        '0,1',
        '--out',
        out,
      ]);
    } finally {
      log.mockRestore();
    }
    expect(code).toBe(0);
    const sweep = JSON.parse(readFileSync(join(out, 'sweep.json'), 'utf8'));
    expect(sweep.runs).toHaveLength(4);
    expect(sweep.runs.map((r: SweepRun) => `${r.point[0]}/${r.seed}`)).toEqual([
      'a=10/0',
      'a=10/1',
      'a=30/0',
      'a=30/1',
    ]);
    expect(sweep.rows).toHaveLength(2);
    for (const row of sweep.rows) {
      expect(row.n).toBe(2);
      expect(Number.isFinite(row.accMean)).toBe(true);
      expect(Number.isFinite(row.accStd)).toBe(true);
    }
    expect(existsSync(join(out, 'a=30', 'seed1', 'results.json'))).toBe(true);
    const md = readFileSync(join(out, 'sweep.md'), 'utf8').trim().split('\n');
    expect(md).toHaveLength(4);
    expect(md[2]).toMatch(/^\| 10 +\| \d+\.\d\d ± \d+\.\d\d \|/);
    expect(readFileSync(join(out, 'sweep.csv'), 'utf8').split('\n')[0]).toBe(
      'a,acc_mean,acc_std,bwt_mean,bwt_std,n',
    );
  }, 60_000);
});
