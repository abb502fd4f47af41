import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, selectBackend } from '../backend/select-backend.js';
import { ConfigError } from '../config/load-config.js';
import type { ExperimentConfigInput } from '../config/schema.js';
import { parseConfig, resolveImports } from '../registry/experiment-config.js';
import { checkAxes, parseGridAxis, parseSeeds } from '../sweep/grid.js';
import { runSweepRuns } from '../sweep/run-sweep.js';
import { parseShard, type Shard } from '../sweep/shard.js';
import {
  collectRuns,
  formatSweepTable,
  incompleteNote,
  type SweepSummary,
  writeSummary,
} from '../sweep/summary.js';
import { plannedRuns, readPlan, type SweepSpec } from '../sweep/sweep-plan.js';
import { RunInterrupted } from '../train/continual-run.js';
import { reportCliError, UsageError } from './cli-errors.js';
import { interruptOnSignals } from './interrupt.js';
import { importForHelp, RUN_OPTIONS, rawConfig, runOptionsHelp, timestamp } from './run-options.js';

const USAGE = `usage: nullspace-cl sweep [--preset NAME | --config FILE] [--grid key=v1,v2,...] [--seeds 0,1,2]
                         [--shard i/n | --shard auto] [--out DIR] [options]
       nullspace-cl sweep --collect --out DIR`;

const HELP = `${USAGE}

Runs every grid point × seed as its own run (a run folder under --out each) and writes
sweep.md/sweep.csv/sweep.json with ACC and BWT, mean ± std over seeds. Finished runs are
skipped and interrupted ones resumed when the same sweep is started again.

options:
  --grid KEY=V1,V2   a config key and its values (repeatable; the grid is their product);
                     commas inside [] or {} belong to a value: model.mlp.hidden=[32,32],[64]
  --seeds LIST       seeds to repeat every grid point with (default 0)
  --out DIR          the sweep's folder (default runs/sweep-<preset>-<time>)
  --shard I/N        run only this shard's share of the runs (I-th of every N, in one fixed
                     order), so N processes or cluster jobs split the sweep between them
  --shard auto       take I and N from the scheduler: SLURM_ARRAY_TASK_ID/_COUNT, or
                     JOB_COMPLETION_INDEX (Kubernetes) or PARALLEL_SEQ (GNU parallel) with
                     NSCL_SHARD_COUNT
  --collect          gather the finished runs under --out into the summary; names the runs
                     that are missing or failed and exits 1 if there are any
${runOptionsHelp()}`;

export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    console.error(`sweep: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  try {
    if (args.help) {
      await importForHelp(args.import);
      console.log(HELP);
      return 0;
    }
    if (args.collect) return collect(args);
    return await sweep(args);
  } catch (err) {
    return reportCliError('sweep', err);
  }
}

async function sweep(args: ReturnType<typeof parse>): Promise<number> {
  const spec = await sweepSpec(args);
  const outDir = args.out ?? join('runs', `sweep-${args.preset ?? 'default'}-${timestamp()}`);
  return runOrShard(spec, outDir, args, (dir) => collect({ out: dir }));
}

/**
 * Runs a sweep's share of runs in this process: all of them (then `whenDone`), or one shard's.
 * Exit code: 130 when interrupted, 1 when a run failed, else whenDone's or 0.
 */
export async function runOrShard(
  spec: SweepSpec,
  outDir: string,
  args: { readonly shard?: string; readonly backend?: string },
  whenDone: (outDir: string) => number,
): Promise<number> {
  const shard: Shard = args.shard ? parseShard(args.shard) : { index: 1, count: 1 };
  const backend = await selectBackend(args.backend);
  console.log(describeBackend(backend));
  const total = plannedRuns(spec).length;
  const part = shard.count > 1 ? `, shard ${shard.index}/${shard.count}` : '';
  console.log(`sweep: ${total} runs${part} in ${outDir}`);
  const interrupt = interruptOnSignals();
  let failures: number;
  try {
    failures = await runSweepRuns(spec, outDir, shard, {
      backend,
      signal: interrupt.signal,
      log: (line) => console.log(line),
    });
  } catch (err) {
    if (!(err instanceof RunInterrupted)) throw err;
    console.error('sweep: interrupted; start the same command again to continue');
    return 130;
  } finally {
    interrupt.dispose();
  }
  if (shard.count === 1) return whenDone(outDir);
  console.log(
    `shard ${shard.index}/${shard.count} done; gather the sweep with --collect --out ${outDir}`,
  );
  return failures > 0 ? 1 : 0;
}

/** The sweep the arguments describe, its plugins loaded and its grid checked. */
async function sweepSpec(args: ReturnType<typeof parse>): Promise<SweepSpec> {
  const axes = (args.grid ?? []).map(parseGridAxis);
  checkAxes(axes);
  const { raw, source } = rawConfig(args);
  const base = await sweepBase(raw, source);
  const seeds = args.seeds !== undefined ? parseSeeds(args.seeds) : [0];
  return { base, source, axes, seeds };
}

/**
 * A sweep's base config with its plugins imported, checked before any run starts. Their paths
 * are made absolute here because every run's config is parsed again from the base: its
 * config.json then names the same files when the run is resumed from another directory.
 */
export async function sweepBase(
  raw: ExperimentConfigInput,
  source: string,
): Promise<ExperimentConfigInput> {
  const base = await resolveImports(raw, source);
  parseConfig(base, source);
  return base;
}

/** Gathers the runs under --out into the summary; 1 when any run is missing or failed. */
function collect(args: { out?: string }): number {
  if (!args.out) throw new UsageError('--collect needs --out DIR (the sweep folder)');
  const { incomplete } = collectSweep(args.out);
  return incomplete.length > 0 ? 1 : 0;
}

/** The sweep in `outDir` summarised (sweep.md/csv/json written) and printed. */
export function collectSweep(outDir: string): SweepSummary {
  const spec = readPlan(outDir);
  const summary = writeSummary(outDir, spec, collectRuns(outDir, plannedRuns(spec)));
  const { rows, incomplete } = summary;
  console.log(
    `\n${formatSweepTable(rows)}\n${incompleteNote(incomplete)}\n(${join(outDir, 'sweep.md')})`,
  );
  return summary;
}

function parse(argv: string[]) {
  const values = parseArgs({
    args: argv,
    options: {
      ...RUN_OPTIONS,
      out: { type: 'string' },
      grid: { type: 'string', multiple: true },
      seeds: { type: 'string' },
      shard: { type: 'string' },
      collect: { type: 'boolean' },
    },
    strict: true,
  }).values;
  if (values.collect && (values.grid || values.preset || values.config || values.shard)) {
    throw new ConfigError('--collect reads the sweep recorded in --out; give only --out');
  }
  return values;
}
