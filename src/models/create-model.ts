import type { ExperimentConfig } from '../config/schema.js';
import type { TaskSequence } from '../data/task-sequence.js';
import type { Rng } from '../util/rng.js';
import type { ContinualModel } from './continual-model.js';
import { createMlp } from './mlp.js';
import { createResNet18 } from './resnet18.js';

/** The model a config names, with one head per task of the sequence. */
export function createModel(
  config: ExperimentConfig,
  sequence: TaskSequence,
  rng: Rng,
): ContinualModel {
  const [h, w, c] = sequence.inputShape;
  const classesPerTask = sequence.tasks.map((t) => t.classes.length);
  switch (config.model.type) {
    case 'mlp':
      return createMlp({ inputSize: h * w * c, hidden: config.model.hidden, classesPerTask }, rng);
    case 'resnet18':
      return createResNet18(
        { inputChannels: c, baseWidth: config.model.width, classesPerTask },
        rng,
      );
  }
}
