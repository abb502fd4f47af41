/** A two-task problem on 8×8 two-channel images for the convolutional property tests. */
import type { LabelledImages } from '../../src/data/images.js';
import type { TaskSequence } from '../../src/data/task-sequence.js';
import { Rng } from '../../src/util/rng.js';

const SIDE = 8;
const CHANNELS = 2;
const VALUES = SIDE * SIDE * CHANNELS;

const byte = (v: number) => Math.max(0, Math.min(255, Math.round(v)));

/**
 * Task 0: flat images, channel 0 darker or brighter by class, channel 1 mid-grey. Every patch
 * of such an image is one of a few border patterns scaled by its level, so each layer's inputs
 * on the task span few directions and leave it a null space.
 */
function flatImages(rng: Rng, count: number): LabelledImages {
  const pixels = new Uint8Array(count * VALUES).fill(128);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    const level = byte(128 + (labels[i] ? 40 : -40) + 15 * rng.normal());
    for (let p = 0; p < SIDE * SIDE; p++) pixels[i * VALUES + p * CHANNELS] = level;
  }
  return { pixels, labels, height: SIDE, width: SIDE, channels: CHANNELS };
}

/** Task 1: a ±1 prototype per class over both channels, plus noise. */
function texturedImages(
  rng: Rng,
  count: number,
  prototypes: readonly Float64Array[],
): LabelledImages {
  const pixels = new Uint8Array(count * VALUES);
  const labels = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    for (let j = 0; j < VALUES; j++)
      pixels[i * VALUES + j] = byte(128 + 40 * prototypes[labels[i]][j] + 25 * rng.normal());
  }
  return { pixels, labels, height: SIDE, width: SIDE, channels: CHANNELS };
}

export function twoChannelSequence(seed = 1, perTask = 128): TaskSequence {
  const rng = new Rng(seed);
  const prototypes = [0, 1].map(() =>
    Float64Array.from({ length: VALUES }, () => (rng.next() < 0.5 ? -1 : 1)),
  );
  const sets = [
    (count: number) => flatImages(rng, count),
    (count: number) => texturedImages(rng, count, prototypes),
  ];
  return {
    name: 'two-channel',
    inputShape: [SIDE, SIDE, CHANNELS],
    normalization: { mean: [0.5, 0.5], std: [0.25, 0.25] },
    tasks: sets.map((images, index) => ({
      index,
      name: `t${index}`,
      classes: [2 * index, 2 * index + 1],
      train: images(perTask),
      test: images(64),
    })),
  };
}
