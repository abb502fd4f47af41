import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CheckpointError,
  type CheckpointState,
  loadCheckpoint,
  saveCheckpoint,
} from '../../src/train/checkpoint.js';

function state(completedTasks: number, weight = 1): CheckpointState {
  return {
    completedTasks,
    rngState: Uint32Array.of(1, 2, 3, 4),
    results: { accMatrix: [[90]], backend: 'cpu' },
    strategy: { covariance: Float64Array.of(1, 0.5, 0.5, 1) },
    weights: [Float32Array.of(weight, 2, 3), Float32Array.of(4)],
    logs: { 'metrics.jsonl': 120 },
  };
}

const fresh = () => mkdtempSync(join(tmpdir(), 'nscl-cp-'));

describe('checkpoints', () => {
  it('round-trips typed arrays and plain data, with a manifest of SHA-256 digests', () => {
    const dir = fresh();
    saveCheckpoint(dir, state(2));
    const back = loadCheckpoint(dir);
    expect(back.completedTasks).toBe(2);
    expect(back.weights[0]).toEqual(Float32Array.of(1, 2, 3));
    expect((back.strategy as { covariance: Float64Array }).covariance).toEqual(
      Float64Array.of(1, 0.5, 0.5, 1),
    );
    expect(back.logs).toEqual({ 'metrics.jsonl': 120 });
    const manifest = JSON.parse(readFileSync(join(dir, 'checkpoint', 'manifest.json'), 'utf8'));
    expect(Object.keys(manifest.files).sort()).toEqual(['state.json', 'tensors.bin']);
    expect(manifest.files['tensors.bin'].sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('names the damaged file when bytes are flipped, NaN-ed or cut off', () => {
    const dir = fresh();
    saveCheckpoint(dir, state(1));
    const tensors = join(dir, 'checkpoint', 'tensors.bin');
    const bytes = readFileSync(tensors);
    for (let i = 0; i < 8; i++) bytes[i] ^= 0xff;
    writeFileSync(tensors, bytes);
    expect(() => loadCheckpoint(dir)).toThrow(
      `${tensors}: checksum mismatch, the checkpoint is corrupt`,
    );
    // NaN bits where a weight was: caught by the digest before any value is read.
    new Float32Array(bytes.buffer, bytes.byteOffset, 1)[0] = Number.NaN;
    writeFileSync(tensors, bytes);
    expect(() => loadCheckpoint(dir)).toThrow(CheckpointError);
    saveCheckpoint(dir, state(1));
    truncateSync(join(dir, 'checkpoint', 'state.json'), 10);
    expect(() => loadCheckpoint(dir)).toThrow(/state\.json: 10 bytes, the manifest says \d+/);
    rmSync(join(dir, 'checkpoint', 'manifest.json'));
    expect(() => loadCheckpoint(dir)).toThrow(/manifest\.json: missing/);
  });

  it('refuses weights that are not finite even with a valid manifest', () => {
    const dir = fresh();
    saveCheckpoint(dir, state(1, Number.NaN));
    expect(() => loadCheckpoint(dir)).toThrow(/weight tensor 0 holds non-finite values/);
  });

  it('names an unknown typed array in state.json, even one the manifest vouches for', () => {
    const dir = fresh();
    saveCheckpoint(dir, state(1));
    const folder = join(dir, 'checkpoint');
    const json = readFileSync(join(folder, 'state.json'), 'utf8');
    for (const name of ['BigInt64Array', 'constructor']) {
      const bytes = Buffer.from(json.replace('"Float64Array"', JSON.stringify(name)), 'utf8');
      writeFileSync(join(folder, 'state.json'), bytes);
      const manifest = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
      manifest.files['state.json'] = {
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      };
      writeFileSync(join(folder, 'manifest.json'), JSON.stringify(manifest));
      expect(() => loadCheckpoint(dir)).toThrow(CheckpointError);
      expect(() => loadCheckpoint(dir)).toThrow(
        `${join(folder, 'state.json')}: unknown typed array "${name}"`,
      );
    }
  });

  it('never ignores a complete copy, whatever moment a crash hit the rotation', () => {
    // Each case is a folder as a crash at one point of saveCheckpoint leaves it.
    const withCopies = (copies: Record<string, number>) => {
      const dir = fresh();
      for (const [name, tasks] of Object.entries(copies)) {
        const tmp = fresh();
        saveCheckpoint(tmp, state(tasks));
        renameSync(join(tmp, 'checkpoint'), join(dir, name));
      }
      return dir;
    };
    // Written, not yet renamed into place: the newer complete copy wins.
    expect(loadCheckpoint(withCopies({ checkpoint: 1, 'checkpoint.tmp': 2 })).completedTasks).toBe(
      2,
    );
    // Between the two renames, twice over: only .old and .tmp remain.
    expect(
      loadCheckpoint(withCopies({ 'checkpoint.old': 1, 'checkpoint.tmp': 2 })).completedTasks,
    ).toBe(2);
    expect(loadCheckpoint(withCopies({ 'checkpoint.old': 1 })).completedTasks).toBe(1);
    // An interrupted write (no manifest yet) is ignored.
    const partial = withCopies({ checkpoint: 1, 'checkpoint.tmp': 2 });
    rmSync(join(partial, 'checkpoint.tmp', 'manifest.json'));
    expect(loadCheckpoint(partial).completedTasks).toBe(1);
    // The live copy damaged: an error, not a silent fall-back to an older copy.
    const damaged = withCopies({ checkpoint: 2, 'checkpoint.old': 1 });
    writeFileSync(join(damaged, 'checkpoint', 'state.json'), '{}');
    expect(() => loadCheckpoint(damaged)).toThrow(/state\.json: .*corrupt/);
    expect(() => loadCheckpoint(fresh())).toThrow(/no checkpoint in/);
  });

  it('replaces the live copy and leaves no temporary folder behind', () => {
    const dir = fresh();
    saveCheckpoint(dir, state(1));
    cpSync(join(dir, 'checkpoint'), join(dir, 'copy'), { recursive: true });
    saveCheckpoint(dir, state(2));
    expect(loadCheckpoint(dir).completedTasks).toBe(2);
    expect(existsSync(join(dir, 'checkpoint.tmp'))).toBe(false);
    expect(existsSync(join(dir, 'checkpoint.old'))).toBe(false);
  });
});
