/**
 * Kills the default preset's run (SIGKILL) at random moments, resumes it, and compares the
 * result with an uninterrupted run, record for record: results, metrics.jsonl and TensorBoard
 * (wall-clock fields left out). Usage: npx tsx scripts/kill-and-resume.ts [kills] [seed]
 */

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { Rng } from '../src/util/rng.js';
import { jsonlRecords, runCli, tensorBoardRecords } from '../test/cli/run-cli.js';

const kills = Number(process.argv[2] ?? 5);
const rng = new Rng(Number(process.argv[3] ?? 1));
const root = mkdtempSync(join(tmpdir(), 'nscl-kill-'));
const RUN = ['experiment', '--preset', 'default'];

function measured(dir: string) {
  const r = JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8'));
  return [
    r.status,
    r.accMatrix,
    r.initialAcc,
    r.trainLoss,
    r.trainAcc,
    r.projection,
    r.epochs.map((e: { loss: number }) => e.loss),
  ];
}

const start = Date.now();
const reference = join(root, 'reference');
const ref = await runCli([...RUN, '--out', reference]);
if (ref.code !== 0) throw new Error(`reference run failed:\n${ref.stderr}`);
const seconds = (Date.now() - start) / 1000;
console.log(
  `reference run: ${seconds.toFixed(1)} s, ${jsonlRecords(reference).length} JSONL records`,
);
console.log(
  'kill at (s) | last output before the kill                        | resumed from | results | jsonl | tensorboard',
);
let allEqual = true;
for (let k = 0; k < kills; k++) {
  const dir = join(root, `killed-${k}`);
  const at = 2 + rng.next() * (seconds - 2);
  const first = await runCli([...RUN, '--out', dir], {
    stop: { afterMs: at * 1000, signal: 'SIGKILL' },
  });
  const lastLine = (first.stdout + first.stderr).trim().split('\n').pop() ?? '';
  // Killed before the run took its folder: there is nothing to resume, so it starts again.
  const started = existsSync(join(dir, 'config.json'));
  const resumed = await runCli(started ? ['experiment', '--resume', dir] : [...RUN, '--out', dir]);
  const from =
    /resuming after task (\d+)/.exec(resumed.stdout)?.[1] ??
    (first.code === 0 ? 'finished' : started ? 'the start' : 'not begun');
  const same = [
    isDeepStrictEqual(measured(dir), measured(reference)),
    isDeepStrictEqual(jsonlRecords(dir), jsonlRecords(reference)),
    isDeepStrictEqual(tensorBoardRecords(dir), tensorBoardRecords(reference)),
  ];
  allEqual &&= same.every(Boolean) && resumed.code === 0;
  const when = at.toFixed(1).padStart(11);
  console.log(
    `${when} | ${lastLine.slice(0, 50).padEnd(50)} | ${String(from).padStart(12)} | ${same.map((s) => (s ? 'equal' : 'DIFFERENT')).join(' | ')}`,
  );
}
console.log(allEqual ? 'every resumed run equals the uninterrupted one' : 'MISMATCH');
process.exitCode = allEqual ? 0 : 1;
