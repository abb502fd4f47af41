import { execFileSync } from 'node:child_process';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = join(ROOT, 'test/linalg/eigh-in-child.js');

interface ChildReport {
  n: number;
  workers: number;
  spectrumError: number;
  threadsDifference: number;
  scale: number;
}

/** Runs the script under a Node without the options (loaders) of this test process. */
function runChild(nodeArgs: string[], dir: string): ChildReport {
  const out = execFileSync(process.execPath, [...nodeArgs, SCRIPT, join(ROOT, dir)], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(out) as ChildReport;
}

function expectThreadedEigh(report: ChildReport): void {
  expect(report.n).toBe(640);
  expect(report.workers).toBeGreaterThan(0);
  expect(report.spectrumError).toBeLessThan(1e-12 * report.scale);
  expect(report.threadsDifference).toBeLessThan(1e-12 * report.scale);
}

describe('eigh worker threads outside vitest', () => {
  it('start under plain node from the compiled dist/', () => {
    expectThreadedEigh(runChild([], 'dist'));
  });

  it('start under tsx from src/', () => {
    expectThreadedEigh(runChild(['--import', 'tsx'], 'src'));
  });
});
