import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, selectBackend } from '../backend/select-backend.js';
import type { ExperimentConfig } from '../config/schema.js';
import { imageCount, type LabelledImages, selectImages } from '../data/images.js';
import { Scenario } from '../data/scenario.js';
import { type TaskSequence, taskLabel } from '../data/task-sequence.js';
import {
  type ClassifierEdit,
  type EditClassifierStats,
  editClassifier,
  lastHiddenDense,
  predict,
  preservedSecondMoment,
  setKernel,
} from '../editing/edit-classifier.js';
import type { ContinualModel } from '../models/continual-model.js';
import { createModel } from '../registry/components.js';
import { loadConfig } from '../registry/experiment-config.js';
import { loadSequence } from '../registry/load-sequence.js';
import { loadCheckpoint, loadModelWeights } from '../train/checkpoint.js';
import { runContinual } from '../train/continual-run.js';
import { evaluate } from '../train/evaluate.js';
import { checkNewRunFolder, savedConfig } from '../train/run-folder.js';
import { Rng } from '../util/rng.js';
import { mean } from '../util/stats.js';
import { reportCliError, UsageError } from './cli-errors.js';
import {
  RUN_OPTIONS,
  type RunOptionValues,
  rawConfig,
  runOptionsHelp,
  timestamp,
} from './run-options.js';

const USAGE = `usage: nullspace-cl edit [--run DIR | --preset NAME | --config FILE] [options]

Null-space constrained edits (AlphaEdit) of a trained MLP classifier: relabels test images of
one task and compares the projected edit with the unprojected one.

options:
  --run DIR          edit the model of an earlier experiment run in DIR
  --out DIR          without --run: train the config into DIR first, then edit it
  --edits N          images to relabel (default 5), all from task T
  --task T           the task to edit (default: the last task trained)
  --threshold X      null-space threshold on the keys' second moment E[kkᵀ] (default 2e-2, AlphaEdit's)
  --l2 X             ridge term λ of the closed form (default 1)
${runOptionsHelp()}`;

interface EditArgs extends RunOptionValues {
  run?: string;
  edits: number;
  task?: number;
  backend?: string;
  out?: string;
  threshold: number;
  l2: number;
}

interface Variant {
  readonly project: boolean;
  readonly stats: EditClassifierStats;
  /** % of edited images now predicted as their new label. */
  readonly editSuccess: number;
  /** Test accuracy (%) per task on the images not edited, after the edit. */
  readonly accuracyAfter: number[];
  /** Mean over tasks of |after − before|, in percentage points. */
  readonly meanAbsChange: number;
}

