import { describe, expect, it } from 'vitest';
import type { LabelledImages } from '../../src/data/images.js';
import { orderClasses, splitByClass, taskClassCounts } from '../../src/data/split-sequence.js';

const NORM = { mean: [0.5], std: [0.25] };

/** 1x1 single-channel images whose pixel value is the image index, so selections are traceable. */
function setOf(labels: number[]): LabelledImages {
  return {
    pixels: Uint8Array.from(labels, (_, i) => i),
    labels: Int32Array.from(labels),
    height: 1,
    width: 1,
    channels: 1,
  };
}

describe('splitByClass', () => {
  const train = setOf([3, 0, 1, 2, 5, 4, 3, 0]);
  const test = setOf([5, 1, 0]);

  it('deals classes in natural order and maps labels to local ids', () => {
    const seq = splitByClass(train, test, {
      name: 's',
      tasks: 3,
      normalization: NORM,
      classNames: ['a', 'b', 'c', 'd', 'e', 'f'],
    });
    expect(seq.inputShape).toEqual([1, 1, 1]);
    expect(seq.tasks.map((t) => t.classes)).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(seq.tasks[1].classNames).toEqual(['c', 'd']);
    // Images keep their file order within a task: indices 0 (3), 3 (2), 6 (3).
    expect(Array.from(seq.tasks[1].train.pixels)).toEqual([0, 3, 6]);
    expect(Array.from(seq.tasks[1].train.labels)).toEqual([1, 0, 1]);
    expect(Array.from(seq.tasks[2].train.labels)).toEqual([1, 0]);
    expect(Array.from(seq.tasks[0].test.pixels)).toEqual([1, 2]);
    expect(Array.from(seq.tasks[0].test.labels)).toEqual([1, 0]);
    expect(seq.tasks.map((t) => t.index)).toEqual([0, 1, 2]);
  });

  it('uses a seeded shuffled order, local labels following that order', () => {
    const seq = splitByClass(train, test, {
      name: 's',
      tasks: 2,
      normalization: NORM,
      classOrder: { shuffleSeed: 7 },
    });
    const order = orderClasses(6, { shuffleSeed: 7 });
    expect(order).not.toEqual([0, 1, 2, 3, 4, 5]);
    expect(seq.tasks.map((t) => t.classes)).toEqual([order.slice(0, 3), order.slice(3)]);
    for (const task of seq.tasks) {
      for (let i = 0; i < task.train.labels.length; i++) {
        const original = train.labels[task.train.pixels[i]];
        expect(task.classes[task.train.labels[i]]).toBe(original);
      }
    }
    expect(orderClasses(6, { shuffleSeed: 8 })).not.toEqual(order);
  });

  it('honours explicit per-task class counts', () => {
    const seq = splitByClass(train, test, {
      name: 's',
      tasks: 2,
      normalization: NORM,
      classesPerTask: [4, 2],
    });
    expect(seq.tasks.map((t) => t.classes)).toEqual([
      [0, 1, 2, 3],
      [4, 5],
    ]);
    expect(Array.from(seq.tasks[0].train.labels)).toEqual([3, 0, 1, 2, 3, 0]);
  });

  it('reports indivisible class counts, bad counts and unknown labels', () => {
    expect(() => splitByClass(train, test, { name: 's', tasks: 4, normalization: NORM })).toThrow(
      '6 classes are not divisible into 4 tasks of equal size; pass classesPerTask',
    );
    expect(() => taskClassCounts(6, 2, [3, 2])).toThrow('classesPerTask sums to 5');
    expect(() => taskClassCounts(6, 3, [3, 3])).toThrow('has 2 entries but tasks is 3');
    expect(() =>
      splitByClass(train, setOf([0, 9]), {
        name: 's',
        tasks: 2,
        normalization: NORM,
        numClasses: 6,
      }),
    ).toThrow('s test: unknown class id 9 at image 1 (expected 0..5)');
  });
});
