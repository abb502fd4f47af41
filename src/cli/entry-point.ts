import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reportCliError } from './cli-errors.js';

/** True when the module at `moduleUrl` is the script node (or tsx) was started with. */
export function isMain(moduleUrl: string): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(resolve(entry)) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/** Runs a command's `main` with the process arguments when its module is the entry script. */
export function runIfMain(
  moduleUrl: string,
  command: string,
  main: (argv: string[]) => Promise<number>,
): void {
  if (!isMain(moduleUrl)) return;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.exitCode = reportCliError(command, err);
    },
  );
}
