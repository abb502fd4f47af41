import { describe, expect, it } from 'vitest';
import { ConsoleProgress, formatWork } from '../../src/logging/console-progress.js';
import { boundaryMonitor } from '../../src/logging/work-monitor.js';

describe('boundary monitor', () => {
  it('shows passes with counts and ETA and records their timings, and each finished piece', () => {
    let clock = 0;
    const written: string[] = [];
    const records: Record<string, unknown>[] = [];
    const progress = new ConsoleProgress({
      stream: { write: (s: string) => written.push(s) },
      tty: false,
      now: () => clock,
    });
    const monitor = boundaryMonitor(2, {
      progress,
      record: (r) => records.push(r),
      now: () => clock,
    });
    const pass = monitor.pass('covariance', 100, 'images');
    for (let i = 0; i < 4; i++) {
      clock += 500;
      pass.advance(25);
    }
    pass.end();
    monitor.timing('null space of fc1', 1.25, { n: 784, kept: 4 });
    const text = written.join('');
    expect(text).toContain(
      'task 3 boundary: covariance  [#####---------------]  25/100 images  25%  ETA 0:02',
    );
    expect(text).toContain('100/100 images 100%  took 0:02');
    expect(text).toContain('task 3 boundary: null space of fc1 (n 784, kept 4) in 1.25 s\n');
    expect(records).toEqual([
      { type: 'timing', task: 2, stage: 'covariance', seconds: 2, images: 100 },
      { type: 'timing', task: 2, stage: 'null space of fc1', seconds: 1.25, n: 784, kept: 4 },
    ]);
  });

  it('formats a pass that has not started with no ETA', () => {
    expect(
      formatWork({ label: 'x', done: 0, total: 10, unit: 'images', elapsedSeconds: 0 }, 4),
    ).toBe('x  [----]  0/10 images   0%  ETA --:--');
  });
});
