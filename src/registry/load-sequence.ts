import type { DataConfig, ExperimentConfig } from '../config/schema.js';
import { type LabelledImages, randomSubset } from '../data/images.js';
import { type LabelledDataset, splitDataset, type TaskSplit } from '../data/labelled-dataset.js';
import { permutedSequence, rotatedSequence } from '../data/sequence-transforms.js';
import type { ClassOrder } from '../data/split-sequence.js';
import type { Task, TaskSequence } from '../data/task-sequence.js';
import { readTasksFile } from '../data/tasks-file.js';
import { Rng } from '../util/rng.js';
import { datasets, loadDataset } from './components.js';

/**
 * The task sequence a config describes: the registered data set, split into tasks (a tasks
 * file, or `tasks` equal shares in `classOrder`), transformed, and limited in size.
 */
export async function loadSequence(config: ExperimentConfig): Promise<TaskSequence> {
  const d = config.data;
  const tasks = d.tasks ?? datasets.get(d.dataset).options.defaultTasks;
  const source = await loadDataset(config);
  const base = isTaskSequence(source) ? readySequence(source, d) : split(source, d, tasks);
  const count = tasks ?? base.tasks.length;
  const transformed =
    d.transform === 'permuted'
      ? permutedSequence(base, { seed: config.seed, tasks: count })
      : d.transform === 'rotated'
        ? rotatedSequence(base, { angles: evenAngles(count) })
        : base;
  return limitSequence(transformed, d.trainLimit, d.testLimit, config.seed);
}

function isTaskSequence(source: LabelledDataset | TaskSequence): source is TaskSequence {
  return 'tasks' in source && Array.isArray(source.tasks);
}

/** A loader that built its own tasks leaves nothing for the split keys to do. */
function readySequence(sequence: TaskSequence, d: DataConfig): TaskSequence {
  if (d.tasksFile !== null || (d.transform === 'none' && d.tasks !== null)) {
    throw new Error(
      `data set '${d.dataset}' provides its own tasks; data.tasks and data.tasksFile do not apply`,
    );
  }
  return sequence;
}

/** `tasks`: data.tasks or the data set's usual split. */
function split(dataset: LabelledDataset, d: DataConfig, tasks: number | undefined): TaskSequence {
  return splitDataset(dataset, taskSplit(dataset, d, tasks));
}

function taskSplit(dataset: LabelledDataset, d: DataConfig, tasks: number | undefined): TaskSplit {
  if (d.tasksFile !== null) {
    return { taskClasses: readTasksFile(d.tasksFile, dataset.classNames, dataset.displayNames) };
  }
  const classOrder: ClassOrder =
    d.classOrder === 'natural' ? 'natural' : { shuffleSeed: d.classOrder };
  // Permuted/rotated sequences reuse every class in every task: the base is one task.
  if (d.transform !== 'none') return { tasks: 1, classOrder };
  if (tasks === undefined) {
    throw new Error(`data set '${d.dataset}' has no usual split: set data.tasks or data.tasksFile`);
  }
  return { tasks, classOrder };
}

function evenAngles(tasks: number): number[] {
  return Array.from({ length: tasks }, (_, t) => (180 * t) / tasks);
}

/** Keeps a seeded random subset of each split, for quick runs; class balance is kept by chance only. */
function limitSequence(
  seq: TaskSequence,
  trainLimit: number | null,
  testLimit: number | null,
  seed: number,
): TaskSequence {
  if (trainLimit === null && testLimit === null) return seq;
  const rng = new Rng(seed ^ 0x5eed);
  const cut = (set: LabelledImages, limit: number | null) =>
    limit === null ? set : randomSubset(set, limit, rng);
  const tasks: Task[] = seq.tasks.map((t) => ({
    ...t,
    train: cut(t.train, trainLimit),
    test: cut(t.test, testLimit),
  }));
  return { ...seq, tasks };
}
