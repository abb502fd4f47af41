import { type ConsoleProgress, formatDuration } from './console-progress.js';

/** One pass of long work under way; `advance` as units are done, `end` when it is over. */
export interface WorkPass {
  advance(units: number): void;
  end(): void;
}

/**
 * How a strategy makes its long work visible (the task boundary: covariance pass, Fisher
 * pass, eigendecompositions): progress with an ETA on the console, and a timing record in
 * metrics.jsonl for every pass and every finished piece.
 */
export interface WorkMonitor {
  pass(stage: string, total: number, unit: string): WorkPass;
  timing(stage: string, seconds: number, detail?: Readonly<Record<string, unknown>>): void;
}

/**
 * Runs `work` as one pass of `monitor`, giving it the pass's advance. The pass ends only when
 * the work returns: work that throws has no duration worth a timing record.
 */
export function inPass<T>(
  monitor: WorkMonitor,
  stage: string,
  total: number,
  unit: string,
  work: (advance: (units: number) => void) => T,
): T {
  const pass = monitor.pass(stage, total, unit);
  const result = work((units) => pass.advance(units));
  pass.end();
  return result;
}

/** A monitor that shows and records nothing (library use, tests). */
export const SILENT_MONITOR: WorkMonitor = {
  pass: () => ({ advance() {}, end() {} }),
  timing() {},
};

export interface MonitorSinks {
  readonly progress: ConsoleProgress | null;
  readonly record: (record: { type: 'timing'; [key: string]: unknown }) => void;
  readonly now?: () => number;
}

/** The monitor of task `task`'s boundary (0-based; shown 1-based). */
export function boundaryMonitor(task: number, sinks: MonitorSinks): WorkMonitor {
  const now = sinks.now ?? performance.now.bind(performance);
  const label = (stage: string) => `task ${task + 1} boundary: ${stage}`;
  const timing = (
    stage: string,
    seconds: number,
    detail: Readonly<Record<string, unknown>> = {},
  ) => {
    sinks.record({ type: 'timing', task, stage, seconds, ...detail });
  };
  return {
    pass(stage, total, unit) {
      const start = now();
      let done = 0;
      const show = () =>
        sinks.progress?.updateWork({
          label: label(stage),
          done,
          total,
          unit,
          elapsedSeconds: (now() - start) / 1000,
        });
      show();
      return {
        advance(units) {
          done += units;
          show();
        },
        end() {
          sinks.progress?.end();
          timing(stage, (now() - start) / 1000, { [unit]: done });
        },
      };
    },
    timing(stage, seconds, detail = {}) {
      const facts = Object.entries(detail)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
      sinks.progress?.note(
        `${label(stage)}${facts ? ` (${facts})` : ''} in ${formatSeconds(seconds)}`,
      );
      timing(stage, seconds, detail);
    },
  };
}

function formatSeconds(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(2)} s` : formatDuration(seconds);
}
