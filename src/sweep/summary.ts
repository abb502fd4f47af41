import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { toCsv } from '../logging/csv.js';
import type { RunStatus } from '../metrics/run-results.js';
import { readResults } from '../train/run-folder.js';
import { mean, sampleStd } from '../util/stats.js';
import { writeAtomic } from '../util/write-atomic.js';
import { type GridPoint, splitAssignment } from './grid.js';
import type { PlannedRun, SweepSpec } from './sweep-plan.js';

/** One run of a sweep as its folder holds it; `missing` when it has no results yet. */
export interface SweepRun {
  readonly point: GridPoint;
  readonly seed: number;
  readonly outDir: string;
  readonly status: RunStatus | 'missing';
  readonly ACC: number | null;
  readonly BWT: number | null;
  readonly FWT?: number | null;
}

/** The runs of one grid point summarised over seeds; std is the sample std (n − 1), null for n < 2. */
export interface SweepRow {
  readonly point: GridPoint;
  readonly n: number;
  readonly accMean: number | null;
  readonly accStd: number | null;
  readonly bwtMean: number | null;
  readonly bwtStd: number | null;
  /** Each seed's value, in seed order, for judging spreads. */
  readonly acc: readonly number[];
  readonly bwt: readonly number[];
}

/**
 * One row per grid point, in the order points first appear. A run without a metric (BWT of a
 * one-task run) is left out of that metric's mean; n counts the runs.
 */
export function summariseSweep(runs: readonly SweepRun[]): SweepRow[] {
  const groups = new Map<string, SweepRun[]>();
  for (const run of runs) {
    const key = JSON.stringify(run.point);
    groups.set(key, [...(groups.get(key) ?? []), run]);
  }
  return [...groups.values()].map((group) => {
    const metric = (pick: (r: SweepRun) => number | null) =>
      group.map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
    const acc = metric((r) => r.ACC);
    const bwt = metric((r) => r.BWT);
    return {
      point: group[0].point,
      n: group.length,
      accMean: mean(acc),
      accStd: sampleStd(acc),
      bwtMean: mean(bwt),
      bwtStd: sampleStd(bwt),
      acc,
      bwt,
    };
  });
}

/** The grid keys of the rows, in axis order, from their `key=value` entries. */
function axisKeys(rows: readonly SweepRow[]): string[] {
  return rows[0]?.point.map((kv) => splitAssignment(kv)[0]) ?? [];
}

function axisValues(row: SweepRow): string[] {
  return row.point.map((kv) => splitAssignment(kv)[1]);
}

export function meanStd(m: number | null, s: number | null): string {
  if (m === null) return '—';
  return `${m.toFixed(2)} ± ${s === null ? '—' : s.toFixed(2)}`;
}

/** A Markdown table from a header and rows of cells, columns padded. */
export function markdownTable(
  header: readonly string[],
  body: readonly (readonly string[])[],
): string {
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

/** A Markdown table, one column per grid key, then ACC and BWT (mean ± std, %) and n. */
export function formatSweepTable(rows: readonly SweepRow[]): string {
  const keys = axisKeys(rows);
  const header = [...(keys.length > 0 ? keys : ['config']), 'ACC (%)', 'BWT (%)', 'n'];
  const body = rows.map((r) => [
    ...(keys.length > 0 ? axisValues(r) : ['base']),
    meanStd(r.accMean, r.accStd),
    meanStd(r.bwtMean, r.bwtStd),
    String(r.n),
  ]);
  return markdownTable(header, body);
}

export function sweepCsv(rows: readonly SweepRow[]): string {
  const keys = axisKeys(rows);
  return toCsv([
    [...keys, 'acc_mean', 'acc_std', 'bwt_mean', 'bwt_std', 'n'],
    ...rows.map((r) => [...axisValues(r), r.accMean, r.accStd, r.bwtMean, r.bwtStd, r.n]),
  ]);
}

/** Each planned run as its folder holds it now. */
export function collectRuns(outDir: string, planned: readonly PlannedRun[]): SweepRun[] {
  return planned.map((run) => {
    const dir = join(outDir, run.dir);
    const r = readResults(dir);
    return {
      point: run.point,
      seed: run.seed,
      outDir: dir,
      status: r?.status ?? 'missing',
      ACC: r?.ACC ?? null,
      BWT: r?.BWT ?? null,
      FWT: r?.FWT ?? null,
    };
  });
}

export interface SweepSummary {
  readonly rows: SweepRow[];
  /** Runs not completed: missing, interrupted, running, failed or diverged. */
  readonly incomplete: SweepRun[];
}

/** sweep.json, sweep.md and sweep.csv over the completed runs, naming the others. */
export function writeSummary(
  outDir: string,
  spec: SweepSpec,
  runs: readonly SweepRun[],
): SweepSummary {
  const completed = runs.filter((r) => r.status === 'completed');
  const incomplete = runs.filter((r) => r.status !== 'completed');
  const rows = summariseSweep(completed);
  const sweep = {
    source: spec.source,
    grid: spec.axes,
    seeds: spec.seeds,
    runs,
    rows,
    incomplete: incomplete.map((r) => ({ dir: r.outDir, status: r.status })),
  };
  mkdirSync(outDir, { recursive: true });
  writeAtomic(join(outDir, 'sweep.json'), `${JSON.stringify(sweep, null, 1)}\n`);
  writeAtomic(join(outDir, 'sweep.md'), `${formatSweepTable(rows)}\n${incompleteNote(incomplete)}`);
  writeAtomic(join(outDir, 'sweep.csv'), sweepCsv(rows));
  return { rows, incomplete };
}

export function incompleteNote(incomplete: readonly SweepRun[]): string {
  if (incomplete.length === 0) return '';
  const lines = incomplete.map((r) => `- ${r.outDir}: ${r.status}`);
  return `\nNot in the table (${incomplete.length} runs):\n${lines.join('\n')}\n`;
}
