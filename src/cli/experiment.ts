import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBackend, selectBackend } from '../backend/select-backend.js';
import type { ExperimentConfig } from '../config/schema.js';
import { configKeys, formatConfigKeys } from '../registry/config-help.js';
import { loadConfig } from '../registry/experiment-config.js';
import { loadSequence } from '../registry/load-sequence.js';
import { RunInterrupted, runContinual } from '../train/continual-run.js';
import {
  checkNewRunFolder,
  type ResumePoint,
  resumePoint,
  savedConfig,
} from '../train/run-folder.js';
import { reportCliError, UsageError } from './cli-errors.js';
import { interruptOnSignals } from './interrupt.js';
import { importForHelp, RUN_OPTIONS, rawConfig, runOptionsHelp, timestamp } from './run-options.js';

const USAGE = `usage: nullspace-cl experiment [options]

Trains a task sequence with one strategy into a run folder, or resumes one.`;

function help(): string {
  return `${USAGE}

options:
${runOptionsHelp()}
  --out DIR          the run folder (default runs/<name>-<strategy>-seed<seed>-<time>); a folder
                     that holds a run is refused
  --overwrite        with --out: replace the run that DIR holds
  --resume DIR       continue the run in DIR after its last checkpoint; --set may change only
                     settings that cannot change results (log.*)
  --allow-backend-change  with --resume: continue on another backend than the run began on

config keys (--set KEY=VALUE; the defaults shown are the schema's, which --preset overrides):
${formatConfigKeys(configKeys())}`;
}

export async function main(argv: string[]): Promise<number> {
  let values: ReturnType<typeof parse>;
  try {
    values = parse(argv);
  } catch (err) {
    console.error(
      `experiment: ${(err as Error).message}\n${USAGE}\nrun with --help for the options`,
    );
    return 2;
  }
  try {
    if (values.help) {
      await importForHelp(values.import);
      console.log(help());
      return 0;
    }
    return await experiment(values);
  } catch (err) {
    return reportCliError('experiment', err);
  }
}

async function experiment(values: ReturnType<typeof parse>): Promise<number> {
  const plan = await planRun(values);
  const backend = await selectBackend(values.backend);
  console.log(describeBackend(backend));
  console.log(`config:\n${JSON.stringify(plan.config, null, 2)}`);
  console.log(`output: ${plan.outDir}`);
  const sequence = await loadSequence(plan.config);
  const interrupt = interruptOnSignals();
  try {
    const results = await runContinual({
      config: plan.config,
      sequence,
      backend,
      outDir: plan.outDir,
      resume: plan.checkpoint ?? undefined,
      changes: plan.changes,
      replace: values.overwrite || (values.resume !== undefined && plan.checkpoint === null),
      allowBackendChange: values['allow-backend-change'],
      signal: interrupt.signal,
      log: (line) => console.log(line),
    });
    const f = (v: number | null) => (v === null ? '—' : v.toFixed(2));
    console.log(
      `final: ACC ${f(results.ACC)}  BWT ${f(results.BWT)}  FWT ${f(results.FWT)}  (${join(plan.outDir, 'results.json')}, ${join(plan.outDir, 'report.html')})`,
    );
    return 0;
  } catch (err) {
    if (!(err instanceof RunInterrupted)) throw err;
    console.error(
      `experiment: interrupted. The last checkpoint (after task ${err.completedTasks}) is in ${join(plan.outDir, 'checkpoint')}; continue with:\n  nullspace-cl experiment --resume ${plan.outDir}`,
    );
    return 130;
  } finally {
    interrupt.dispose();
  }
}

interface RunPlan extends ResumePoint {
  readonly config: ExperimentConfig;
  readonly outDir: string;
}

/** The config and folder of the run, every check done before anything is written. */
async function planRun(values: ReturnType<typeof parse>): Promise<RunPlan> {
  const dir = values.resume;
  if (dir === undefined) {
    if (values.overwrite && values.out === undefined)
      throw new UsageError('--overwrite needs --out DIR');
    const { raw, source } = rawConfig(values);
    const config = await loadConfig(raw, source);
    const outDir =
      values.out ??
      join('runs', `${config.name}-${config.strategy}-seed${config.seed}-${timestamp()}`);
    checkNewRunFolder(outDir, values.overwrite === true);
    return { config, outDir, checkpoint: null, changes: [] };
  }
  if (values.preset || values.config || values.out || values.overwrite) {
    throw new UsageError(
      '--resume DIR continues the run in DIR with its own config: --preset, --config, --out and --overwrite do not apply',
    );
  }
  const source = join(dir, 'config.json');
  const saved = await loadConfig(savedConfig(dir), source);
  const { raw } = rawConfig(values, { raw: saved, source });
  const config = await loadConfig(raw, source);
  return { config, outDir: dir, ...resumePoint(dir, saved, config) };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      ...RUN_OPTIONS,
      out: { type: 'string' },
      overwrite: { type: 'boolean' },
      resume: { type: 'string' },
      'allow-backend-change': { type: 'boolean' },
    },
    strict: true,
  }).values;
}
