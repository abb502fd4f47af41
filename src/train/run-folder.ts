import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { ExperimentConfig } from '../config/schema.js';
import { RUN_LOG_ENTRIES } from '../logging/run-logger.js';
import type { RunResults } from '../metrics/run-results.js';
import { writeAtomic } from '../util/write-atomic.js';
import { type CheckpointState, hasCheckpoint, loadCheckpoint } from './checkpoint.js';

/**
 * A run folder belongs to one run. These are the rules: a new run never writes into a folder
 * that holds another run; a resumed run keeps its config except for settings that cannot
 * change its numbers; and nothing in the folder is touched until every check has passed.
 */

/** A refusal that the caller can fix with other arguments (exit code 2 on the command line). */
export class RunFolderError extends Error {}

/** What a run writes into its folder; `--overwrite` removes exactly these. */
const RUN_ENTRIES = [
  'config.json',
  'run.json',
  ...RUN_LOG_ENTRIES,
  'checkpoint',
  'checkpoint.tmp',
  'checkpoint.old',
];

export function holdsRun(dir: string): boolean {
  return (
    ['config.json', 'results.json'].some((f) => existsSync(join(dir, f))) || hasCheckpoint(dir)
  );
}

/** The config saved in a run folder, unparsed. */
export function savedConfig(dir: string): Record<string, unknown> {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) {
    throw new RunFolderError(`${dir} holds no run (no config.json): nothing to resume`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

/** The results a run folder holds, or null when it holds none yet. */
export function readResults(dir: string): RunResults | null {
  const path = join(dir, 'results.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as RunResults) : null;
}

export interface ConfigChange {
  readonly key: string;
  readonly from: unknown;
  readonly to: unknown;
}

/** Differences between two configs, key by key (dotted), arrays compared whole. */
function configChanges(from: unknown, to: unknown, prefix = ''): ConfigChange[] {
  const isSection = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isSection(from) || !isSection(to)) {
    return isDeepStrictEqual(from, to) ? [] : [{ key: prefix, from, to }];
  }
  const a = from as Record<string, unknown>;
  const b = to as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return keys.flatMap((k) => configChanges(a[k], b[k], prefix ? `${prefix}.${k}` : k));
}

/** Settings that change what a run writes or shows, never its numbers. */
function changesResults(change: ConfigChange): boolean {
  return !change.key.startsWith('log.');
}

/**
 * Checks that `requested` may continue the run whose saved config is `saved`: any change that
 * can alter results is refused, naming each key. Returns the allowed changes.
 */
export function checkResumeConfig(
  dir: string,
  saved: ExperimentConfig,
  requested: ExperimentConfig,
): ConfigChange[] {
  const changes = configChanges(saved, requested);
  const refused = changes.filter(changesResults);
  if (refused.length > 0) {
    const list = refused
      .map((c) => `  ${c.key}: ${JSON.stringify(c.from)} -> ${JSON.stringify(c.to)}`)
      .join('\n');
    throw new RunFolderError(
      `cannot resume ${dir} with a different config; these settings change results:\n${list}\nstart a new run with --out instead`,
    );
  }
  return changes;
}

export interface ResumePoint {
  /** The allowed changes (see checkResumeConfig), for the run's history. */
  readonly changes: readonly ConfigChange[];
  /** The last checkpoint; null when the run was killed before its first one. */
  readonly checkpoint: CheckpointState | null;
}

/**
 * Where the run in `dir` continues with `requested`, once checkResumeConfig allows it: after
 * its last checkpoint, or, without one, from the start in its own folder.
 */
export function resumePoint(
  dir: string,
  saved: ExperimentConfig,
  requested: ExperimentConfig,
): ResumePoint {
  const changes = checkResumeConfig(dir, saved, requested);
  return { changes, checkpoint: hasCheckpoint(dir) ? loadCheckpoint(dir) : null };
}

/** A new run may not take a folder that holds another run, unless told to replace it. */
export function checkNewRunFolder(dir: string, overwrite: boolean): void {
  if (!overwrite && holdsRun(dir)) {
    throw new RunFolderError(
      `${dir} already holds a run: continue it with --resume ${dir}, choose another --out, or replace it with --overwrite`,
    );
  }
}

interface HistoryEntry {
  readonly event: 'started' | 'resumed';
  readonly at: string;
  readonly backend: string;
  /** Tasks already finished when this attempt began. */
  readonly fromTask: number;
  readonly changes?: readonly ConfigChange[];
}

/**
 * Takes the folder for a run once every check has passed: a replaced run's files go, stale
 * temporary files of a killed attempt go, and config.json and the attempt's history entry are
 * written.
 */
export function claimRunFolder(
  dir: string,
  config: ExperimentConfig,
  entry: HistoryEntry,
  replace: boolean,
): void {
  mkdirSync(dir, { recursive: true });
  if (replace) for (const e of RUN_ENTRIES) rmSync(join(dir, e), { recursive: true, force: true });
  for (const f of readdirSync(dir)) {
    if (f.endsWith('.tmp') && f !== 'checkpoint.tmp') rmSync(join(dir, f), { force: true });
  }
  writeAtomic(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  const historyPath = join(dir, 'run.json');
  const history = existsSync(historyPath)
    ? (JSON.parse(readFileSync(historyPath, 'utf8')) as { history: HistoryEntry[] }).history
    : [];
  writeAtomic(historyPath, `${JSON.stringify({ history: [...history, entry] }, null, 1)}\n`);
}
