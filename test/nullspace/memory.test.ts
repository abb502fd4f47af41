import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type BackendInfo, selectBackend } from '../../src/backend/select-backend.js';
import { applyOverrides } from '../../src/config/load-config.js';
import { loadPreset } from '../../src/config/presets.js';
import type { ExperimentConfig } from '../../src/config/schema.js';
import type { TaskSequence } from '../../src/data/task-sequence.js';
import { parseConfig } from '../../src/registry/experiment-config.js';
import { loadSequence } from '../../src/registry/load-sequence.js';
import { runContinual } from '../../src/train/continual-run.js';

/**
 * A leaked tensor per step or per task is invisible in a short test run and fatal in a
 * 20-task ResNet run, so the counts must be exactly steady, not merely small.
 */
describe('adam-nscl tensor memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nscl-memory-'));
  let backend: BackendInfo;
  let config: ExperimentConfig;
  let sequence: TaskSequence;

  beforeAll(async () => {
    backend = await selectBackend('cpu');
    const raw = applyOverrides(loadPreset('default') as Record<string, unknown>, [
      'strategy=adam-nscl',
      'data.tasks=2',
      'data.trainLimit=200',
      'data.testLimit=100',
      'train.epochs=1',
      'model.mlp.hidden=[32]',
      'log.progress=false',
      'log.report=false',
      'log.tensorboard=false',
    ]);
    config = parseConfig(raw, 'memory test');
    sequence = await loadSequence(config);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** numTensors at each task line the run logs (after evaluation and the projector refresh). */
  async function run(outDir: string, extra: { resume?: boolean; stopAfterTasks?: number } = {}) {
    const afterTask: number[] = [];
    await runContinual({
      config,
      sequence,
      backend,
      outDir,
      ...extra,
      log: (line) => {
        if (line.startsWith('task ')) afterTask.push(tf.memory().numTensors);
      },
    });
    return afterTask;
  }

  it('holds the same tensors after each task and none after the run', async () => {
    const before = tf.memory().numTensors;
    const afterTask = await run(join(dir, 'whole'));
    expect(afterTask).toHaveLength(2);
    expect(afterTask[1]).toBe(afterTask[0]);
    expect(tf.memory().numTensors).toBe(before);
  }, 60_000);

  it('frees everything when stopped after a task and when resumed from it', async () => {
    const before = tf.memory().numTensors;
    const out = join(dir, 'resumed');
    const first = await run(out, { stopAfterTasks: 1 });
    expect(tf.memory().numTensors).toBe(before);
    const second = await run(out, { resume: true });
    expect(tf.memory().numTensors).toBe(before);
    // The resumed run rebuilds the projector from the checkpointed covariance: same tensors.
    expect(second).toHaveLength(1);
    expect(second[0]).toBe(first[0]);
  }, 60_000);
});
