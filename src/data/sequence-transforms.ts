import { Rng } from '../util/rng.js';
import { imageCount, imageSize, type LabelledImages } from './images.js';
import type { Normalization, Task, TaskSequence } from './task-sequence.js';

/** A one-task sequence over a whole labelled pair: the base that permuted/rotated variants copy. */
export function singleTaskSequence(
  name: string,
  train: LabelledImages,
  test: LabelledImages,
  normalization: Normalization,
  classNames?: readonly string[],
): TaskSequence {
  let max = -1;
  for (const set of [train, test]) for (const l of set.labels) if (l > max) max = l;
  const classes = Array.from({ length: max + 1 }, (_, i) => i);
  return {
    name,
    inputShape: [train.height, train.width, train.channels],
    normalization,
    tasks: [{ index: 0, name: 'task-0', classes, classNames, train, test }],
  };
}

/** Applies one image-to-image map per task, pixels only: classes and labels stay as they were. */
type ImageMap = (src: Uint8Array, dst: Uint8Array) => void;

/**
 * Pairs each output task with its source task: a one-task base is replayed for every output
 * task (the usual permuted/rotated MNIST), otherwise task t transforms base task t.
 */
function sourceTasks(base: TaskSequence, count: number, what: string): Task[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new Error(`${what}: task count must be a positive integer, got ${count}`);
  }
  if (base.tasks.length === 1) return new Array<Task>(count).fill(base.tasks[0]);
  if (base.tasks.length === count) return [...base.tasks];
  throw new Error(
    `${what}: base sequence ${base.name} has ${base.tasks.length} tasks; need 1 or ${count}`,
  );
}

function mapImages(set: LabelledImages, map: ImageMap): LabelledImages {
  const size = imageSize(set);
  const pixels = new Uint8Array(set.pixels.length);
  for (let i = 0; i < imageCount(set); i++) {
    map(set.pixels.subarray(i * size, (i + 1) * size), pixels.subarray(i * size, (i + 1) * size));
  }
  return { ...set, pixels, labels: Int32Array.from(set.labels) };
}

function transformTask(source: Task, index: number, suffix: string, map: ImageMap): Task {
  return {
    ...source,
    index,
    name: `task-${index}-${suffix}`,
    train: mapImages(source.train, map),
    test: mapImages(source.test, map),
  };
}

export interface PermutedOptions {
  readonly tasks?: number;
  readonly seed: number;
  /** Leave task 0 unpermuted, as in most permuted-MNIST setups; defaults to true. */
  readonly identityFirst?: boolean;
}

/**
 * One fixed random permutation of pixel positions per task; a position's channels move
 * together, so colour images stay colour images. Task count defaults to the base's.
 */
export function permutedSequence(base: TaskSequence, options: PermutedOptions): TaskSequence {
  const count = options.tasks ?? base.tasks.length;
  const sources = sourceTasks(base, count, 'permutedSequence');
  const perms = pixelPermutations(base, count, options.seed, options.identityFirst ?? true);
  const channels = base.inputShape[2];
  return {
    ...base,
    name: `permuted-${base.name}`,
    tasks: sources.map((src, t) =>
      transformTask(src, t, perms[t] ? 'permuted' : 'identity', permuteMap(perms[t], channels)),
    ),
  };
}

/** The permutation of each task (undefined = identity); output position p takes input perm[p]. */
export function pixelPermutations(
  base: TaskSequence,
  tasks: number,
  seed: number,
  identityFirst = true,
): (Int32Array | undefined)[] {
  const positions = base.inputShape[0] * base.inputShape[1];
  const rng = new Rng(seed);
  // Draw every task's permutation, even the identity one, so task t's permutation depends only on
  // (seed, t) and not on the identityFirst flag.
  return Array.from({ length: tasks }, (_, t) => {
    const perm = rng.permutation(positions);
    return t === 0 && identityFirst ? undefined : perm;
  });
}

function permuteMap(perm: Int32Array | undefined, channels: number): ImageMap {
  if (!perm) return (src, dst) => dst.set(src);
  return (src, dst) => {
    for (let p = 0; p < perm.length; p++) {
      const from = perm[p] * channels;
      for (let c = 0; c < channels; c++) dst[p * channels + c] = src[from + c];
    }
  };
}

export interface RotatedOptions {
  /** Degrees, counter-clockwise as displayed; one task per angle. */
  readonly angles: readonly number[];
}

/**
 * Each task rotated by its angle about the image centre, bilinear, with zeros (black) where the
 * rotated image leaves the frame, the convention of torchvision's rotate.
 */
export function rotatedSequence(base: TaskSequence, options: RotatedOptions): TaskSequence {
  const sources = sourceTasks(base, options.angles.length, 'rotatedSequence');
  const [height, width, channels] = base.inputShape;
  return {
    ...base,
    name: `rotated-${base.name}`,
    tasks: sources.map((src, t) => {
      const angle = options.angles[t];
      return transformTask(src, t, `rot${angle}`, (s, d) =>
        rotateImage(s, d, height, width, channels, angle),
      );
    }),
  };
}

/** Rotates one HWC image into `dst` by `degrees` counter-clockwise (as displayed, y down). */
export function rotateImage(
  src: Uint8Array,
  dst: Uint8Array,
  height: number,
  width: number,
  channels: number,
  degrees: number,
): void {
  const rad = (degrees * Math.PI) / 180;
  const cos = snap(Math.cos(rad));
  const sin = snap(Math.sin(rad));
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const at = (y: number, x: number, c: number) =>
    y < 0 || y >= height || x < 0 || x >= width ? 0 : src[(y * width + x) * channels + c];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // Inverse map: the source point that lands on (x, y) after the rotation.
      const dx = x - cx;
      const dy = y - cy;
      const sx = snap(cx + cos * dx - sin * dy);
      const sy = snap(cy + sin * dx + cos * dy);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      for (let c = 0; c < channels; c++) {
        const top = at(y0, x0, c) * (1 - fx) + at(y0, x0 + 1, c) * fx;
        const bottom = at(y0 + 1, x0, c) * (1 - fx) + at(y0 + 1, x0 + 1, c) * fx;
        dst[(y * width + x) * channels + c] = Math.round(top * (1 - fy) + bottom * fy);
      }
    }
  }
}

/** Rounds values within 1e-9 of an integer, so right-angle rotations move pixels exactly. */
function snap(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - r) < 1e-9 ? r : v;
}
