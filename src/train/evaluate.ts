import * as tf from '@tensorflow/tfjs-core';
import { batches } from '../data/batches.js';
import type { LabelledImages } from '../data/images.js';
import type { HeadView } from '../data/scenario.js';
import type { Normalization } from '../data/task-sequence.js';
import {
  type ContinualModel,
  columnLabels,
  forward,
  labelColumns,
} from '../models/continual-model.js';
import { correctCount, crossEntropy } from '../ops/loss.js';
import { requireFinite } from '../util/divergence.js';

export interface Evaluation {
  readonly loss: number;
  /** In %. */
  readonly accuracy: number;
}

/** Loss and accuracy of a labelled set scored as `view` says, in eval mode. */
export async function evaluate(
  model: ContinualModel,
  images: LabelledImages,
  view: HeadView,
  norm: Normalization,
  batchSize: number,
): Promise<Evaluation> {
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  const columns = labelColumns(view);
  try {
    for (const batch of batches(images, norm, { batchSize })) {
      // One read per batch, as each waits for the backend; a count up to the batch size is
      // exact in float32.
      const numbers = tf.tidy(() => {
        const logits = forward(model, batch.x, view, { training: false });
        const labels = columnLabels(columns, batch.y);
        return tf.stack([
          crossEntropy(logits, labels),
          tf.cast(correctCount(logits, labels), 'float32'),
        ]);
      });
      const [loss, hits] = await numbers.data();
      lossSum += loss * batch.size;
      correct += hits;
      count += batch.size;
      tf.dispose([numbers, batch.x, batch.y]);
    }
  } finally {
    columns?.dispose();
  }
  if (count === 0) throw new Error('nothing to evaluate (empty split)');
  requireFinite('the evaluation loss', lossSum);
  return { loss: lossSum / count, accuracy: (100 * correct) / count };
}
