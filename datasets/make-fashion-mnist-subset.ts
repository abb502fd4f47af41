/**
 * Writes the balanced Fashion-MNIST subset committed under datasets/fashion-mnist-subset/.
 *
 *   npx tsx datasets/make-fashion-mnist-subset.ts [sourceDir] [trainPerClass] [testPerClass]
 *
 * The subset takes the first N images of each class in file order, which needs no seed and
 * keeps the original interleaving of classes, so anyone with the full set regenerates
 * byte-identical files (gzip output is deterministic for a given zlib and level).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FASHION_MNIST_FILES,
  FASHION_MNIST_SUBSET_DIR,
  FASHION_MNIST_SYSTEM_DIR,
  loadFashionMnist,
} from '../src/data/fashion-mnist.js';
import { encodeIdx } from '../src/data/idx.js';
import { type LabelledImages, selectImages } from '../src/data/images.js';

const CLASSES = 10;

/** Indices of the first `perClass` images of every class, in file order. */
function firstPerClass(labels: Int32Array, perClass: number): number[] {
  const taken = new Array<number>(CLASSES).fill(0);
  const picked: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (taken[labels[i]] < perClass) {
      taken[labels[i]]++;
      picked.push(i);
    }
  }
  const short = taken.findIndex((t) => t < perClass);
  if (short >= 0)
    throw new Error(`Class ${short} has only ${taken[short]} images, ${perClass} wanted`);
  return picked;
}

async function writePair(dir: string, set: LabelledImages, imagesName: string, labelsName: string) {
  const n = set.labels.length;
  await writeFile(
    join(dir, `${imagesName}.gz`),
    encodeIdx([n, set.height, set.width], set.pixels, true),
  );
  await writeFile(join(dir, `${labelsName}.gz`), encodeIdx([n], Uint8Array.from(set.labels), true));
}

async function main(): Promise<void> {
  const [source = FASHION_MNIST_SYSTEM_DIR, trainArg = '1000', testArg = '200'] =
    process.argv.slice(2);
  const trainPerClass = Number(trainArg);
  const testPerClass = Number(testArg);
  const full = await loadFashionMnist({ dir: source });
  const train = selectImages(full.train, firstPerClass(full.train.labels, trainPerClass));
  const test = selectImages(full.test, firstPerClass(full.test.labels, testPerClass));
  await mkdir(FASHION_MNIST_SUBSET_DIR, { recursive: true });
  const f = FASHION_MNIST_FILES;
  await writePair(FASHION_MNIST_SUBSET_DIR, train, f.trainImages, f.trainLabels);
  await writePair(FASHION_MNIST_SUBSET_DIR, test, f.testImages, f.testLabels);
  console.log(
    `Wrote ${train.labels.length} train + ${test.labels.length} test images to ${FASHION_MNIST_SUBSET_DIR}`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
