import { renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Writes `path` via a temporary file and a rename, so a reader (or a run killed mid-write) never
 * sees a half-written file. The temporary name must end in `.tmp`: claimRunFolder clears those
 * that a killed attempt left behind.
 */
export function writeAtomic(path: string, data: string | Uint8Array, tmp = `${path}.tmp`): void {
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
