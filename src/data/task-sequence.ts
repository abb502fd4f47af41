import type { LabelledImages } from './images.js';

/** One task of a task-incremental sequence: its classes and its splits with local labels. */
export interface Task {
  readonly index: number;
  readonly name: string;
  /** Original class ids in this task; local label i stands for classes[i]. */
  readonly classes: readonly number[];
  /** Human-readable class names, parallel to `classes`, where the data set has them. */
  readonly classNames?: readonly string[];
  /** Labels are local (0..classes.length-1). */
  readonly train: LabelledImages;
  readonly test: LabelledImages;
}

/** Per-channel statistics on the [0, 1] pixel scale, used to normalise every batch. */
export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** An ordered list of tasks over images of one shape. Build your own from any labelled set. */
export interface TaskSequence {
  readonly name: string;
  readonly inputShape: readonly [height: number, width: number, channels: number];
  readonly normalization: Normalization;
  readonly tasks: readonly Task[];
}

/** A task's short label: its classes where the data set names them ("cat, dog +3"), else its name. */
export function taskLabel(task: Task, shown = 3): string {
  const names = task.classNames;
  if (!names || names.length === 0) return task.name;
  const rest = names.length - shown;
  return `${names.slice(0, shown).join(', ')}${rest > 0 ? ` +${rest}` : ''}`;
}
