/** CSV exports of run results, for spreadsheets and plotting scripts. */
import type { RunResults } from '../metrics/run-results.js';

/** RFC 4180 quoting: only cells with a comma, quote, or line break are quoted. */
export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(cells: readonly (string | number | null | undefined)[]): string {
  return cells.map(csvCell).join(',');
}

export function toCsv(rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return rows.map(csvRow).join('\n') + (rows.length > 0 ? '\n' : '');
}

/** accMatrix as CSV: one row per "after task t", one column per task j, empty where not measured. */
export function accuracyMatrixCsv(results: RunResults): string {
  const tasks = Math.max(results.taskNames.length, ...results.accMatrix.map((row) => row.length));
  const header = ['after_task', ...Array.from({ length: tasks }, (_, j) => `task_${j}`)];
  const rows = results.accMatrix.map((row, t) => [
    t,
    ...Array.from({ length: tasks }, (_, j) => row[j] ?? null),
  ]);
  return toCsv([header, ...rows]);
}
