import { z } from 'zod';

/**
 * The one schema of an experiment. Every run prints the parsed config and saves it beside its
 * results; feeding that file back with --config repeats the run. Objects are strict so a
 * misspelt key is an error, not a silently ignored setting.
 */
const lr = z.strictObject({
  /** Backbone LR on the first task. */
  backboneFirstTask: z.number().positive().default(1e-4),
  /** Backbone LR on later tasks (the paper halves it). */
  backbone: z.number().positive().default(5e-5),
  head: z.number().positive().default(1e-3),
  bn: z.number().positive().default(5e-4),
});

const data = z.strictObject({
  dataset: z.enum(['fashion-mnist', 'cifar100', 'tinyimagenet']).default('fashion-mnist'),
  /** Data directory; fashion-mnist falls back to the embedded subset or the Debian package. */
  dir: z.string().nullable().default(null),
  /** fashion-mnist only: use the subset shipped in datasets/ (no download). */
  subset: z.boolean().default(true),
  tasks: z.number().int().positive().default(5),
  /** 'natural' or a seed for a shuffled class order. */
  classOrder: z.union([z.literal('natural'), z.number().int()]).default('natural'),
  /** Sequence transform applied on top of the class split. */
  transform: z.enum(['none', 'permuted', 'rotated']).default('none'),
  /** Keep at most this many training images per task (quick runs); null keeps all. */
  trainLimit: z.number().int().positive().nullable().default(null),
  testLimit: z.number().int().positive().nullable().default(null),
  augment: z.boolean().default(false),
});

const model = z.strictObject({
  type: z.enum(['mlp', 'resnet18']).default('mlp'),
  hidden: z.array(z.number().int().positive()).min(1).default([400, 400]),
  /** ResNet-18 base width: 64 is the reference, 20 the reduced variant. */
  width: z.number().int().positive().default(64),
});

const train = z.strictObject({
  epochs: z.number().int().positive().default(5),
  batchSize: z.number().int().positive().default(32),
  evalBatchSize: z.number().int().positive().default(256),
  optimizer: z.enum(['adam', 'sgd']).default('adam'),
  lr: lr.default(lr.parse({})),
  weightDecay: z.number().min(0).default(5e-5),
  beta1: z.number().min(0).lt(1).default(0.9),
  beta2: z.number().min(0).lt(1).default(0.999),
  eps: z.number().positive().default(1e-8),
  momentum: z.number().min(0).lt(1).default(0),
  /** Epochs after which the LR is multiplied by `gamma`; restarts every task. */
  milestones: z.array(z.number().int().positive()).default([]),
  gamma: z.number().positive().default(0.5),
});

const nscl = z.strictObject({
  rule: z.enum(['relative', 'absolute', 'energy']).default('relative'),
  /** relative rule: λ ≤ a·λ_min. */
  a: z.number().min(1).default(10),
  /** absolute rule: λ ≤ threshold. */
  threshold: z.number().min(0).default(2e-2),
  /** energy rule: smallest directions holding ≤ epsilon of the spectrum. */
  epsilon: z.number().min(0).lt(1).default(0.03),
  /** Divide U2U2ᵀ by its Frobenius norm (reference default). */
  normalize: z.boolean().default(true),
  covarianceMode: z.enum(['per-sample', 'batch-mean']).default('per-sample'),
  /**
   * Images per task that the task boundary reads (covariance pass and BatchNorm Fisher), drawn
   * at random (seeded by the run's seed and the task); null reads the whole training split, as
   * the paper does. A cap bounds the boundary's cost on slow backends.
   */
  boundaryImages: z.number().int().positive().nullable().default(null),
  /** EWC coefficient on BatchNorm parameters (reference: 100); 0 turns it off. */
  bnEwc: z.number().min(0).default(100),
});

const ewc = z.strictObject({
  lambda: z.number().min(0).default(100),
  /** Batches used to estimate the Fisher diagonal; null uses the whole training split. */
  fisherBatches: z.number().int().positive().nullable().default(null),
});

const lwf = z.strictObject({
  alpha: z.number().min(0).default(1),
  temperature: z.number().positive().default(2),
});

const gpm = z.strictObject({
  /** Energy kept in the bases (Saha et al. use 0.97 rising with layers/tasks). */
  threshold: z.number().gt(0).lt(1).default(0.97),
  /** Images per task used to build representation matrices. */
  samples: z.number().int().positive().default(125),
});

const log = z.strictObject({
  tensorboard: z.boolean().default(true),
  report: z.boolean().default(true),
  progress: z.boolean().default(true),
  /** Measure every earlier task's training loss/accuracy after each task (stability curve). */
  trainMetrics: z.boolean().default(true),
});

export const experimentSchema = z.strictObject({
  name: z.string().min(1).default('experiment'),
  seed: z.number().int().min(0).default(0),
  strategy: z.string().min(1).default('adam-nscl'),
  data: data.default(data.parse({})),
  model: model.default(model.parse({})),
  train: train.default(train.parse({})),
  nscl: nscl.default(nscl.parse({})),
  ewc: ewc.default(ewc.parse({})),
  lwf: lwf.default(lwf.parse({})),
  gpm: gpm.default(gpm.parse({})),
  log: log.default(log.parse({})),
});

export type ExperimentConfig = z.infer<typeof experimentSchema>;
/** What a preset or a config file holds: any subset, the rest defaults. */
export type ExperimentConfigInput = z.input<typeof experimentSchema>;
