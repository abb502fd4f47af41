import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/sweep.js';
import type { SweepRun } from '../../src/sweep/summary.js';
import { ROOT } from './run-cli.js';

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

  it("saves a config file's relative plugin path absolute in every run's config", async () => {
    const plugin = join(ROOT, 'examples/custom-strategy.ts');
    const file = join(dir, 'plugin-config.json');
    writeFileSync(
      file,
      JSON.stringify({
        strategy: 'l2-anchor',
        imports: [`./${relative(process.cwd(), plugin)}`],
      }),
    );
    const out = join(dir, 'plugin-sweep');
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    let code: number;
    try {
      code = await main(['--config', file, '--backend', 'cpu', ...fast, '--out', out]);
    } finally {
      log.mockRestore();
    }
    expect(code).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'base', 'seed0', 'config.json'), 'utf8'));
    expect(config.strategy).toBe('l2-anchor');
    expect(config.imports).toEqual([plugin]);
  }, 60_000);
});
