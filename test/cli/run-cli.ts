/** Runs the command-line program from src/ in a child process, as a user would (and kills it). */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readEventFile } from '../../src/logging/tensorboard.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** Send `signal` the first time the combined output matches `when`, or after `afterMs`. */
  readonly stop?: {
    readonly when?: RegExp;
    readonly afterMs?: number;
    readonly signal: NodeJS.Signals;
  };
  readonly env?: Record<string, string>;
  readonly cwd?: string;
  /** src/ under tsx, as `npm run` does (default), or the compiled dist/ under plain node. */
  readonly from?: 'src' | 'dist';
}

/** tsx's loader by path, so the child finds it from any working directory. */
const TSX = pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href;

function program(from: 'src' | 'dist'): string[] {
  return from === 'src'
    ? ['--import', TSX, '--conditions=nscl-source', join(ROOT, 'src/cli/main.ts')]
    : [join(ROOT, 'dist/cli/main.js')];
}

export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [...program(options.from ?? 'src'), ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
  });
  let stdout = '';
  let stderr = '';
  let sent = false;
  const send = () => {
    if (sent || !options.stop) return;
    sent = true;
    child.kill(options.stop.signal);
  };
  const watch = () => {
    if (options.stop?.when?.test(stdout + stderr)) send();
  };
  const timer = options.stop?.afterMs === undefined ? null : setTimeout(send, options.stop.afterMs);
  child.stdout.on('data', (d) => {
    stdout += d;
    watch();
  });
  child.stderr.on('data', (d) => {
    stderr += d;
    watch();
  });
  return new Promise((done) =>
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      done({ code, signal, stdout, stderr });
    }),
  );
}

const TIMING_KEYS = new Set(['seconds', 'imagesPerSecond']);

/** metrics.jsonl records with wall-clock measurements left out. */
export function jsonlRecords(dir: string): unknown[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((line) =>
      Object.fromEntries(Object.entries(JSON.parse(line)).filter(([key]) => !TIMING_KEYS.has(key))),
    );
}

/** Every TensorBoard record of a run (one event file expected), without wall-clock values. */
export function tensorBoardRecords(dir: string): unknown[] {
  const files = readdirSync(join(dir, 'tb'));
  if (files.length !== 1) throw new Error(`expected one event file in ${dir}/tb, got ${files}`);
  return readEventFile(join(dir, 'tb', files[0])).map((e) => ({
    step: e.step,
    scalars: e.scalars.filter((s) => !s.tag.includes('images_per_second')),
    histograms: e.histograms,
    texts: e.texts,
    hparams: e.hparams?.map((h) =>
      JSON.stringify(h).replace(/"(start|end)TimeSecs":[\d.e+-]+/g, ''),
    ),
  }));
}
