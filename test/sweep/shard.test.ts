import { describe, expect, it } from 'vitest';
import { parseShard, shardOf } from '../../src/sweep/shard.js';

describe('shards', () => {
  it('deals every n-th run of the sorted list to shard i, covering each run exactly once', () => {
    const runs = Array.from({ length: 10 }, (_, i) => i);
    const shards = [1, 2, 3].map((index) => shardOf(runs, { index, count: 3 }));
    expect(shards).toEqual([
      [0, 3, 6, 9],
      [1, 4, 7],
      [2, 5, 8],
    ]);
  });

  it('reads i/n, and the schedulers’ variables for auto', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    const env = (vars: Record<string, string>) => parseShard('auto', vars);
    // Slurm arrays may start at any index: --array=10-13 gives ids 10..13.
    expect(
      env({ SLURM_ARRAY_TASK_ID: '12', SLURM_ARRAY_TASK_MIN: '10', SLURM_ARRAY_TASK_COUNT: '4' }),
    ).toEqual({ index: 3, count: 4 });
    expect(env({ JOB_COMPLETION_INDEX: '0', NSCL_SHARD_COUNT: '8' })).toEqual({
      index: 1,
      count: 8,
    });
    expect(env({ PARALLEL_SEQ: '4', NSCL_SHARD_COUNT: '4' })).toEqual({ index: 4, count: 4 });
  });

  it.each([['0/3'], ['4/3'], ['1/0'], ['x'], ['2-3']])('refuses --shard %s', (text) => {
    expect(() => parseShard(text)).toThrow(/shard/);
  });

  it('says what auto needs when no scheduler set anything', () => {
    expect(() => parseShard('auto', {})).toThrow(/SLURM_ARRAY_TASK_ID.*NSCL_SHARD_COUNT/);
    expect(() => parseShard('auto', { JOB_COMPLETION_INDEX: '3' })).toThrow(/found no scheduler/);
  });
});