export async function main(argv: string[]): Promise<number> {
  let args: EditArgs;
  try {
    const values = parse(argv);
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    args = editArgs(values);
  } catch (err) {
    console.error(`edit: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  try {
    const backend = await selectBackend(args.backend);
    console.log(describeBackend(backend));
    const dir = args.run ?? args.out ?? join('runs', `edit-${timestamp()}`);
    const config = await runConfig(args);
    if (config.model.type !== 'mlp' || config.data.scenario !== 'task') {
      throw new UsageError(
        `only task-incremental MLP classifiers can be edited; ${args.run ? `run ${args.run}` : 'this config'} uses model.type '${config.model.type}', scenario '${config.data.scenario}'`,
      );
    }
    const sequence = await loadSequence(config);
    const scenario = new Scenario('task', sequence);
    if (!args.run) {
      checkNewRunFolder(dir, false);
      console.log(`training ${args.config ?? `preset '${args.preset ?? 'default'}'`} into ${dir}`);
      await runContinual({ config, sequence, backend, outDir: dir, log: (l) => console.log(l) });
    }
    const { model, seenTasks } = await loadTrained(config, sequence, scenario, dir);
    try {
      const report = await editExperiment(model, sequence, scenario, config, seenTasks, args);
      printReport(report);
      const file = join(dir, 'edit-results.json');
      writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`written: ${file}`);
    } finally {
      model.dispose();
    }
    return 0;
  } catch (err) {
    return reportCliError('edit', err);
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      ...RUN_OPTIONS,
      run: { type: 'string' },
      out: { type: 'string' },
      edits: { type: 'string' },
      task: { type: 'string' },
      threshold: { type: 'string' },
      l2: { type: 'string' },
    },
    strict: true,
  }).values;
}

function editArgs(values: ReturnType<typeof parse>): EditArgs {
  if (values.run && (values.preset || values.config))
    throw new Error('give --run, or --preset/--config, not both');
  if (values.run && values.out)
    throw new Error('--out is for a new run; with --run results go to DIR');
  integerArg('--seed', values.seed, 0);
  return {
    ...values,
    edits: integerArg('--edits', values.edits, 1) ?? 5,
    task: integerArg('--task', values.task, 0),
    threshold: numberArg('--threshold', values.threshold, 0) ?? 2e-2,
    l2: numberArg('--l2', values.l2, Number.MIN_VALUE) ?? 1,
  };
}

function integerArg(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isInteger(v) || v < min)
    throw new Error(`${name} must be an integer ≥ ${min}, got '${text}'`);
  return v;
}

function numberArg(name: string, text: string | undefined, min: number): number | undefined {
  if (text === undefined) return undefined;
  const v = Number(text);
  if (!Number.isFinite(v) || v < min)
    throw new Error(`${name} must be a number ≥ ${min}, got '${text}'`);
  return v;
}

/** The run's saved config (--run) or the preset's or file's, with the options applied. */
function runConfig(args: EditArgs): Promise<ExperimentConfig> {
  const base = args.run
    ? { raw: savedConfig(args.run), source: join(args.run, 'config.json') }
    : undefined;
  const { raw, source } = rawConfig(args, base);
  return loadConfig(raw, source);
}

async function loadTrained(
  config: ExperimentConfig,
  sequence: TaskSequence,
  scenario: Scenario,
  dir: string,
): Promise<{ model: ContinualModel; seenTasks: number }> {
  const checkpoint = loadCheckpoint(dir);
  const heads = scenario.headSizes();
  const model = await createModel(config, sequence.inputShape, heads, new Rng(config.seed));
  try {
    loadModelWeights(model, checkpoint.weights);
  } catch (err) {
    model.dispose();
    throw new Error(
      `checkpoint in ${dir} does not fit the config's model: ${(err as Error).message}`,
    );
  }
  return { model, seenTasks: checkpoint.completedTasks };
}

async function editExperiment(
  model: ContinualModel,
  sequence: TaskSequence,
  scenario: Scenario,
  config: ExperimentConfig,
  seenTasks: number,
  args: EditArgs,
) {
  const task = args.task ?? seenTasks - 1;
  if (task >= seenTasks) {
    throw new UsageError(`--task ${task}: the model was trained on tasks 0..${seenTasks - 1} only`);
  }
  const norm = sequence.normalization;
  const bs = config.train.evalBatchSize;
  const layer = lastHiddenDense(model);
  const tasks = sequence.tasks.slice(0, seenTasks);
  const test = tasks[task].test;
  const classes = tasks[task].classes.length;
  const edits = chooseEdits(model, classes, test, task, norm, bs, args.edits, config.seed);
  const untouched = withoutImages(
    test,
    edits.map((e) => e.imageIndex),
  );
  const testSets = tasks.map((t, j) => (j === task ? untouched : t.test));
  const accuracies = async () =>
    Promise.all(
      testSets.map(
        async (set, j) => (await evaluate(model, set, scenario.view(j, j), norm, bs)).accuracy,
      ),
    );
  const preserved = preservedSecondMoment(
    model,
    tasks.map((t) => t.train),
    norm,
    layer.name,
    bs,
  );
  const accuracyBefore = await accuracies();
  const original = Float64Array.from(layer.kernel.dataSync());
  const variants: Variant[] = [];
  try {
    for (const project of [true, false]) {
      setKernel(layer, original);
      const stats = editClassifier(model, {
        layer: layer.name,
        task,
        images: test,
        norm,
        edits,
        preservedCov: preserved.cov,
        project,
        threshold: args.threshold,
        l2: args.l2,
        batchSize: bs,
      });
      const accuracyAfter = await accuracies();
      variants.push({
        project,
        stats,
        editSuccess: editSuccess(model, test, edits, task, norm, bs),
        accuracyAfter,
        meanAbsChange: mean(accuracyAfter.map((a, j) => Math.abs(a - accuracyBefore[j])))!,
      });
    }
  } finally {
    setKernel(layer, original);
  }
  return {
    layer: layer.name,
    task,
    taskNames: tasks.map((t) => taskLabel(t)),
    threshold: args.threshold,
    l2: args.l2,
    preservedKeys: preserved.count,
    edits: edits.map((e) => ({ ...e, oldLabel: test.labels[e.imageIndex] })),
    accuracyBefore,
    variants,
  };
}

