import { describe, expect, it } from 'vitest';
import {
  averageAccuracy,
  backwardTransfer,
  forgetting,
  forwardTransfer,
} from '../../src/metrics/continual-metrics.js';

const acc = [
  [90, null, null],
  [80, 70, null],
  [60, 65, 85],
];

describe('continual metrics', () => {
  it('ACC is the mean final accuracy', () => {
    expect(averageAccuracy(acc)).toBeCloseTo((60 + 65 + 85) / 3, 12);
    expect(averageAccuracy([])).toBeNull();
  });

  it('BWT is the mean of acc[T][j] − acc[j][j] over j < T', () => {
    expect(backwardTransfer(acc)).toBeCloseTo((60 - 90 + (65 - 70)) / 2, 12);
    expect(backwardTransfer([[90]])).toBeNull();
  });

  it('forgetting is best earlier accuracy minus final', () => {
    expect(forgetting(acc)).toEqual([30, 5, null]);
  });

  it('FWT needs pre-training accuracies of later tasks', () => {
    expect(forwardTransfer(acc, [null, null, null])).toBeNull();
    const full = [
      [90, 55, 40],
      [80, 70, 45],
      [60, 65, 85],
    ];
    expect(forwardTransfer(full, [10, 50, 30])).toBeCloseTo((55 - 50 + (45 - 30)) / 2, 12);
  });
});
