import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { LogPositions } from '../logging/run-logger.js';
import type { ContinualModel } from '../models/continual-model.js';

/**
 * Everything needed to continue a run after its last finished task. Typed arrays anywhere in
 * the state go to one binary file; the rest is JSON. The optimizer is not saved: it restarts
 * at every task, and checkpoints are only taken between tasks (and before the first).
 */
export interface CheckpointState {
  readonly completedTasks: number;
  readonly rngState: Uint32Array;
  readonly results: unknown;
  readonly strategy: unknown;
  readonly weights: Float32Array[];
  /** Where each log file ended when the checkpoint was taken. */
  readonly logs: LogPositions;
}

/** A checkpoint that exists but cannot be trusted; the message names the damaged file. */
export class CheckpointError extends Error {}

const TYPES = { Float32Array, Float64Array, Uint32Array, Int32Array, Uint8Array } as const;
type TypedName = keyof typeof TYPES;

const MANIFEST = 'manifest.json';
const FORMAT = 'nullspace-cl checkpoint 2';
/** `checkpoint` is the live copy; the others exist only while a new one is being put in place. */
const LIVE = 'checkpoint';
const NEXT = 'checkpoint.tmp';
const PREVIOUS = 'checkpoint.old';

interface Manifest {
  readonly format: string;
  readonly completedTasks: number;
  readonly files: Readonly<Record<string, { readonly bytes: number; readonly sha256: string }>>;
}

/**
 * Writes state into dir/checkpoint. The new copy is written whole into checkpoint.tmp, its
 * manifest (a SHA-256 of every file) last, each file synced; only then does it replace the
 * live copy by renames. Whatever moment a crash hits, one complete, verifiable copy remains
 * (see loadCheckpoint).
 */
export function saveCheckpoint(dir: string, state: CheckpointState): void {
  const { json, blob } = serialise(state);
  const next = join(dir, NEXT);
  rmSync(next, { recursive: true, force: true });
  mkdirSync(next, { recursive: true });
  const files = { 'tensors.bin': blob, 'state.json': Buffer.from(json, 'utf8') };
  for (const [name, bytes] of Object.entries(files)) writeSynced(join(next, name), bytes);
  const manifest: Manifest = {
    format: FORMAT,
    completedTasks: state.completedTasks,
    files: Object.fromEntries(
      Object.entries(files).map(([name, bytes]) => [
        name,
        { bytes: bytes.length, sha256: sha256(bytes) },
      ]),
    ),
  };
  writeSynced(join(next, MANIFEST), Buffer.from(`${JSON.stringify(manifest, null, 1)}\n`));
  const live = join(dir, LIVE);
  const previous = join(dir, PREVIOUS);
  rmSync(previous, { recursive: true, force: true });
  if (existsSync(live)) renameSync(live, previous);
  renameSync(next, live);
  rmSync(previous, { recursive: true, force: true });
}

function serialise(state: CheckpointState): { json: string; blob: Buffer } {
  const blobs: Uint8Array[] = [];
  let offset = 0;
  const json = JSON.stringify(state, (_key, value) => {
    for (const name of Object.keys(TYPES) as TypedName[]) {
      if (value instanceof TYPES[name]) {
        const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
        blobs.push(bytes);
        const ref = { $typed: name, offset, length: value.length };
        offset += bytes.byteLength;
        return ref;
      }
    }
    return value;
  });
  return { json, blob: Buffer.concat(blobs) };
}

