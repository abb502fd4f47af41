#!/usr/bin/env node
import { isMain } from '../util/entry-point.js';
/**
 * `nullspace-cl <command> [options]`: one program for every command. Each command's module is
 * imported only when it runs, so `datasets` or `--help` never start TensorFlow.js.
 */
import { reportCliError } from './cli-errors.js';

interface Command {
  readonly summary: string;
  readonly load: () => Promise<{ main(argv: string[]): Promise<number> }>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  experiment: {
    summary: 'train a task sequence with one strategy, or resume a run',
    load: () => import('./experiment.js'),
  },
  sweep: {
    summary: 'run a grid of settings × seeds (shardable), or collect a sharded sweep',
    load: () => import('./sweep.js'),
  },
  reproduce: {
    summary: 'run or collect a published table (a reproduction spec) and compare with it',
    load: () => import('./reproduce.js'),
  },
  datasets: {
    summary: 'download, verify and extract CIFAR-100 or Tiny ImageNet',
    load: () => import('./datasets.js'),
  },
  edit: {
    summary: 'null-space constrained (AlphaEdit-style) edits of a trained classifier',
    load: () => import('./edit.js'),
  },
  bench: {
    summary: 'speed and memory benchmarks on this machine',
    load: () => import('../bench/run-bench.js'),
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(
    ([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`,
  );
  return [
    'usage: nullspace-cl <command> [options]',
    '',
    'commands:',
    ...lines,
    '',
    "Run 'nullspace-cl <command> --help' for a command's options.",
  ].join('\n');
}

/** Dispatches to a command; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-v') {
    console.log(await packageVersion());
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    console.error(`nullspace-cl: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load()).main(rest);
  } catch (err) {
    return reportCliError(name, err);
  }
}

async function packageVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'));
  return String(pkg.version);
}

if (isMain(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
