import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { jsonlRecords, runCli, tensorBoardRecords } from './run-cli.js';

/** Three tasks of the embedded Fashion-MNIST subset, two epochs each, seconds per task on cpu. */
const RUN = [
  'experiment',
  '--backend',
  'cpu',
  '--set',
  'data.tasks=5',
  '--set',
  'data.trainLimit=200',
  '--set',
  'data.testLimit=60',
  '--set',
  'train.epochs=2',
  '--set',
  'model.mlp.hidden=[24]',
];

const tmp = () => mkdtempSync(join(tmpdir(), 'nscl-trust-'));
const read = (dir: string, file: string) => readFileSync(join(dir, file), 'utf8');
const results = (dir: string) => JSON.parse(read(dir, 'results.json'));

/** What a run measured; wall-clock fields left out. */
function measured(dir: string) {
  const r = results(dir);
  return {
    acc: r.accMatrix,
    initial: r.initialAcc,
    train: r.trainAcc,
    projection: r.projection,
    epochs: r.epochs.map((e: { loss: number; accuracy: number }) => [e.loss, e.accuracy]),
    status: r.status,
  };
}

describe('runs you can trust (command line, child processes)', () => {
  let reference: string;

  beforeAll(async () => {
    reference = join(tmp(), 'run');
    const done = await runCli([...RUN, '--out', reference]);
    expect(done.code, done.stderr).toBe(0);
  });

  it.each([
    ['inside the first task', /task 1\/5 {2}epoch 2\/2/],
    ['between tasks', /task 2\/5 done/],
    ['inside a later task', /task 4\/5 {2}epoch 1\/2/],
    ['inside a task boundary', /task 3 boundary: covariance/],
  ])(
    'a run killed %s resumes to the same numbers and the same logs, record for record',
    async (_, when) => {
      const dir = join(tmp(), 'run');
      const killed = await runCli([...RUN, '--out', dir], { stop: { when, signal: 'SIGKILL' } });
      expect(killed.signal).toBe('SIGKILL');
      const resumed = await runCli(['experiment', '--resume', dir, '--backend', 'cpu']);
      expect(resumed.code, resumed.stderr).toBe(0);
      expect(measured(dir)).toEqual(measured(reference));
      expect(jsonlRecords(dir)).toEqual(jsonlRecords(reference));
      expect(tensorBoardRecords(dir)).toEqual(tensorBoardRecords(reference));
      const history = JSON.parse(read(dir, 'run.json')).history;
      expect(history.map((h: { event: string }) => h.event)).toEqual(['started', 'resumed']);
    },
  );

  it('starts a run again in its folder when it was killed before its first checkpoint', async () => {
    const dir = join(tmp(), 'run');
    await runCli([...RUN, '--out', dir], {
      stop: { when: /task 1\/5 {2}epoch 1\/2/, signal: 'SIGKILL' },
    });
    // As a kill between taking the folder and writing the first checkpoint leaves it.
    rmSync(join(dir, 'checkpoint'), { recursive: true, force: true });
    const resumed = await runCli(['experiment', '--resume', dir, '--backend', 'cpu']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(measured(dir)).toEqual(measured(reference));
    expect(jsonlRecords(dir)).toEqual(jsonlRecords(reference));
  });

  it('refuses a resume that would change results before writing anything, and records one that cannot', async () => {
    const dir = join(tmp(), 'run');
    await runCli([...RUN, '--out', dir], { stop: { when: /task 2\/5 done/, signal: 'SIGKILL' } });
    const config = read(dir, 'config.json');
    for (const change of ['model.mlp.hidden=[100]', 'train.epochs=3']) {
      const refused = await runCli(['experiment', '--resume', dir, '--set', change]);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/cannot resume .* these settings change results/);
      expect(read(dir, 'config.json')).toBe(config);
    }
    const allowed = await runCli([
      'experiment',
      '--resume',
      dir,
      '--backend',
      'cpu',
      '--set',
      'log.report=false',
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
    const history = JSON.parse(read(dir, 'run.json')).history;
    expect(history[1].changes).toEqual([{ key: 'log.report', from: true, to: false }]);
    expect(measured(dir)).toEqual(measured(reference));
  });

  it('will not write a new run into a folder that holds one, unless told to replace it', async () => {
    const dir = join(tmp(), 'run');
    const short = [...RUN, '--set', 'data.tasks=2', '--out', dir];
    expect((await runCli(short)).code).toBe(0);
    const before = read(dir, 'metrics.jsonl');
    const second = await runCli([...short, '--seed', '3']);
    expect(second.code).toBe(2);
    expect(second.stderr).toMatch(/already holds a run: continue it with --resume/);
    expect(read(dir, 'metrics.jsonl')).toBe(before);
    const replaced = await runCli([...short, '--seed', '3', '--overwrite']);
    expect(replaced.code).toBe(0);
    expect(JSON.parse(read(dir, 'config.json')).seed).toBe(3);
    // The replaced run's logs are gone, not appended to: one run's records, one event file.
    const epochs = jsonlRecords(dir).filter((r) => (r as { type: string }).type === 'epoch');
    expect(epochs).toHaveLength(4);
    expect(tensorBoardRecords(dir).length).toBeGreaterThan(0);
  });

  it('stops a diverged run with exit 1, saying where, and marks it diverged', async () => {
    const dir = join(tmp(), 'run');
    const lr = ['backboneFirstTask', 'backbone', 'head'].flatMap((k) => [
      '--set',
      `train.lr.${k}=1e30`,
    ]);
    const diverged = await runCli([...RUN, ...lr, '--out', dir]);
    expect(diverged.code).toBe(1);
    expect(diverged.stderr).toMatch(
      /diverged: the (training loss|squared gradient norm) is (NaN|Infinity|-Infinity) at task 1, epoch 1, batch \d+/,
    );
    const r = results(dir);
    expect(r.status).toBe('diverged');
    expect(r.divergence.task).toBe(0);
    expect(r.ACC).toBeNull();
  });

  it('on Ctrl-C stops after the step, says where the checkpoint is, and resumes to the same result', async () => {
    const dir = join(tmp(), 'run');
    const stopped = await runCli([...RUN, '--out', dir], {
      stop: { when: /task 3\/5 {2}epoch 1\/2/, signal: 'SIGINT' },
    });
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(
      /interrupted\. The last checkpoint \(after task 2\) is in .*checkpoint; continue with:/,
    );
    expect(stopped.stderr).toContain(`nullspace-cl experiment --resume ${dir}`);
    expect(results(dir).status).toBe('interrupted');
    writeFileSync(join(dir, '.report.html.99.1.tmp'), 'left by a kill');
    const resumed = await runCli(['experiment', '--resume', dir, '--backend', 'cpu']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(existsSync(join(dir, '.report.html.99.1.tmp'))).toBe(false);
    expect(measured(dir)).toEqual(measured(reference));
    expect(jsonlRecords(dir)).toEqual(jsonlRecords(reference));
  });

  it('rejects config mistakes in one line before printing the config', async () => {
    const proto = await runCli([...RUN, '--set', '__proto__.polluted=1']);
    expect(proto.code).toBe(2);
    expect(proto.stderr).toMatch(/'__proto__' is not a valid key/);
    const unknown = await runCli([...RUN, '--set', 'strategy=nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/strategy: .*adam-nscl/);
    expect(unknown.stdout).not.toMatch(/config:/);
  });
});
