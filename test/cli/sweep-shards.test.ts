import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './run-cli.js';

const SWEEP = [
  'sweep',
  '--backend',
  'cpu',
  '--grid',
  'strategy=adam-nscl,finetune',
  '--seeds',
  '0,1',
  ...[
    'data.tasks=2',
    'data.trainLimit=100',
    'data.testLimit=50',
    'train.epochs=1',
    'model.mlp.hidden=[16]',
    'log.report=false',
  ].flatMap((s) => ['--set', s]),
];

interface Summary {
  runs: { point: string[]; seed: number; status: string; ACC: number; BWT: number }[];
  rows: unknown[];
}

const summary = (dir: string) =>
  JSON.parse(readFileSync(join(dir, 'sweep.json'), 'utf8')) as Summary;
const history = (dir: string, run: string) =>
  JSON.parse(readFileSync(join(dir, run, 'run.json'), 'utf8')).history as { event: string }[];
const table = (s: Summary) =>
  s.runs.map((r) => ({ point: r.point, seed: r.seed, ACC: r.ACC, BWT: r.BWT, status: r.status }));

describe('a sweep split into shards', () => {
  it('gives, run for run, the table of the same sweep in one process; a killed shard reruns only what is unfinished', async () => {
    const whole = join(mkdtempSync(join(tmpdir(), 'nscl-shards-')), 'whole');
    const one = await runCli([...SWEEP, '--out', whole]);
    expect(one.code, one.stderr).toBe(0);

    const split = join(mkdtempSync(join(tmpdir(), 'nscl-shards-')), 'split');
    const early = await runCli(['sweep', '--collect', '--out', split]);
    expect(early.code).toBe(2);
    // Shard 1 has two runs (the 1st and 4th of the sorted list): kill it during its second.
    const killed = await runCli([...SWEEP, '--shard', '1/3', '--out', split], {
      stop: { when: /\[2\/2\] strategy=finetune seed 1: running/, signal: 'SIGKILL' },
    });
    expect(killed.signal).toBe('SIGKILL');
    const others = await Promise.all(
      ['2/3', '3/3'].map((shard) => runCli([...SWEEP, '--shard', shard, '--out', split])),
    );
    for (const o of others) expect(o.code, o.stderr).toBe(0);
    const partial = await runCli(['sweep', '--collect', '--out', split]);
    expect(partial.code).toBe(1);
    expect(partial.stdout).toMatch(/strategy=finetune\/seed1: (missing|running)/);

    const rerun = await runCli([...SWEEP, '--shard', '1/3', '--out', split]);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stdout).toMatch(/\[1\/2\] strategy=adam-nscl seed 0: finished earlier/);
    expect(history(split, 'strategy=adam-nscl/seed0').map((h) => h.event)).toEqual(['started']);
    const collected = await runCli(['sweep', '--collect', '--out', split]);
    expect(collected.code, collected.stdout).toBe(0);

    expect(table(summary(split))).toEqual(table(summary(whole)));
    expect(summary(split).rows).toEqual(summary(whole).rows);
    expect(table(summary(whole)).map((r) => `${r.point}/${r.seed}`)).toEqual([
      'strategy=adam-nscl/0',
      'strategy=adam-nscl/1',
      'strategy=finetune/0',
      'strategy=finetune/1',
    ]);
    // Another sweep into the same folder is refused.
    const other = await runCli([...SWEEP, '--seeds', '5', '--shard', '1/2', '--out', split]);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/holds another sweep/);
  });
});
