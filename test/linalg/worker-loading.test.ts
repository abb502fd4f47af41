import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SCRIPT = join(ROOT, 'test/linalg/eigh-in-child.js');

/** Modification times of a file, or of every file under a directory. */
function mtimes(path: string): number[] {
  if (!statSync(path).isDirectory()) return [statSync(path).mtimeMs];
  return readdirSync(path).flatMap((entry) => mtimes(join(path, entry)));
}

/** Runs `npm run build` unless every file of dist/ is newer than every input of the build. */
function ensureBuilt(): void {
  const dist = join(ROOT, 'dist');
  if (existsSync(join(dist, 'linalg/eigh.js'))) {
    const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
    const newestInput = Math.max(...inputs.flatMap((p) => mtimes(join(ROOT, p))));
    if (newestInput < Math.min(...mtimes(dist))) return;
  }
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
}

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
    ensureBuilt();
    expectThreadedEigh(runChild([], 'dist'));
  });

  it('start under tsx from src/', () => {
    expectThreadedEigh(runChild(['--import', 'tsx'], 'src'));
  });
});
