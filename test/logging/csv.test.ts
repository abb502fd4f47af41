import { describe, expect, it } from 'vitest';
import { accuracyMatrixCsv, csvCell, csvRow, toCsv } from '../../src/logging/csv.js';
import { syntheticResults } from './fixtures.js';

describe('csv quoting', () => {
  it('quotes only when needed and doubles quotes', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(Number.NaN)).toBe('');
    expect(csvCell(12.5)).toBe('12.5');
    expect(csvRow(['x', 1, null, 'y,z'])).toBe('x,1,,"y,z"');
    expect(toCsv([])).toBe('');
  });
});

describe('accuracyMatrixCsv', () => {
  it('writes one row per task boundary with empty cells for null', () => {
    const r = syntheticResults();
    expect(accuracyMatrixCsv(r)).toBe(
      'after_task,task_0,task_1,task_2\n' + '0,97.5,,\n' + '1,95.25,96,\n' + '2,93,94.5,98.75\n',
    );
  });

  it('pads short rows to the number of tasks', () => {
    const r = { ...syntheticResults(), accMatrix: [[50], [40, 60], [30, 45, 70]] };
    expect(accuracyMatrixCsv(r).split('\n')[1]).toBe('0,50,,');
  });
});
