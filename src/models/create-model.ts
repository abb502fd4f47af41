import type { ExperimentConfig } from '../config/schema';
import type { TaskSequence } from '../data/task-sequence';
import type { Rng } from '../util/rng';
import type { ContinualModel } from './continual-model';
import { createMlp } from './mlp';
import { createResNet18 } from './resnet18';

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
