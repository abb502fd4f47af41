/**
 * Builds dist/ once before the suite when it is older than its sources: several tests run the
 * compiled package (plain node, npm pack), and building inside them would race.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Modification times of a file, or of every file under a directory. */
function mtimes(path: string): number[] {
  if (!statSync(path).isDirectory()) return [statSync(path).mtimeMs];
  return readdirSync(path).flatMap((entry) => mtimes(join(path, entry)));
}

export default function ensureBuilt(): void {
  const dist = join(ROOT, 'dist');
  if (existsSync(join(dist, 'index.js'))) {
    const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package.json'];
    const newestInput = Math.max(...inputs.flatMap((p) => mtimes(join(ROOT, p))));
    if (newestInput < Math.min(...mtimes(dist))) return;
  }
  execFileSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'pipe' });
}
