import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { type BackendInfo, describeBackend, selectBackend } from '../backend/select-backend.js';
import { applyOverrides, ConfigError } from '../config/load-config.js';
import { presetNames } from '../config/presets.js';
import type { ExperimentConfig } from '../config/schema.js';
import type { TaskSequence } from '../data/task-sequence.js';
import { toCsv } from '../logging/csv.js';
import type { RunResults } from '../metrics/run-results.js';
import { loadConfig, parseConfig } from '../registry/experiment-config.js';
import { loadSequence } from '../registry/load-sequence.js';
import { hasCheckpoint } from '../train/checkpoint.js';
import { runContinual } from '../train/continual-run.js';
import { mean, sampleStd } from '../util/stats.js';
import { reportCliError } from './cli-errors.js';
import { RUN_OPTIONS, rawConfig, timestamp } from './run-options.js';

const USAGE = `usage: npm run sweep -- [--preset NAME | --config FILE.json] [--grid key=v1,v2,... ...]
                         [--seeds 0,1,2] [--set key=value ...] [--out DIR] [--backend NAME]`;

/** One grid axis: a config key (as typed, aliases allowed) and the values it takes. */
export interface GridAxis {
  readonly key: string;
  readonly values: readonly string[];
}

/** A grid point: one `key=value` per axis, in axis order. */
export type GridPoint = readonly string[];

/** One finished run of a sweep, as sweep.json stores it. */
export interface SweepRun {
  readonly point: GridPoint;
  readonly seed: number;
  readonly ACC: number | null;
  readonly BWT: number | null;
  readonly outDir: string;
}

/** The runs of one grid point summarised over seeds; std is the sample std (n − 1), null for n < 2. */
export interface SweepRow {
  readonly point: GridPoint;
  readonly n: number;
  readonly accMean: number | null;
  readonly accStd: number | null;
  readonly bwtMean: number | null;
  readonly bwtStd: number | null;
}

/** Parses `key=v1,v2,...`; commas inside [] or {} belong to the value (`model.hidden=[32,32],[64]`). */
export function parseGridAxis(text: string): GridAxis {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ConfigError(`--grid expects key=v1,v2,..., got '${text}'`);
  const key = text.slice(0, eq);
  const values = splitTopLevel(text.slice(eq + 1));
  if (values.length === 0 || values.some((v) => v === '')) {
    throw new ConfigError(`--grid ${key}: empty value in '${text}'`);
  }
  return { key, values };
}

function splitTopLevel(text: string): string[] {
  if (text === '') return [];
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(text.slice(start).trim());
  return parts;
}

/** The Cartesian product of the axes, the last axis varying fastest; no axes gives one empty point. */
export function gridPoints(axes: readonly GridAxis[]): GridPoint[] {
  let points: GridPoint[] = [[]];
  for (const axis of axes) {
    points = points.flatMap((p) => axis.values.map((v) => [...p, `${axis.key}=${v}`]));
  }
  return points;
}

export function parseSeeds(text: string): number[] {
  const seeds = text.split(',').map((s) => s.trim());
  if (seeds.some((s) => !/^\d+$/.test(s))) {
    throw new ConfigError(`--seeds expects non-negative integers like 0,1,2, got '${text}'`);
  }
  return seeds.map(Number);
}

/** A point's directory name (`a=10,strategy=ewc`), with path separators made harmless. */
export function pointLabel(point: GridPoint): string {
  return point.length === 0 ? 'base' : point.join(',').replace(/[/\\\s]/g, '_');
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
    };
  });
}

/** The grid keys of the rows, in axis order, from their `key=value` entries. */
function axisKeys(rows: readonly SweepRow[]): string[] {
  return rows[0]?.point.map((kv) => kv.slice(0, kv.indexOf('='))) ?? [];
}

function axisValues(row: SweepRow): string[] {
  return row.point.map((kv) => kv.slice(kv.indexOf('=') + 1));
}

