import { join } from 'node:path';
import type { BackendInfo } from '../backend/select-backend.js';
import type { ExperimentConfig } from '../config/schema.js';
import type { TaskSequence } from '../data/task-sequence.js';
import { sweepHparams } from '../logging/tb-hparams.js';
import { writeHparamsExperiment } from '../logging/tensorboard.js';
import { SWEEP_METRICS } from '../logging/tensorboard-run.js';
import { parseConfig } from '../registry/experiment-config.js';
import { loadSequence } from '../registry/load-sequence.js';
import type { CheckpointState } from '../train/checkpoint.js';
import { RunInterrupted, runContinual } from '../train/continual-run.js';
import {
  type ConfigChange,
  checkResumeConfig,
  holdsRun,
  readResults,
  resumePoint,
  savedConfig,
} from '../train/run-folder.js';
import { pointLabel, pointValues } from './grid.js';
import { type Shard, shardOf } from './shard.js';
import { plannedRuns, recordPlan, runConfig, type SweepSpec } from './sweep-plan.js';

export interface SweepRunOptions {
  readonly backend: BackendInfo;
  readonly signal?: AbortSignal;
  readonly log: (line: string) => void;
}

/** What a run folder holds, against the run the sweep plans there (the experiment's rules). */
type RunState =
  | { readonly kind: 'done' | 'ended' }
  | { readonly kind: 'fresh'; readonly replace: boolean }
  | {
      readonly kind: 'resume';
      readonly checkpoint: CheckpointState;
      readonly changes: readonly ConfigChange[];
    };

function runState(dir: string, config: ExperimentConfig): RunState {
  if (!holdsRun(dir)) return { kind: 'fresh', replace: false };
  const saved = parseConfig(savedConfig(dir), join(dir, 'config.json'));
  const status = readResults(dir)?.status ?? null;
  if (status === 'completed' || status === 'diverged') {
    // Refused like a resume: a finished run of another config must not enter the table.
    checkResumeConfig(dir, saved, config);
    // A diverged run would diverge again: it is reported, not retried.
    return { kind: status === 'completed' ? 'done' : 'ended' };
  }
  // Finished runs are not resumed, so only these pay for loading the checkpoint.
  const { checkpoint, changes } = resumePoint(dir, saved, config);
  return checkpoint ? { kind: 'resume', checkpoint, changes } : { kind: 'fresh', replace: true };
}

/**
 * Runs the given runs of a sweep one after another in this process, each in its own folder
 * under outDir: finished ones are skipped, interrupted ones resumed. A run that fails is
 * reported and the next one starts. Returns how many runs failed.
 */
export async function runSweepRuns(
  spec: SweepSpec,
  outDir: string,
  shard: Shard,
  options: SweepRunOptions,
): Promise<number> {
  const all = plannedRuns(spec);
  // Every run's config is checked before the first one trains, so a typo fails in seconds.
  const allConfigs = all.map((run) => runConfig(spec, run));
  recordPlan(outDir, spec);
  // Over all runs, so that every shard writes the same experiment summary.
  const allHparams = sweepHparams(all.map((r) => pointValues(r.point)));
  writeHparamsExperiment(outDir, { hparams: allHparams.infos, metrics: SWEEP_METRICS });
  const mine = shardOf(
    all.map((run, i) => ({ run, config: allConfigs[i], hparams: allHparams.runs[i] })),
    shard,
  );
  const sequenceFor = sequenceCache();
  let failures = 0;
  for (const [i, { run, config, hparams }] of mine.entries()) {
    const dir = join(outDir, run.dir);
    const label = `[${i + 1}/${mine.length}] ${pointLabel(run.point)} seed ${run.seed}`;
    const state = runState(dir, config);
    if (state.kind === 'done' || state.kind === 'ended') {
      options.log(`${label}: ${state.kind === 'done' ? 'finished' : 'diverged'} earlier, ${dir}`);
      continue;
    }
    options.log(`${label}: ${state.kind === 'resume' ? 'resuming' : 'running'} in ${dir}`);
    try {
      await runContinual({
        config,
        sequence: await sequenceFor(config),
        backend: options.backend,
        outDir: dir,
        resume: state.kind === 'resume' ? state.checkpoint : undefined,
        changes: state.kind === 'resume' ? state.changes : undefined,
        replace: state.kind === 'fresh' && state.replace,
        signal: options.signal,
        hparams: { values: hparams, group: pointLabel(run.point) },
        log: (line) => options.log(`  ${line}`),
      });
    } catch (err) {
      if (err instanceof RunInterrupted) throw err;
      failures++;
      options.log(`${label}: failed: ${(err as Error).message}`);
    }
  }
  return failures;
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
