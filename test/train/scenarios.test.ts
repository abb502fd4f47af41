import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type BackendInfo, selectBackend } from '../../src/backend/select-backend.js';
import type { RunResults } from '../../src/metrics/run-results.js';
import { parseConfig } from '../../src/registry/experiment-config.js';
import { loadSequence } from '../../src/registry/load-sequence.js';
import { runContinual } from '../../src/train/continual-run.js';

let backend: BackendInfo;

/** A short run on the embedded Fashion-MNIST subset. */
async function run(strategy: string, data: Record<string, unknown>): Promise<RunResults> {
  const config = parseConfig(
    {
      strategy,
      seed: 3,
      data: { trainLimit: 300, testLimit: 100, ...data },
      model: { type: 'mlp', mlp: { hidden: [64] } },
      train: { epochs: 2, lr: { backboneFirstTask: 1e-3, backbone: 1e-3 }, weightDecay: 0 },
      log: { progress: false, report: false, tensorboard: false, trainMetrics: false },
    },
    'scenario test',
  );
  const outDir = join(mkdtempSync(join(tmpdir(), 'nscl-scenario-')), 'run');
  return runContinual({ config, sequence: await loadSequence(config), backend, outDir });
}

/** Three tasks named by class, written as a tasks file (the subset has 10 classes, not 3k). */
function tasksFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'nscl-tasks-')), 'tasks.json');
  const tasks = [
    ['T-shirt/top', 'Trouser'],
    ['Pullover', 'Dress'],
    ['Sneaker', 'Bag'],
  ];
  writeFileSync(file, JSON.stringify(tasks));
  return file;
}

const diagonal = (r: RunResults) => r.accMatrix.map((row, t) => row[t]!);
const finalRow = (r: RunResults) => r.accMatrix[r.accMatrix.length - 1] as number[];

describe('scenarios on Split Fashion-MNIST', () => {
  beforeAll(async () => {
    backend = await selectBackend('cpu');
  });

  it('task-incremental: each 2-class task is learned on its own head; FWT is measured', async () => {
    const r = await run('finetune', { tasksFile: tasksFile(), scenario: 'task' });
    expect(r.sequence.tasks.map((t) => t.classNames)).toEqual([
      ['T-shirt/top', 'Trouser'],
      ['Pullover', 'Dress'],
      ['Sneaker', 'Bag'],
    ]);
    expect(Math.min(...diagonal(r))).toBeGreaterThan(85);
    for (const a of r.initialAcc) expect(a! >= 0 && a! <= 100).toBe(true);
    const fwt = [1, 2].map((j) => r.accMatrix[j - 1][j]! - r.initialAcc[j]!);
    expect(r.FWT).toBeCloseTo((fwt[0] + fwt[1]) / 2, 10);
    expect(r.sequence.scenario).toBe('task');
  });

  it('class-incremental: fine-tuning forgets old classes, joint training keeps them', async () => {
    const data = { tasksFile: tasksFile(), scenario: 'class' };
    const finetune = await run('finetune', data);
    expect(Math.min(...diagonal(finetune))).toBeGreaterThan(85);
    // Trained on the new classes only, the shared head predicts mostly them.
    expect(finalRow(finetune)[0]).toBeLessThan(20);
    expect(finalRow(finetune)[1]).toBeLessThan(20);
    expect(finetune.BWT!).toBeLessThan(-70);
    const joint = await run('joint', data);
    expect(Math.min(...finalRow(joint))).toBeGreaterThan(50);
    // Before its training a task's classes compete, untrained, with the classes seen so far.
    expect(finetune.accMatrix[0][1]!).toBeLessThan(finetune.accMatrix[1][1]! - 30);
    expect(finetune.FWT).not.toBeNull();
  });

  it('domain-incremental: permuted tasks share one 10-class head', async () => {
    const data = { tasks: 3, transform: 'permuted', scenario: 'domain' };
    const finetune = await run('finetune', data);
    const nscl = await run('adam-nscl', data);
    // Ten classes: chance is 10 %, a trained task is far above it.
    expect(Math.min(...diagonal(finetune))).toBeGreaterThan(50);
    expect(nscl.accMatrix[0][0]!).toBeGreaterThan(50);
    for (const a of finetune.initialAcc) expect(a!).toBeLessThan(30);
    // The projected backbone keeps task 0 although the shared head moves on.
    expect(nscl.accMatrix[2][0]!).toBeGreaterThan(nscl.accMatrix[0][0]! - 10);
    expect(nscl.FWT).not.toBeNull();
  });
});
