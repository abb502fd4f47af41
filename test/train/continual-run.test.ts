import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BackendInfo, selectBackend } from '../../src/backend/select-backend.js';
import { readEventFile } from '../../src/logging/tensorboard.js';
import type { RunResults } from '../../src/metrics/run-results.js';
import { parseConfig } from '../../src/registry/experiment-config.js';
import { loadSequence } from '../../src/registry/load-sequence.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/train/checkpoint.js';
import { runContinual } from '../../src/train/continual-run.js';

const config = parseConfig(
  {
    name: 'tiny',
    seed: 7,
    strategy: 'adam-nscl',
    data: { tasks: 5, trainLimit: 200, testLimit: 100 },
    model: { type: 'mlp', mlp: { hidden: [32] } },
    train: { epochs: 1, batchSize: 32, lr: { backboneFirstTask: 1e-3, backbone: 1e-3 } },
    log: { progress: false, report: true },
  },
  'test',
);

let backend: BackendInfo;
const tmp = () => mkdtempSync(join(tmpdir(), 'nscl-run-'));

async function run(outDir: string, extra: { resume?: boolean; stopAfterTasks?: number } = {}) {
  const sequence = await loadSequence(config);
  return runContinual({ config, sequence, backend, outDir, ...extra });
}

/** Everything a run measured, without wall-clock times. */
function measured(r: RunResults) {
  return {
    acc: r.accMatrix,
    loss: r.trainLoss,
    proj: r.projection,
    epochs: r.epochs.map((e) => [e.loss, e.accuracy]),
  };
}

describe('continual run', () => {
  beforeAll(async () => {
    backend = await selectBackend('cpu');
  });

  it('is deterministic for a seed, and resuming from a checkpoint gives the same numbers', async () => {
    const dirA = tmp();
    const a = await run(dirA);
    const b = await run(tmp());
    expect(measured(b)).toEqual(measured(a));

    const dirC = tmp();
    const partial = await run(dirC, { stopAfterTasks: 1 });
    expect(partial.accMatrix.length).toBe(1);
    const resumed = await run(dirC, { resume: true });
    expect(measured(resumed)).toEqual(measured(a));

    const other = await runContinual({
      config: { ...config, seed: 8 },
      sequence: await loadSequence(config),
      backend,
      outDir: tmp(),
    });
    expect(other.accMatrix).not.toEqual(a.accMatrix);
  });

  it('refuses a checkpoint that claims more tasks than the sequence has, writing nothing', async () => {
    const dir = tmp();
    await run(dir, { stopAfterTasks: 1 });
    const checkpoint = loadCheckpoint(dir);
    saveCheckpoint(dir, { ...checkpoint, completedTasks: 9 });
    const before = readFileSync(join(dir, 'metrics.jsonl'), 'utf8');
    await expect(run(dir, { resume: true })).rejects.toThrow(
      /checkpoint says 9 tasks are done, but the sequence has 5/,
    );
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8')).toBe(before);
  });

  it('writes results, CSV, JSONL, TensorBoard events, report and checkpoint', async () => {
    const dir = tmp();
    const r = await run(dir);
    expect(r.accMatrix.length).toBe(5);
    const final = r.accMatrix[4] as number[];
    expect(r.ACC).toBeCloseTo(final.reduce((x, y) => x + y, 0) / 5, 10);
    expect(r.ACC!).toBeGreaterThan(60); // two-class Fashion-MNIST tasks are easy even on 200 images
    expect(r.projection[0].map((p) => p.layer)).toEqual(['fc1']);
    expect(r.projection[0][0].n).toBe(784);
    expect(r.projection[0][0].kept).toBeGreaterThan(0);
    const saved = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
    expect(saved.accMatrix).toEqual(r.accMatrix);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual(config);
    expect(readFileSync(join(dir, 'accuracy-matrix.csv'), 'utf8').split('\n')[0]).toBe(
      'after_task,task_0,task_1,task_2,task_3,task_4',
    );
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'epoch')).toHaveLength(5);
    // Every task untrained (5), every seen task after each task (15), and the next task
    // before its training (4).
    const tests = lines.filter((l) => l.type === 'eval' && l.split === 'test');
    expect(tests).toHaveLength(24);
    expect(tests.filter((l) => l.afterTask === null)).toHaveLength(5);
    expect(tests.filter((l) => l.afterTask !== null && l.task === l.afterTask + 1)).toHaveLength(4);
    expect(r.initialAcc.every((a) => a !== null && a >= 0 && a <= 100)).toBe(true);
    const fwt = [1, 2, 3, 4].map((j) => r.accMatrix[j - 1][j]! - r.initialAcc[j]!);
    expect(r.FWT).toBeCloseTo(fwt.reduce((x, y) => x + y, 0) / 4, 10);
    expect(saved.status).toBe('completed');
    const events = readEventFile(join(dir, 'tb', readdirSync(join(dir, 'tb'))[0]));
    const accScalars = events
      .flatMap((e) => e.scalars.map((s) => ({ ...s, step: e.step })))
      .filter((s) => s.tag === 'continual/ACC');
    // One step axis: epochs trained so far (one epoch per task here).
    expect(accScalars.map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
    expect(accScalars[4].value).toBeCloseTo(r.ACC!, 3);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
    expect(existsSync(join(dir, 'checkpoint', 'state.json'))).toBe(true);
  });
});
