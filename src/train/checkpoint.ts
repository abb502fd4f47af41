import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { ContinualModel } from '../models/continual-model.js';

/**
 * Everything needed to continue a run after its last finished task. Typed arrays anywhere in
 * the state go to one binary file; the rest is JSON. The optimizer is not saved: it restarts
 * at every task, and checkpoints are only taken between tasks.
 */
export interface CheckpointState {
  readonly completedTasks: number;
  readonly rngState: Uint32Array;
  readonly results: unknown;
  readonly strategy: unknown;
  readonly weights: Float32Array[];
}

const TYPES = { Float32Array, Float64Array, Uint32Array, Int32Array, Uint8Array } as const;
type TypedName = keyof typeof TYPES;

/** Writes state into dir/checkpoint atomically: a complete new copy replaces the old in one rename. */
export function saveCheckpoint(dir: string, state: CheckpointState): void {
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
  const target = join(dir, 'checkpoint');
  const temp = join(dir, 'checkpoint.tmp');
  rmSync(temp, { recursive: true, force: true });
  mkdirSync(temp, { recursive: true });
  writeFileSync(join(temp, 'tensors.bin'), Buffer.concat(blobs));
  writeFileSync(join(temp, 'state.json'), json);
  const old = join(dir, 'checkpoint.old');
  rmSync(old, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(temp, target);
  rmSync(old, { recursive: true, force: true });
}

export function loadCheckpoint(dir: string): CheckpointState {
  const target = join(dir, 'checkpoint');
  // A crash between the two renames leaves only the old copy, which is still complete.
  const source = existsSync(target) ? target : join(dir, 'checkpoint.old');
  if (!existsSync(join(source, 'state.json'))) throw new Error(`no checkpoint in ${dir}`);
  const blob = readFileSync(join(source, 'tensors.bin'));
  return JSON.parse(readFileSync(join(source, 'state.json'), 'utf8'), (_key, value) => {
    if (value && typeof value === 'object' && '$typed' in value) {
      const ctor = TYPES[value.$typed as TypedName];
      const bytes = blob.subarray(
        value.offset,
        value.offset + value.length * ctor.BYTES_PER_ELEMENT,
      );
      // Copy to an aligned buffer: typed arrays need their byte offset to be a multiple of their size.
      return new ctor(Uint8Array.from(bytes).buffer);
    }
    return value;
  }) as CheckpointState;
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
    throw new Error(`checkpoint has ${weights.length} weight tensors, the model ${vars.length}`);
  }
  vars.forEach((v, i) => {
    if (weights[i].length !== v.size)
      throw new Error(`checkpoint tensor ${i} has ${weights[i].length} values, expected ${v.size}`);
    tf.tidy(() => v.assign(tf.tensor(weights[i], v.shape)));
  });
}
