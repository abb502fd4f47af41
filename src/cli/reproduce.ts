import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError } from '../config/load-config.js';
import {
  loadReproduction,
  type ReproductionSpec,
  reproductionNames,
  reproductionSweep,
  writeReproduction,
} from '../sweep/reproduction.js';
import { reportCliError } from './cli-errors.js';
import { RUN_OPTIONS, rawConfig, timestamp } from './run-options.js';
import { collectSweep, runOrShard, sweepBase } from './sweep.js';

const USAGE = `usage: nullspace-cl reproduce <spec> [--shard i/n | --shard auto | --collect] [--out DIR]
                              [--set KEY=VALUE ...] [--import MODULE ...] [--backend NAME]`;

function help(): string {
  return `${USAGE}

Runs the sweep a reproduction spec describes (a published table: preset, grid, seeds and the
published values) and writes reproduction.md and reproduction.html beside the sweep's
summary: for each row, ours (mean ± std over seeds) beside the published value, the
difference, and whether the published value lies within our seeds' spread. Shard it over a
cluster like any sweep (--shard), then --collect. --set adds overrides (e.g. data.dir).

specs (experiments/reproductions/, or a path to a spec file): ${reproductionNames().join(', ')}`;
}

export async function main(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    console.error(`reproduce: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.values.help) {
    console.log(help());
    return 0;
  }
  try {
    const spec = loadReproduction(args.spec);
    const outDir = args.values.out ?? join('runs', `reproduce-${args.name}-${timestamp()}`);
    const finish = (dir: string) => report(spec, dir);
    if (args.values.collect) return finish(outDir);
    const sweep = reproductionSweep(spec);
    const { raw, source } = rawConfig(args.values, { raw: sweep.base, source: sweep.source });
    const base = await sweepBase(raw, source);
    return await runOrShard({ ...sweep, base }, outDir, args.values, finish);
  } catch (err) {
    return reportCliError('reproduce', err);
  }
}

/** Collects the sweep and lays it beside the published values; 1 when runs are missing. */
function report(spec: ReproductionSpec, outDir: string): number {
  const { rows, incomplete } = collectSweep(outDir);
  console.log(`\n${writeReproduction(outDir, spec, rows)}\n(${join(outDir, 'reproduction.md')})`);
  return incomplete.length > 0 ? 1 : 0;
}

function parse(argv: string[]) {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      set: RUN_OPTIONS.set,
      import: RUN_OPTIONS.import,
      backend: RUN_OPTIONS.backend,
      help: RUN_OPTIONS.help,
      out: { type: 'string' },
      shard: { type: 'string' },
      collect: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) return { values, spec: '', name: '' };
  if (positionals.length !== 1) throw new ConfigError('give one reproduction spec');
  if (values.collect && values.shard) throw new ConfigError('give --shard or --collect, not both');
  const spec = positionals[0];
  const name = spec.replace(/^.*\//, '').replace(/\.json$/, '');
  return { values, spec, name };
}
