import { BackendUnavailableError } from '../backend/select-backend.js';
import { ConfigError } from '../config/load-config.js';
import { RunFolderError } from '../train/run-folder.js';

/** A mistake in how a command was called: reported in one line with exit code 2. */
export class UsageError extends Error {}

/**
 * Prints an error from a command's main as one line and returns its exit code: 2 for the
 * caller's mistakes (usage, config, a missing backend), 1 for everything else. The stack is
 * printed only with NSCL_DEBUG set, because the wasm runtime would print its whole source.
 */
export function reportCliError(command: string, err: unknown): number {
  const message = err instanceof Error ? err.message : String(err);
  console.error(`${command}: ${message}`);
  if (
    err instanceof UsageError ||
    err instanceof ConfigError ||
    err instanceof BackendUnavailableError ||
    err instanceof RunFolderError
  ) {
    return 2;
  }
  if (process.env.NSCL_DEBUG && err instanceof Error) console.error(err.stack);
  return 1;
}