/**
 * N correctly classified test images of the task, in a seeded random order, each moved to the
 * next label: a wrong label the model had no reason to give.
 */
function chooseEdits(
  model: ContinualModel,
  classes: number,
  test: LabelledImages,
  task: number,
  norm: TaskSequence['normalization'],
  bs: number,
  count: number,
  seed: number,
): ClassifierEdit[] {
  const predicted = predict(model, test, task, norm, bs);
  const order = new Rng(seed).permutation(imageCount(test));
  const correct = Array.from(order).filter((i) => predicted[i] === test.labels[i]);
  if (correct.length < count) {
    throw new UsageError(
      `--edits ${count}: task ${task} has only ${correct.length} correctly classified test images`,
    );
  }
  return correct
    .slice(0, count)
    .map((i) => ({ imageIndex: i, newLabel: (test.labels[i] + 1) % classes }));
}

function editSuccess(
  model: ContinualModel,
  test: LabelledImages,
  edits: readonly ClassifierEdit[],
  task: number,
  norm: TaskSequence['normalization'],
  bs: number,
): number {
  const edited = selectImages(
    test,
    edits.map((e) => e.imageIndex),
  );
  const predicted = predict(model, edited, task, norm, bs);
  return (100 * edits.filter((e, i) => predicted[i] === e.newLabel).length) / edits.length;
}

function withoutImages(set: LabelledImages, drop: readonly number[]): LabelledImages {
  const dropped = new Set(drop);
  const keep = Array.from({ length: imageCount(set) }, (_, i) => i).filter((i) => !dropped.has(i));
  return selectImages(set, keep);
}

type Report = Awaited<ReturnType<typeof editExperiment>>;

function printReport(r: Report): void {
  console.log(
    `\nedited ${r.layer}: ${r.edits.length} test images of task ${r.task} (${r.taskNames[r.task]}) relabelled; ` +
      `${r.preservedKeys} preserved training keys; threshold ${r.threshold}, λ ${r.l2}`,
  );
  const header = ['', 'null dim', 'edit success', '‖ΔW‖/‖W‖', '‖ΔW·K0‖/‖W·K0‖', 'mean |Δacc|'];
  const rows = r.variants.map((v) => [
    v.project ? 'projected (AlphaEdit)' : 'unprojected (MEMIT-style)',
    `${v.stats.nullDim}/${v.stats.dIn}`,
    `${v.editSuccess.toFixed(0)}%`,
    v.stats.relativeDelta.toExponential(2),
    (v.stats.preservedChange ?? Number.NaN).toExponential(2),
    `${v.meanAbsChange.toFixed(2)} pp`,
  ]);
  console.log(table([header, ...rows]));
  const accHeader = ['test acc % (untouched)', ...r.taskNames.map((_, j) => `task ${j}`)];
  const accRows = [
    ['before', ...r.accuracyBefore.map((a) => a.toFixed(2))],
    ...r.variants.map((v) => [
      v.project ? 'after projected' : 'after unprojected',
      ...v.accuracyAfter.map((a) => a.toFixed(2)),
    ]),
  ];
  console.log(`\n${table([accHeader, ...accRows])}`);
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '),
    )
    .join('\n');
}
