import { describe, expect, it } from 'vitest';
import {
  bar,
  ConsoleProgress,
  formatDuration,
  formatProgress,
  formatRate,
  type ProgressState,
} from '../../src/logging/console-progress.js';

const base: ProgressState = {
  task: 1,
  tasks: 5,
  epoch: 2,
  epochs: 10,
  batch: 30,
  batches: 120,
  loss: 0.43125,
  accuracy: 87.54,
  imagesPerSecond: 1234.5,
  elapsedSeconds: 15,
};

describe('formatProgress', () => {
  it('shows task, epoch, bar, counts, loss, accuracy, rate and ETA', () => {
    expect(formatProgress(base)).toBe(
      'task 2/5  epoch 3/10  [#####---------------]  30/120  25%  loss 0.4313  acc 87.5%  1235 img/s  ETA 0:45',
    );
  });

  it('omits unknown metrics and totals, and has no ETA before the first batch', () => {
    expect(
      formatProgress({ task: 0, epoch: 0, batch: 0, batches: 8, elapsedSeconds: 0, loss: null }),
    ).toBe('task 1  epoch 1  [--------------------] 0/8   0%  ETA --:--');
  });

  it('shows the epoch time when done', () => {
    expect(formatProgress({ ...base, batch: 120, elapsedSeconds: 3725 })).toContain(
      '120/120 100%  loss 0.4313  acc 87.5%  1235 img/s  took 1:02:05',
    );
  });

  it('formats helpers', () => {
    expect(bar(1, 3, 6)).toBe('[##----]');
    expect(bar(5, 0, 4)).toBe('[----]');
    expect(formatDuration(59.6)).toBe('1:00');
    expect(formatDuration(3600)).toBe('1:00:00');
    expect(formatRate(12.34)).toBe('12.3');
    expect(formatRate(25_000)).toBe('25.0k');
  });
});

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { isTTY, chunks, write: (s: string) => chunks.push(s) };
}

describe('ConsoleProgress', () => {
  const epoch = (batches: number) =>
    Array.from({ length: batches + 1 }, (_, b) => ({
      task: 0,
      epoch: 0,
      batch: b,
      batches,
      elapsedSeconds: b,
    }));

  it('prints a plain line per 10% when not a TTY', () => {
    const s = fakeStream(false);
    const p = new ConsoleProgress({ stream: s });
    for (const st of epoch(100)) p.update(st);
    p.end();
    expect(s.chunks).toHaveLength(10);
    expect(s.chunks.every((c) => c.endsWith('\n') && !c.includes('\r'))).toBe(true);
    expect(s.chunks[0]).toContain(' 10/100  10%');
    expect(s.chunks[9]).toContain('100/100 100%');
  });

  it('prints the last state at end when an epoch stops between deciles', () => {
    const s = fakeStream(false);
    const p = new ConsoleProgress({ stream: s });
    for (const st of epoch(100).slice(0, 16)) p.update(st);
    p.end();
    expect(s.chunks.map((c) => c.match(/(\d+)\/100/)?.[1])).toEqual(['10', '15']);
  });

  it('redraws in place on a TTY, throttled, ending with a newline', () => {
    const s = fakeStream(true);
    let now = 0;
    const p = new ConsoleProgress({ stream: s, now: () => now, redrawIntervalMs: 100 });
    for (const st of epoch(10)) {
      p.update(st);
      now += 30;
    }
    p.end();
    const out = s.chunks.join('');
    expect(s.chunks.slice(0, -1).every((c) => c.startsWith('\r'))).toBe(true);
    expect(s.chunks.at(-1)).toBe('\n');
    // Batches 0, 4, 8 pass the throttle; 10 is drawn because the epoch finished.
    expect(s.chunks).toHaveLength(5);
    expect(out).toContain('10/10 100%');
  });

  it('starts a new line when the epoch changes and pads over a longer previous line', () => {
    const s = fakeStream(true);
    const p = new ConsoleProgress({ stream: s, now: () => 0 });
    p.update({ task: 0, epoch: 0, batch: 1, batches: 2, elapsedSeconds: 1, loss: 1.5 });
    p.update({ task: 0, epoch: 1, batch: 1, batches: 2, elapsedSeconds: 1 });
    p.end();
    expect(s.chunks[1]).toBe('\n');
    expect(s.chunks[2]).toBe(
      `\r${formatProgress({ task: 0, epoch: 1, batch: 1, batches: 2, elapsedSeconds: 1 })}`,
    );
    const s2 = fakeStream(true);
    const p2 = new ConsoleProgress({ stream: s2, now: () => 0, redrawIntervalMs: 0 });
    p2.update({ task: 0, epoch: 0, batch: 1, batches: 2, elapsedSeconds: 1, loss: 1.5 });
    p2.update({ task: 0, epoch: 0, batch: 1, batches: 2, elapsedSeconds: 1 });
    expect(s2.chunks[1].length).toBe(s2.chunks[0].length);
    expect(s2.chunks[1].trimEnd()).not.toContain('loss');
  });
});
