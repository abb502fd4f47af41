import type { ExperimentConfig } from '../config/schema.js';
import { Rng } from '../util/rng.js';
import { loadSplitCifar100 } from './cifar100.js';
import { loadSplitFashionMnist } from './fashion-mnist.js';
import { type LabelledImages, randomSubset } from './images.js';
import { permutedSequence, rotatedSequence } from './sequence-transforms.js';
import type { ClassOrder } from './split-sequence.js';
import type { Task, TaskSequence } from './task-sequence.js';
import { loadSplitTinyImageNet } from './tinyimagenet.js';

/** The task sequence a config describes: data set, split, transform and size limits. */
export async function loadSequence(config: ExperimentConfig): Promise<TaskSequence> {
  const d = config.data;
  const classOrder: ClassOrder =
    d.classOrder === 'natural' ? 'natural' : { shuffleSeed: d.classOrder };
  const base = await loadBase(d, classOrder);
  const transformed =
    d.transform === 'permuted'
      ? permutedSequence(base, { seed: config.seed, tasks: d.tasks })
      : d.transform === 'rotated'
        ? rotatedSequence(base, { angles: evenAngles(d.tasks) })
        : base;
  return limitSequence(transformed, d.trainLimit, d.testLimit, config.seed);
}

function loadBase(d: ExperimentConfig['data'], classOrder: ClassOrder): Promise<TaskSequence> {
  const needDir = (what: string) => {
    if (!d.dir)
      throw new Error(`data.dir is required for ${what} (see: npm run datasets -- --help)`);
    return d.dir;
  };
  // Permuted/rotated sequences reuse every class in every task, so the split has one task.
  const tasks = d.transform === 'none' ? d.tasks : 1;
  switch (d.dataset) {
    case 'fashion-mnist':
      return loadSplitFashionMnist({
        dir: d.dir ?? undefined,
        subset: d.subset,
        tasks,
        classOrder,
      });
    case 'cifar100':
      return loadSplitCifar100(needDir('cifar100'), { tasks, classOrder });
    case 'tinyimagenet':
      return loadSplitTinyImageNet(needDir('tinyimagenet'), { tasks, classOrder });
  }
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
