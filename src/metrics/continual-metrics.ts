import { mean } from '../util/stats.js';

/** Stability/plasticity summaries of an accuracy matrix acc[t][j] (% on task j after task t). */
type Matrix = readonly (readonly (number | null)[])[];

function at(acc: Matrix, t: number, j: number): number | null {
  return acc[t]?.[j] ?? null;
}

/** Mean accuracy over all tasks after the last task trained so far. */
export function averageAccuracy(acc: Matrix): number | null {
  const T = acc.length - 1;
  if (T < 0) return null;
  return meanOfAll(Array.from({ length: T + 1 }, (_, j) => at(acc, T, j)));
}

/** BWT = mean over j < T of acc[T][j] − acc[j][j]; null with fewer than two tasks. */
export function backwardTransfer(acc: Matrix): number | null {
  const T = acc.length - 1;
  if (T < 1) return null;
  return meanOfAll(
    Array.from({ length: T }, (_, j) => {
      const last = at(acc, T, j);
      const first = at(acc, j, j);
      return last === null || first === null ? null : last - first;
    }),
  );
}

/**
 * FWT = mean over j ≥ 1 of acc[j−1][j] − init[j]: how much earlier tasks help a task before it
 * is trained (defined when earlier heads can be evaluated on later tasks and a baseline exists).
 */
export function forwardTransfer(acc: Matrix, initial: readonly (number | null)[]): number | null {
  const T = acc.length - 1;
  if (T < 1) return null;
  return meanOfAll(
    Array.from({ length: T }, (_, k) => {
      const j = k + 1;
      const before = at(acc, j - 1, j);
      const base = initial[j] ?? null;
      return before === null || base === null ? null : before - base;
    }),
  );
}

/** Per task: best accuracy before the last task minus the latest accuracy; null for the last. */
export function forgetting(acc: Matrix): (number | null)[] {
  const T = acc.length - 1;
  return Array.from({ length: Math.max(T + 1, 0) }, (_, j) => {
    if (j >= T) return null;
    const earlier = acc
      .slice(j, T)
      .map((row) => row[j] ?? null)
      .filter((v): v is number => v !== null);
    const last = at(acc, T, j);
    return earlier.length === 0 || last === null ? null : Math.max(...earlier) - last;
  });
}

/** The mean, or null when any value is missing. */
function meanOfAll(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length === values.length ? mean(present) : null;
}
