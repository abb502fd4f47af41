import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { applyOverrides, ConfigError } from '../config/load-config.js';
import type { ExperimentConfig, ExperimentConfigInput } from '../config/schema.js';
import { parseConfig } from '../registry/experiment-config.js';
import { RunFolderError } from '../train/run-folder.js';
import { writeAtomic } from '../util/write-atomic.js';
import { type GridAxis, type GridPoint, gridPoints, pointLabel } from './grid.js';

/** What a sweep is: one base config, varied over a grid and repeated over seeds. */
export interface SweepSpec {
  /** The unvalidated base config (preset or file, --set and --import applied). */
  readonly base: ExperimentConfigInput;
  /** Where the base came from, for messages. */
  readonly source: string;
  readonly axes: readonly GridAxis[];
  readonly seeds: readonly number[];
}

/** One run of a sweep and its folder, relative to the sweep's folder. */
export interface PlannedRun {
  readonly point: GridPoint;
  readonly seed: number;
  readonly dir: string;
}

/**
 * Every run of the sweep in one fixed order — by grid point label, then seed — which every
 * shard computes for itself, so shards need not talk to each other.
 */
export function plannedRuns(spec: SweepSpec): PlannedRun[] {
  const runs = gridPoints(spec.axes).flatMap((point) =>
    spec.seeds.map((seed) => ({ point, seed, dir: join(pointLabel(point), `seed${seed}`) })),
  );
  const label = (r: PlannedRun) => pointLabel(r.point);
  return runs.sort((a, b) =>
    label(a) === label(b) ? a.seed - b.seed : label(a) < label(b) ? -1 : 1,
  );
}

/** The validated config of one run (the plugins the base imports must be loaded). */
export function runConfig(spec: SweepSpec, run: PlannedRun): ExperimentConfig {
  return parseConfig(applyOverrides(spec.base, [...run.point, `seed=${run.seed}`]), spec.source);
}

const PLAN_FILE = 'sweep-plan.json';

/**
 * Records the sweep in its folder, or checks that the folder holds this same sweep: shards
 * started with other arguments would otherwise mix two sweeps in one table.
 */
export function recordPlan(outDir: string, spec: SweepSpec): void {
  const path = join(outDir, PLAN_FILE);
  const plan = { base: spec.base, axes: spec.axes, seeds: spec.seeds };
  if (existsSync(path)) {
    const { base, axes, seeds } = JSON.parse(readFileSync(path, 'utf8')) as typeof plan;
    if (!isDeepStrictEqual({ base, axes, seeds }, JSON.parse(JSON.stringify(plan)))) {
      throw new RunFolderError(
        `${outDir} holds another sweep (its ${PLAN_FILE} differs: base config, grid or seeds); choose another --out`,
      );
    }
    return;
  }
  mkdirSync(outDir, { recursive: true });
  writeAtomic(path, `${JSON.stringify({ ...plan, source: spec.source }, null, 1)}\n`);
}

/** The sweep a folder holds, for --collect. */
export function readPlan(outDir: string): SweepSpec {
  const path = join(outDir, PLAN_FILE);
  if (!existsSync(path)) {
    throw new ConfigError(`${outDir} holds no sweep (no ${PLAN_FILE}); run the sweep first`);
  }
  return JSON.parse(readFileSync(path, 'utf8')) as SweepSpec;
}