function meanStd(m: number | null, s: number | null): string {
  if (m === null) return '—';
  return `${m.toFixed(2)} ± ${s === null ? '—' : s.toFixed(2)}`;
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
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((b) => b[c].length)));
  const line = (cells: string[]) => `| ${cells.map((x, c) => x.padEnd(widths[c])).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

export function sweepCsv(rows: readonly SweepRow[]): string {
  const keys = axisKeys(rows);
  return toCsv([
    [...keys, 'acc_mean', 'acc_std', 'bwt_mean', 'bwt_std', 'n'],
    ...rows.map((r) => [...axisValues(r), r.accMean, r.accStd, r.bwtMean, r.bwtStd, r.n]),
  ]);
}

interface SweepPlan {
  readonly base: Record<string, unknown>;
  readonly source: string;
  readonly sets: readonly string[];
  readonly axes: readonly GridAxis[];
  readonly seeds: readonly number[];
  readonly outDir: string;
}

function runConfig(plan: SweepPlan, point: GridPoint, seed: number): ExperimentConfig {
  return parseConfig(applyOverrides(plan.base, [...point, `seed=${seed}`]), plan.source);
}

/** Every run's config, validated before the first one trains so a typo fails in seconds. */
function planRuns(plan: SweepPlan) {
  return gridPoints(plan.axes).flatMap((point) =>
    plan.seeds.map((seed) => ({
      point,
      seed,
      config: runConfig(plan, point, seed),
      outDir: join(plan.outDir, pointLabel(point), `seed${seed}`),
    })),
  );
}

/**
 * Whether a run dir can be reused (finished), resumed (checkpoint), or must start afresh. A
 * dir holding another config is an error rather than something to overwrite.
 */
function runState(outDir: string, config: ExperimentConfig): 'done' | 'resume' | 'fresh' {
  const configPath = join(outDir, 'config.json');
  if (!existsSync(configPath)) return 'fresh';
  if (!isDeepStrictEqual(JSON.parse(readFileSync(configPath, 'utf8')), config)) {
    throw new ConfigError(`${outDir} holds a run with a different config; choose another --out`);
  }
  const resultsPath = join(outDir, 'results.json');
  if (existsSync(resultsPath)) {
    const r = JSON.parse(readFileSync(resultsPath, 'utf8')) as RunResults;
    if (r.status === 'completed') return 'done';
  }
  return hasCheckpoint(outDir) ? 'resume' : 'fresh';
}

function writeSummary(outDir: string, plan: SweepPlan, runs: readonly SweepRun[]): SweepRow[] {
  const rows = summariseSweep(runs);
  const sweep = {
    source: plan.source,
    set: plan.sets,
    grid: plan.axes,
    seeds: plan.seeds,
    runs: runs.map((r) => ({ overrides: [...plan.sets, ...r.point, `seed=${r.seed}`], ...r })),
    rows,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'sweep.json'), `${JSON.stringify(sweep, null, 1)}\n`);
  writeFileSync(join(outDir, 'sweep.md'), `${formatSweepTable(rows)}\n`);
  writeFileSync(join(outDir, 'sweep.csv'), sweepCsv(rows));
  return rows;
}

/** The sequence of the previous run is reused when data settings and seed match (a sweep over `a`). */
function sequenceCache() {
  let last: { key: string; sequence: TaskSequence } | null = null;
  return async (config: ExperimentConfig): Promise<TaskSequence> => {
    const key = JSON.stringify({ data: config.data, seed: config.seed });
    if (last?.key !== key) last = { key, sequence: await loadSequence(config) };
    return last.sequence;
  };
}

async function runSweep(plan: SweepPlan, backend: BackendInfo): Promise<SweepRow[]> {
  const planned = planRuns(plan);
  const sequenceFor = sequenceCache();
  const runs: SweepRun[] = [];
  for (const [i, run] of planned.entries()) {
    const label = `[${i + 1}/${planned.length}] ${pointLabel(run.point)} seed ${run.seed}`;
    const state = runState(run.outDir, run.config);
    let results: RunResults;
    if (state === 'done') {
      console.log(`${label}: already finished, reusing ${run.outDir}`);
      results = JSON.parse(readFileSync(join(run.outDir, 'results.json'), 'utf8')) as RunResults;
    } else {
      console.log(`${label}: ${state === 'resume' ? 'resuming' : 'running'} in ${run.outDir}`);
      results = await runContinual({
        config: run.config,
        sequence: await sequenceFor(run.config),
        backend,
        outDir: run.outDir,
        resume: state === 'resume',
        log: (line) => console.log(`  ${line}`),
      });
    }
    runs.push({
      point: run.point,
      seed: run.seed,
      ACC: results.ACC,
      BWT: results.BWT,
      outDir: run.outDir,
    });
    writeSummary(plan.outDir, plan, runs);
  }
  return summariseSweep(runs);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      ...RUN_OPTIONS,
      out: { type: 'string' },
      grid: { type: 'string', multiple: true },
      seeds: { type: 'string' },
    },
    strict: true,
  }).values;
}

async function makePlan(args: ReturnType<typeof parse>): Promise<SweepPlan> {
  const axes = (args.grid ?? []).map(parseGridAxis);
  const keys = axes.map((a) => a.key);
  const dup = keys.find((k, i) => keys.indexOf(k) !== i);
  if (dup) throw new ConfigError(`--grid ${dup} given twice`);
  const { raw, source } = rawConfig(args);
  // Imports the plugins the sweep names, so every run's config parses with their settings.
  await loadConfig(raw, source);
  const seeds = args.seeds !== undefined ? parseSeeds(args.seeds) : [0];
  const name = args.config ? 'config' : (args.preset ?? 'default');
  return {
    base: raw,
    source,
    sets: args.set ?? [],
    axes,
    seeds,
    outDir: args.out ?? join('runs', `sweep-${name}-${timestamp()}`),
  };
}

export async function main(argv: string[]): Promise<number> {
  let plan: SweepPlan;
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
    if (args.help) {
      console.log(`${USAGE}\npresets: ${presetNames().join(', ')}`);
      return 0;
    }
    plan = await makePlan(args);
    planRuns(plan);
  } catch (err) {
    console.error(`sweep: ${(err as Error).message}`);
    if (!(err instanceof ConfigError)) console.error(USAGE);
    return 2;
  }
  try {
    const backend = await selectBackend(args.backend);
    console.log(describeBackend(backend));
    console.log(`sweep: ${gridPoints(plan.axes).length} points × ${plan.seeds.length} seeds`);
    const rows = await runSweep(plan, backend);
    console.log(`\n${formatSweepTable(rows)}\n\n(${join(plan.outDir, 'sweep.md')})`);
    return 0;
  } catch (err) {
    return reportCliError('sweep', err);
  }
}