function writeSynced(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Whether dir has any checkpoint copy at all (complete or not). */
export function hasCheckpoint(dir: string): boolean {
  return [LIVE, NEXT, PREVIOUS].some((d) => existsSync(join(dir, d)));
}

/**
 * The newest complete checkpoint of a run. The live copy must verify: a damaged one is an
 * error naming the file, never silently replaced by an older copy. A checkpoint.tmp whose
 * manifest verifies is a newer copy a crash kept from being put in place; one that does not is
 * an interrupted write and is ignored. checkpoint.old stands in only when the live copy is
 * gone (a crash between the two renames).
 */
export function loadCheckpoint(dir: string): CheckpointState {
  const live = join(dir, LIVE);
  const candidates: VerifiedCopy[] = [];
  if (existsSync(live)) candidates.push(verify(dir, LIVE));
  const pending = tryVerify(dir, NEXT);
  if (pending) candidates.push(pending);
  if (!existsSync(live)) {
    const previous = tryVerify(dir, PREVIOUS);
    if (previous) candidates.push(previous);
  }
  if (candidates.length === 0) throw new CheckpointError(`no checkpoint in ${dir}`);
  const newest = candidates.reduce((a, b) =>
    b.manifest.completedTasks > a.manifest.completedTasks ? b : a,
  );
  return deserialise(newest, dir);
}

/** A checkpoint copy that matched its manifest. */
interface VerifiedCopy {
  readonly path: string;
  readonly manifest: Manifest;
  /** The bytes that were checked, so the state is read from them and not from disk again. */
  readonly files: ReadonlyMap<string, Buffer>;
}

function tryVerify(dir: string, name: string): VerifiedCopy | null {
  if (!existsSync(join(dir, name, MANIFEST))) return null;
  try {
    return verify(dir, name);
  } catch {
    return null;
  }
}

/** Checks every file against the manifest; throws naming the first one that does not match. */
function verify(dir: string, name: string): VerifiedCopy {
  const where = (file: string) => `${join(dir, name, file)}`;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(where(MANIFEST), 'utf8')) as Manifest;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CheckpointError(
      `${where(MANIFEST)}: ${missing ? 'missing' : 'unreadable'}, the checkpoint is incomplete or corrupt`,
    );
  }
  if (manifest.format !== FORMAT || typeof manifest.files !== 'object') {
    throw new CheckpointError(`${where(MANIFEST)}: not a ${FORMAT} manifest`);
  }
  const files = new Map<string, Buffer>();
  for (const [file, expected] of Object.entries(manifest.files)) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(where(file));
    } catch {
      throw new CheckpointError(`${where(file)}: missing, the checkpoint is incomplete`);
    }
    if (bytes.length !== expected.bytes) {
      throw new CheckpointError(
        `${where(file)}: ${bytes.length} bytes, the manifest says ${expected.bytes}; the checkpoint is corrupt`,
      );
    }
    if (sha256(bytes) !== expected.sha256) {
      throw new CheckpointError(`${where(file)}: checksum mismatch, the checkpoint is corrupt`);
    }
    files.set(file, bytes);
  }
  return { path: join(dir, name), manifest, files };
}

function deserialise(copy: VerifiedCopy, dir: string): CheckpointState {
  const { path } = copy;
  const verified = (file: string) => {
    const bytes = copy.files.get(file);
    if (!bytes) throw new CheckpointError(`${join(path, MANIFEST)}: ${file} is not listed`);
    return bytes;
  };
  const blob = verified('tensors.bin');
  const state = JSON.parse(verified('state.json').toString('utf8'), (_key, value) => {
    if (value && typeof value === 'object' && '$typed' in value) {
      // Own keys only: a name like "constructor" must not reach Object.prototype.
      if (!Object.hasOwn(TYPES, value.$typed)) {
        throw new CheckpointError(
          `${join(path, 'state.json')}: unknown typed array ${JSON.stringify(value.$typed)}`,
        );
      }
      const ctor = TYPES[value.$typed as TypedName];
      const end = value.offset + value.length * ctor.BYTES_PER_ELEMENT;
      if (end > blob.length) {
        throw new CheckpointError(
          `${join(path, 'state.json')}: refers past the end of tensors.bin`,
        );
      }
      // Copy to an aligned buffer: typed arrays need their byte offset to be a multiple of their size.
      return new ctor(Uint8Array.from(blob.subarray(value.offset, end)).buffer);
    }
    return value;
  }) as CheckpointState;
  if (!Number.isInteger(state.completedTasks) || state.completedTasks < 0) {
    throw new CheckpointError(`${join(path, 'state.json')}: invalid completedTasks`);
  }
  const bad = state.weights.findIndex((w) => !w.every(Number.isFinite));
  if (bad >= 0) {
    throw new CheckpointError(
      `${join(path, 'tensors.bin')}: weight tensor ${bad} holds non-finite values; the run diverged before ${dir} was checkpointed`,
    );
  }
  return state;
}

/** All parameters then all buffers, in model order. */
export function modelWeights(model: ContinualModel): Float32Array[] {
  return [...model.parameters.map((p) => p.variable), ...model.buffers].map(
    (v) => v.dataSync() as Float32Array,
  );
}

export function loadModelWeights(model: ContinualModel, weights: Float32Array[]): void {
  const vars = [...model.parameters.map((p) => p.variable), ...model.buffers];
  if (vars.length !== weights.length) {
    throw new CheckpointError(
      `the checkpoint has ${weights.length} weight tensors, the model ${vars.length}: it belongs to another model`,
    );
  }
  vars.forEach((v, i) => {
    if (weights[i].length !== v.size)
      throw new CheckpointError(
        `checkpoint tensor ${i} has ${weights[i].length} values, the model's has ${v.size}: it belongs to another model`,
      );
    tf.tidy(() => v.assign(tf.tensor(weights[i], v.shape)));
  });
}
