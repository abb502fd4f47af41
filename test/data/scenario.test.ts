import { describe, expect, it } from 'vitest';
import { Scenario } from '../../src/data/scenario.js';
import type { TaskSequence } from '../../src/data/task-sequence.js';

const empty = {
  pixels: new Uint8Array(0),
  labels: new Int32Array(0),
  height: 1,
  width: 1,
  channels: 1,
};

function sequence(taskClasses: number[][]): TaskSequence {
  return {
    name: 's',
    inputShape: [1, 1, 1],
    normalization: { mean: [0], std: [1] },
    tasks: taskClasses.map((classes, index) => ({
      index,
      name: `t${index}`,
      classes,
      train: empty,
      test: empty,
    })),
  };
}

describe('scenarios', () => {
  const seq = sequence([
    [3, 7],
    [1, 3, 9],
    [4, 5],
  ]);

  it('task: one head per task, each task scored on its own head', () => {
    const s = new Scenario('task', seq);
    expect(s.headSizes()).toEqual([2, 3, 2]);
    expect(s.view(1, 2)).toEqual({ head: 1, outputs: 3, labels: [0, 1, 2] });
    expect(s.headOf(2)).toBe(2);
  });

  it('class: one head over every class seen, in order of first appearance', () => {
    const s = new Scenario('class', seq);
    expect(s.headSizes()).toEqual([6]);
    // Class 3 keeps the column it got in task 0; 1 and 9 are new.
    expect(s.view(1, 1)).toEqual({ head: 0, outputs: 4, labels: [2, 0, 3] });
    // Task 0 after all tasks competes with every class; before its training, with its own.
    expect(s.view(0, 2)).toEqual({ head: 0, outputs: 6, labels: [0, 1] });
    expect(s.view(2, 1)).toEqual({ head: 0, outputs: 6, labels: [4, 5] });
    expect(s.headOf(1)).toBe(0);
  });

  it('domain: one shared head, which needs tasks of the same size', () => {
    expect(() => new Scenario('domain', seq)).toThrow(/task 0 has 2, task 1 has 3/);
    const same = new Scenario(
      'domain',
      sequence([
        [0, 1],
        [2, 3],
      ]),
    );
    expect(same.headSizes()).toEqual([2]);
    expect(same.view(1, 1)).toEqual({ head: 0, outputs: 2, labels: [0, 1] });
  });
});
