import { describe, expect, it } from 'vitest';
import { gridPoints, parseGridAxis } from '../../src/sweep/grid.js';
import {
  formatSweepTable,
  type SweepRun,
  summariseSweep,
  sweepCsv,
} from '../../src/sweep/summary.js';

function run(point: string[], seed: number, ACC: number | null, BWT: number | null): SweepRun {
  return { point, seed, ACC, BWT, outDir: '', status: 'completed' };
}

describe('sweep aggregation', () => {
  it('averages over seeds with the sample standard deviation', () => {
    const rows = summariseSweep([
      run(['a=10'], 0, 70, -2),
      run(['a=10'], 1, 72, -4),
      run(['a=10'], 2, 74, -3),
      run(['a=30'], 0, 80, -1),
    ]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ point: ['a=10'], n: 3, accMean: 72, bwtMean: -3 });
    // Sample std of 70, 72, 74: √((4 + 0 + 4) / 2) = 2; of −2, −4, −3: √((1 + 1 + 0) / 2) = 1.
    expect(rows[0].accStd).toBeCloseTo(2, 12);
    expect(rows[0].bwtStd).toBeCloseTo(1, 12);
    expect(rows[1]).toMatchObject({ n: 1, accMean: 80, accStd: null, bwtStd: null });
  });

  it('leaves missing metrics out of the mean but counts the run', () => {
    const [row] = summariseSweep([run([], 0, 50, null), run([], 1, 60, null)]);
    expect(row).toMatchObject({ n: 2, accMean: 55, bwtMean: null, bwtStd: null });
    expect(row.accStd).toBeCloseTo(Math.SQRT2 * 5, 12);
  });

  it('formats one row per point, with a dash for the std of a single seed', () => {
    const rows = summariseSweep([run(['a=10', 'strategy=ewc'], 0, 70.123, -2.5)]);
    const table = formatSweepTable(rows).split('\n');
    expect(table[0]).toMatch(/^\| a +\| strategy \| ACC \(%\) +\| BWT \(%\) +\| n \|$/);
    expect(table[2]).toContain('| 10 | ewc      | 70.12 ± — | -2.50 ± — | 1 |');
    expect(sweepCsv(rows).split('\n')[1]).toBe('10,ewc,70.123,,-2.5,,1');
  });

  it('takes the Cartesian product with the last grid varying fastest', () => {
    const points = gridPoints([parseGridAxis('a=10,30'), parseGridAxis('strategy=x,y,z')]);
    expect(points.map((p) => p.join(' '))).toEqual([
      'a=10 strategy=x',
      'a=10 strategy=y',
      'a=10 strategy=z',
      'a=30 strategy=x',
      'a=30 strategy=y',
      'a=30 strategy=z',
    ]);
    expect(gridPoints([])).toEqual([[]]);
  });

  it('keeps commas inside brackets as part of a value', () => {
    expect(parseGridAxis('model.mlp.hidden=[32,32],[64]').values).toEqual(['[32,32]', '[64]']);
  });

  it.each([['a='], ['=1,2'], ['a=1,,2'], ['nothing']])('rejects the grid %s', (grid) => {
    expect(() => parseGridAxis(grid)).toThrow(/--grid/);
  });
});
