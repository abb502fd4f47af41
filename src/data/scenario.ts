import type { ScenarioName } from '../config/schema.js';
import type { TaskSequence } from './task-sequence.js';

/**
 * Where a task's examples are scored: a head, the range of its outputs that compete, and the
 * output column each of the task's local labels stands for.
 */
export interface HeadView {
  readonly head: number;
  /** Outputs [0, outputs) of the head take part in the softmax and the arg-max. */
  readonly outputs: number;
  /** labels[l]: the output column of the task's local label l. */
  readonly labels: readonly number[];
}

/**
 * The continual-learning setting, as the literature names them (van de Ven & Tolias 2019):
 * - task: one head per task, and the task is known at test time (Adam-NSCL's setting);
 * - domain: one shared head over a label space every task has (permuted/rotated sequences);
 * - class: one head that grows over every class seen so far, the task unknown at test time.
 */
export class Scenario {
  /** Per distinct class id (class scenario): its output column, in order of first appearance. */
  private readonly columns = new Map<number, number>();
  /** Per task: outputs of the class head once that task has been learned. */
  private readonly seenOutputs: number[] = [];

  constructor(
    readonly name: ScenarioName,
    private readonly sequence: TaskSequence,
  ) {
    if (name === 'domain') checkSameLabelSpace(sequence);
    for (const task of sequence.tasks) {
      for (const c of task.classes)
        if (!this.columns.has(c)) this.columns.set(c, this.columns.size);
      this.seenOutputs.push(this.columns.size);
    }
  }

  /** Outputs of each head the model needs. */
  headSizes(): number[] {
    const counts = this.sequence.tasks.map((t) => t.classes.length);
    if (this.name === 'task') return counts;
    return [this.name === 'domain' ? counts[0] : this.columns.size];
  }

  /**
   * Where task `task`'s examples are scored once tasks 0..`learned` have been trained. Before a
   * task is trained (learned < task, as for forward transfer) its own outputs already compete.
   */
  view(task: number, learned: number): HeadView {
    const classes = this.sequence.tasks[task].classes;
    if (this.name !== 'class') {
      return {
        head: this.headOf(task),
        outputs: classes.length,
        labels: classes.map((_, l) => l),
      };
    }
    return {
      head: 0,
      outputs: this.seenOutputs[Math.max(task, learned)],
      labels: classes.map((c) => this.columns.get(c)!),
    };
  }

  /** The head a task's training step updates. */
  headOf(task: number): number {
    return this.name === 'task' ? task : 0;
  }
}

function checkSameLabelSpace(sequence: TaskSequence): void {
  const k = sequence.tasks[0].classes.length;
  const odd = sequence.tasks.find((t) => t.classes.length !== k);
  if (odd) {
    throw new Error(
      `the domain scenario shares one head, so every task needs the same number of classes: task 0 has ${k}, task ${odd.index} has ${odd.classes.length}`,
    );
  }
}
