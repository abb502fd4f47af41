import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/backend/select-backend.js';
import { applyOverrides } from '../../src/config/load-config.js';
import { loadPreset } from '../../src/config/presets.js';
import { imageCount, type LabelledImages, selectImages } from '../../src/data/images.js';
import { Scenario } from '../../src/data/scenario.js';
import type { TaskSequence } from '../../src/data/task-sequence.js';
import {
  type ClassifierEdit,
  type EditClassifierStats,
  editClassifier,
  lastHiddenDense,
  predict,
  preservedSecondMoment,
  setKernel,
} from '../../src/editing/edit-classifier.js';
import type { ContinualModel } from '../../src/models/continual-model.js';
import { createModel } from '../../src/registry/components.js';
import { parseConfig } from '../../src/registry/experiment-config.js';
import { loadSequence } from '../../src/registry/load-sequence.js';
import { loadCheckpoint, loadModelWeights } from '../../src/train/checkpoint.js';
import { runContinual } from '../../src/train/continual-run.js';
import { evaluate } from '../../src/train/evaluate.js';
import { Rng } from '../../src/util/rng.js';

/*
 * 40 training images per task keep the 200 preserved keys fewer than fc2's 256 inputs, so C0 has
 * an exact null space in which the projected edit can move the edited keys and leave the preserved
 * ones untouched. With more keys than inputs (e.g. 300 per task into 64 inputs) there is no null
 * space under AlphaEdit's threshold and the projected edit does nothing at all.
 */
const config = parseConfig(
  applyOverrides(loadPreset('default') as Record<string, unknown>, [
    'seed=3',
    'data.trainLimit=40',
    'data.testLimit=100',
    'train.epochs=2',
    'model.mlp.hidden=[256,32]',
    'log.progress=false',
    'log.report=false',
    'log.tensorboard=false',
    'log.trainMetrics=false',
  ]),
  'test',
);
const TASK = 4;
const BS = 256;

interface Outcome {
  stats: EditClassifierStats;
  success: number;
  accuracyChange: number[];
}

let sequence: TaskSequence;
let model: ContinualModel;
let edits: ClassifierEdit[];
let projected: Outcome;
let unprojected: Outcome;

async function trainedModel(): Promise<ContinualModel> {
  const outDir = mkdtempSync(join(tmpdir(), 'nscl-edit-'));
  await runContinual({ config, sequence, backend: await selectBackend('cpu'), outDir });
  const heads = new Scenario('task', sequence).headSizes();
  const m = await createModel(config, sequence.inputShape, heads, new Rng(0));
  loadModelWeights(m, loadCheckpoint(outDir).weights);
  return m;
}

function withoutImages(set: LabelledImages, drop: readonly number[]): LabelledImages {
  const keep = Array.from({ length: imageCount(set) }, (_, i) => i).filter(
    (i) => !drop.includes(i),
  );
  return selectImages(set, keep);
}

async function untouchedAccuracy(): Promise<number[]> {
  const norm = sequence.normalization;
  const drop = edits.map((e) => e.imageIndex);
  return Promise.all(
    sequence.tasks.map(async (t, j) => {
      const set = j === TASK ? withoutImages(t.test, drop) : t.test;
      const view = new Scenario('task', sequence).view(j, j);
      return (await evaluate(model, set, view, norm, BS)).accuracy;
    }),
  );
}

describe('editClassifier on a trained Split Fashion-MNIST MLP', () => {
  beforeAll(async () => {
    await selectBackend('cpu');
    sequence = await loadSequence(config);
    model = await trainedModel();
    const norm = sequence.normalization;
    const layer = lastHiddenDense(model);
    const test = sequence.tasks[TASK].test;
    const predicted = predict(model, test, TASK, norm, BS);
    edits = Array.from(predicted.keys())
      .filter((i) => predicted[i] === test.labels[i])
      .slice(0, 3)
      .map((i) => ({
        imageIndex: i,
        newLabel: (test.labels[i] + 1) % sequence.tasks[TASK].classes.length,
      }));
    const preserved = preservedSecondMoment(
      model,
      sequence.tasks.map((t) => t.train),
      norm,
      layer.name,
      BS,
    );
    const before = await untouchedAccuracy();
    const original = Float64Array.from(layer.kernel.dataSync());
    const run = async (project: boolean): Promise<Outcome> => {
      setKernel(layer, original);
      const stats = editClassifier(model, {
        layer: layer.name,
        task: TASK,
        images: test,
        norm,
        edits,
        preservedCov: preserved.cov,
        project,
        // Just above rounding: P spans C0's exact null space only. AlphaEdit's 2e-2 would also
        // take in weak directions of the preserved keys, and move their outputs by ~10%.
        threshold: 1e-8,
      });
      const now = predict(
        model,
        selectImages(
          test,
          edits.map((e) => e.imageIndex),
        ),
        TASK,
        norm,
        BS,
      );
      const after = await untouchedAccuracy();
      return {
        stats,
        success: edits.filter((e, i) => now[i] === e.newLabel).length,
        accuracyChange: after.map((a, j) => a - before[j]),
      };
    };
    projected = await run(true);
    unprojected = await run(false);
    setKernel(layer, original);
  });

  it('has a null space to edit in and remaps the chosen images', () => {
    expect(edits).toHaveLength(3);
    expect(projected.stats.nullDim).toBeGreaterThan(0);
    expect(projected.stats.nullDim).toBeLessThan(projected.stats.dIn);
    expect(projected.success).toBeGreaterThanOrEqual(2);
    expect(unprojected.success).toBe(3);
  });

  it('leaves the preserved keys’ outputs in place only when projecting', () => {
    expect(projected.stats.preservedChange!).toBeLessThan(1e-3);
    expect(unprojected.stats.preservedChange!).toBeGreaterThan(
      10 * Math.max(projected.stats.preservedChange!, 1e-6),
    );
  });

  it('disturbs untouched test accuracy less when projecting', () => {
    const meanAbs = (xs: number[]) => xs.reduce((a, b) => a + Math.abs(b), 0) / xs.length;
    expect(meanAbs(projected.accuracyChange)).toBeLessThan(meanAbs(unprojected.accuracyChange));
  });
});
