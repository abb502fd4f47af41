import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { describeBackend, selectBackend } from '../backend/select-backend.js';
import { applyOverrides, parseConfig, readConfigFile } from '../config/load-config.js';
import { loadPreset, presetNames } from '../config/presets.js';
import { loadSequence } from '../data/load-sequence.js';
import { runContinual } from '../train/continual-run.js';
import { reportCliError } from './cli-errors.js';
import { RUN_OPTIONS } from './run-options.js';

const USAGE = `usage: npm run experiment -- [--preset NAME | --config FILE.json] [--set key=value ...]
                              [--out DIR] [--resume DIR] [--backend gpu|node|wasm|cpu] [--seed N]
                              [--import MODULE.ts ...]   (modules that call registerStrategy)`;

export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    console.error(`experiment: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    console.log(`${USAGE}\npresets: ${presetNames().join(', ')}`);
    return 0;
  }
  try {
    for (const module of args.import ?? []) await import(pathToFileURL(resolve(module)).href);
    const resumeDir = args.resume;
    const raw = resumeDir
      ? readConfigFile(join(resumeDir, 'config.json'))
      : args.config
        ? readConfigFile(args.config)
        : loadPreset(args.preset ?? 'default');
    const withSeed =
      args.seed !== undefined ? [...(args.set ?? []), `seed=${args.seed}`] : (args.set ?? []);
    const config = parseConfig(
      applyOverrides(raw as Record<string, unknown>, withSeed),
      args.config ?? `preset ${args.preset ?? 'default'}`,
    );
    const outDir =
      resumeDir ??
      args.out ??
      join('runs', `${config.name}-${config.strategy}-seed${config.seed}-${timestamp()}`);
    const backend = await selectBackend(args.backend);
    console.log(describeBackend(backend));
    console.log(`config:\n${JSON.stringify(config, null, 2)}`);
    console.log(`output: ${outDir}`);
    const sequence = await loadSequence(config);
    const results = await runContinual({
      config,
      sequence,
      backend,
      outDir,
      resume: Boolean(resumeDir),
      log: (line) => console.log(line),
    });
    console.log(
      `final: ACC ${results.ACC?.toFixed(2)}  BWT ${results.BWT?.toFixed(2)}  (${join(outDir, 'results.json')}, ${join(outDir, 'report.html')})`,
    );
    return 0;
  } catch (err) {
    return reportCliError('experiment', err);
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      ...RUN_OPTIONS,
      resume: { type: 'string' },
      seed: { type: 'string' },
      import: { type: 'string', multiple: true },
    },
    strict: true,
  }).values;
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
}
