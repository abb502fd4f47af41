import { z } from 'zod';

/**
 * The core of an experiment's config: the sections every run has. Strategies, models and data
 * sets add their own sections when they are registered (see registry/experiment-config.ts), so
 * the full schema is composed at run time; it is strict throughout, so a misspelt key is an
 * error, not a silently ignored setting. Every key has a description: `--help` is generated
 * from this schema.
 */
const lr = z.strictObject({
  backboneFirstTask: z
    .number()
    .positive()
    .default(1e-4)
    .describe('learning rate of the backbone on the first task'),
  backbone: z
    .number()
    .positive()
    .default(5e-5)
    .describe('learning rate of the backbone on later tasks (the paper halves it)'),
  head: z.number().positive().default(1e-3).describe('learning rate of the classifier heads'),
  bn: z.number().positive().default(5e-4).describe('learning rate of BatchNorm scales and shifts'),
});

const SCENARIOS = ['task', 'domain', 'class'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/** The data keys every data set shares; a data set's own settings go in `data.<name>`. */
export const dataCore = {
  dir: z
    .string()
    .nullable()
    .default(null)
    .describe('data directory (fashion-mnist: falls back to the embedded subset)'),
  tasks: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe("number of tasks; null: the data set's usual split"),
  tasksFile: z
    .string()
    .nullable()
    .default(null)
    .describe('JSON file: an array of tasks, each an array of class names or ids'),
  classOrder: z
    .union([z.literal('natural'), z.number().int()])
    .default('natural')
    .describe("class order of the split: 'natural' or a shuffle seed"),
  scenario: z
    .enum(SCENARIOS)
    .default('task')
    .describe('task: a head per task; domain: one shared head; class: one head over all classes'),
  transform: z
    .enum(['none', 'permuted', 'rotated'])
    .default('none')
    .describe('turn the data into a permuted or rotated sequence of `tasks` tasks'),
  trainLimit: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('keep at most this many training images per task (seeded); null keeps all'),
  testLimit: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('keep at most this many test images per task (seeded); null keeps all'),
  augment: z.boolean().default(false).describe('random crop (4 px padding) and horizontal flip'),
};

const train = z.strictObject({
  epochs: z.number().int().positive().default(5).describe('epochs per task'),
  batchSize: z.number().int().positive().default(32).describe('training batch size'),
  evalBatchSize: z.number().int().positive().default(256).describe('evaluation batch size'),
  optimizer: z.enum(['adam', 'sgd']).default('adam').describe('optimizer, restarted every task'),
  lr: lr.default(lr.parse({})).describe('learning rates per parameter group'),
  weightDecay: z
    .number()
    .min(0)
    .default(5e-5)
    .describe('L2 added to the gradient (coupled, as in the reference Adam)'),
  beta1: z.number().min(0).lt(1).default(0.9).describe('Adam β1'),
  beta2: z.number().min(0).lt(1).default(0.999).describe('Adam β2'),
  eps: z.number().positive().default(1e-8).describe('Adam ε'),
  momentum: z.number().min(0).lt(1).default(0).describe('SGD momentum'),
  milestones: z
    .array(z.number().int().positive())
    .default([])
    .describe('epochs after which the LR is multiplied by gamma; restarts every task'),
  gamma: z.number().positive().default(0.5).describe('LR factor at each milestone'),
  extendable: z
    .boolean()
    .default(false)
    .describe(
      "after the last task, still update the strategy's memory (covariances, Fisher) so the run can take more tasks",
    ),
});

const log = z.strictObject({
  tensorboard: z.boolean().default(true).describe('write TensorBoard event files under tb/'),
  report: z.boolean().default(true).describe('write report.html after every task'),
  progress: z.boolean().default(true).describe('progress bars and boundary timings on stderr'),
  trainMetrics: z
    .boolean()
    .default(true)
    .describe("after each task, measure every earlier task's training loss/accuracy"),
});

export const coreSections = {
  name: z.string().min(1).default('experiment').describe('run name, used in the output folder'),
  seed: z.number().int().min(0).default(0).describe('seed of every random draw of the run'),
  imports: z
    .array(z.string().min(1))
    .default([])
    .describe('modules imported before the run (plugins that register strategies, models, data)'),
  train: train.default(train.parse({})).describe('training'),
  log: log.default(log.parse({})).describe('what the run writes'),
};

/** Top-level keys no component section may take. */
export const CORE_KEYS = ['name', 'seed', 'imports', 'strategy', 'data', 'model', 'train', 'log'];

export type TrainConfig = z.output<typeof train>;
export type LogConfig = z.output<typeof log>;

/** `data`: the shared keys, the data set's name, and sections of data sets' own settings. */
export type DataConfig = z.output<z.ZodObject<typeof dataCore>> & {
  readonly dataset: string;
  readonly [section: string]: unknown;
};

/** `model`: the model's registered name and sections of models' own settings. */
export interface ModelConfig {
  readonly type: string;
  readonly [section: string]: unknown;
}

/**
 * A parsed experiment config. The active strategy's, model's and data set's sections are always
 * present (filled with their defaults); other components' sections only when given.
 */
export type ExperimentConfig = {
  readonly name: string;
  readonly seed: number;
  readonly imports: readonly string[];
  readonly strategy: string;
  readonly data: DataConfig;
  readonly model: ModelConfig;
  readonly train: TrainConfig;
  readonly log: LogConfig;
  readonly [section: string]: unknown;
};

/** What a preset or a config file holds: any subset of the keys; the rest take defaults. */
export type ExperimentConfigInput = Record<string, unknown>;
