import * as tf from '@tensorflow/tfjs-core';
import { batches } from '../data/batches.js';
import type { LabelledImages } from '../data/images.js';
import type { HeadView } from '../data/scenario.js';
import type { Normalization } from '../data/task-sequence.js';
import { type ContinualModel, forward, viewLabels } from '../models/continual-model.js';
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
  for (const batch of batches(images, norm, { batchSize })) {
    const [loss, hits] = tf.tidy(() => {
      const logits = forward(model, batch.x, view, { training: false });
      const labels = viewLabels(view, batch.y);
      return [crossEntropy(logits, labels), correctCount(logits, labels)];
    });
    lossSum += (await loss.data())[0] * batch.size;
    correct += (await hits.data())[0];
    count += batch.size;
    tf.dispose([loss, hits, batch.x, batch.y]);
  }
  if (count === 0) throw new Error('nothing to evaluate (empty split)');
  requireFinite('the evaluation loss', lossSum);
  return { loss: lossSum / count, accuracy: (100 * correct) / count };
}
