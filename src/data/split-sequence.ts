import { Rng } from '../util/rng.js';
import { imageCount, type LabelledImages, selectImages } from './images.js';
import type { Normalization, Task, TaskSequence } from './task-sequence.js';

/**
 * How classes are dealt out to tasks: in id order, or in an order drawn from a seed so that a
 * "class order" experiment is reproducible from one number.
 */
export type ClassOrder = 'natural' | { readonly shuffleSeed: number };

/** How a data set's loader splits it into tasks; each loader has its own default task count. */
export interface ClassSplitOptions {
  readonly tasks?: number;
  readonly classOrder?: ClassOrder;
  /** Classes in each task, summing to the class count; equal shares when omitted. */
  readonly classesPerTask?: readonly number[];
}

export interface SplitOptions {
  readonly name: string;
  readonly tasks: number;
  readonly normalization: Normalization;
  readonly classOrder?: ClassOrder;
  /** Classes in each task, summing to the class count; equal shares when omitted. */
  readonly classesPerTask?: readonly number[];
  /** Class names indexed by original class id. */
  readonly classNames?: readonly string[];
  /** Total class count; defaults to classNames.length, else 1 + the largest label seen. */
  readonly numClasses?: number;
}

/** The class ids 0..numClasses-1 in the order they are assigned to tasks. */
export function orderClasses(numClasses: number, order: ClassOrder = 'natural'): number[] {
  const ids = Array.from({ length: numClasses }, (_, i) => i);
  if (order !== 'natural') new Rng(order.shuffleSeed).shuffle(ids);
  return ids;
}

/** Per-task class counts: the explicit ones checked, or an equal split. */
export function taskClassCounts(
  numClasses: number,
  tasks: number,
  classesPerTask?: readonly number[],
): number[] {
  if (!Number.isInteger(tasks) || tasks < 1) {
    throw new Error(`Task count must be a positive integer, got ${tasks}`);
  }
  if (classesPerTask) {
    if (classesPerTask.length !== tasks) {
      throw new Error(`classesPerTask has ${classesPerTask.length} entries but tasks is ${tasks}`);
    }
    const bad = classesPerTask.find((k) => !Number.isInteger(k) || k < 1);
    if (bad !== undefined) throw new Error(`classesPerTask entries must be positive, got ${bad}`);
    const total = classesPerTask.reduce((a, b) => a + b, 0);
    if (total !== numClasses) {
      throw new Error(`classesPerTask sums to ${total} but the data set has ${numClasses} classes`);
    }
    return [...classesPerTask];
  }
  if (numClasses % tasks !== 0) {
    throw new Error(
      `${numClasses} classes are not divisible into ${tasks} tasks of equal size; pass classesPerTask`,
    );
  }
  return new Array<number>(tasks).fill(numClasses / tasks);
}

/**
 * A sequence from one labelled train/test pair: classes are dealt to tasks in `classOrder`,
 * and each task's labels are rewritten to 0..k-1 in that task's class order.
 */
export function splitByClass(
  train: LabelledImages,
  test: LabelledImages,
  options: SplitOptions,
): TaskSequence {
  const numClasses =
    options.numClasses ?? options.classNames?.length ?? inferClassCount(train, test);
  const order = orderClasses(numClasses, options.classOrder);
  const counts = taskClassCounts(numClasses, options.tasks, options.classesPerTask);
  const starts = counts.map((_, t) => counts.slice(0, t).reduce((a, b) => a + b, 0));
  const taskClasses = counts.map((count, t) => order.slice(starts[t], starts[t] + count));
  return splitByTaskClasses(train, test, taskClasses, { ...options, numClasses });
}

/**
 * A sequence whose task t holds exactly the classes `taskClasses[t]` (original ids), labels
 * rewritten to their position in that list. Tasks may share classes; a task may not repeat one.
 */
export function splitByTaskClasses(
  train: LabelledImages,
  test: LabelledImages,
  taskClasses: readonly (readonly number[])[],
  options: Omit<SplitOptions, 'tasks' | 'classOrder' | 'classesPerTask'>,
): TaskSequence {
  checkSameShape(train, test);
  const numClasses =
    options.numClasses ?? options.classNames?.length ?? inferClassCount(train, test);
  if (options.classNames && options.classNames.length !== numClasses) {
    throw new Error(`${options.classNames.length} class names given for ${numClasses} classes`);
  }
  if (taskClasses.length === 0) throw new Error(`${options.name}: a sequence needs a task`);
  const trainByClass = indicesByClass(train, numClasses, `${options.name} train`);
  const testByClass = indicesByClass(test, numClasses, `${options.name} test`);
  const tasks = taskClasses.map((classes, t) => {
    checkTaskClasses(classes, numClasses, t);
    return makeTask(t, classes, train, test, trainByClass, testByClass, options.classNames);
  });
  return {
    name: options.name,
    inputShape: [train.height, train.width, train.channels],
    normalization: options.normalization,
    tasks,
  };
}

function checkTaskClasses(classes: readonly number[], numClasses: number, t: number): void {
  if (classes.length === 0) throw new Error(`task ${t} has no classes`);
  const bad = classes.find((c) => !(Number.isInteger(c) && c >= 0 && c < numClasses));
  if (bad !== undefined) {
    throw new Error(`task ${t}: class id ${bad} is outside 0..${numClasses - 1}`);
  }
  const twice = classes.find((c, i) => classes.indexOf(c) !== i);
  if (twice !== undefined) throw new Error(`task ${t} lists class ${twice} twice`);
}

function makeTask(
  index: number,
  classes: readonly number[],
  train: LabelledImages,
  test: LabelledImages,
  trainByClass: number[][],
  testByClass: number[][],
  classNames: readonly string[] | undefined,
): Task {
  const local = new Map(classes.map((c, i) => [c, i]));
  const mapLabel = (label: number) => local.get(label)!;
  return {
    index,
    name: `task-${index}`,
    classes: [...classes],
    classNames: classNames ? classes.map((c) => classNames[c]) : undefined,
    train: selectImages(train, gatherSorted(trainByClass, classes), mapLabel),
    test: selectImages(test, gatherSorted(testByClass, classes), mapLabel),
  };
}

/** The images of the given classes in their original order, so the file's interleaving survives. */
function gatherSorted(byClass: number[][], classes: readonly number[]): Int32Array {
  const out = Int32Array.from(classes.flatMap((c) => byClass[c]));
  return out.sort();
}

function indicesByClass(set: LabelledImages, numClasses: number, what: string): number[][] {
  const byClass: number[][] = Array.from({ length: numClasses }, () => []);
  const n = imageCount(set);
  for (let i = 0; i < n; i++) {
    const label = set.labels[i];
    if (!(label >= 0 && label < numClasses)) {
      throw new Error(
        `${what}: unknown class id ${label} at image ${i} (expected 0..${numClasses - 1})`,
      );
    }
    byClass[label].push(i);
  }
  return byClass;
}

function inferClassCount(train: LabelledImages, test: LabelledImages): number {
  let max = -1;
  for (const set of [train, test]) for (const l of set.labels) if (l > max) max = l;
  return max + 1;
}

function checkSameShape(a: LabelledImages, b: LabelledImages): void {
  if (a.height !== b.height || a.width !== b.width || a.channels !== b.channels) {
    throw new Error(
      `Train images are ${a.height}x${a.width}x${a.channels} but test images are ${b.height}x${b.width}x${b.channels}`,
    );
  }
}
