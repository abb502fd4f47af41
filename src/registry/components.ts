import type { ExperimentConfig } from '../config/schema.js';
import { CORE_KEYS, dataCore } from '../config/schema.js';
import type { LabelledDataset } from '../data/labelled-dataset.js';
import type { TaskSequence } from '../data/task-sequence.js';
import type { ContinualModel } from '../models/continual-model.js';
import type { Strategy } from '../strategies/strategy.js';
import type { Rng } from '../util/rng.js';
import {
  type RegisterOptions,
  Registry,
  type SettingsOf,
  type SettingsSpec,
} from './shared-registry.js';

export interface StrategyFactoryContext<S = Record<string, unknown>> {
  /** The strategy's own config section, parsed (defaults filled). */
  readonly settings: S;
  readonly config: ExperimentConfig;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds factories of every settings type.
export type StrategyFactory<S = any> = (context: StrategyFactoryContext<S>) => Strategy;

export interface ModelFactoryContext<S = Record<string, unknown>> {
  /** [height, width, channels] of the input images. */
  readonly inputShape: readonly [number, number, number];
  /**
   * Outputs of each head to create: one head per task in the task scenario, one shared head
   * (all classes of a task, or of every task) in the domain and class scenarios.
   */
  readonly classesPerTask: readonly number[];
  readonly settings: S;
  readonly config: ExperimentConfig;
  /** The run's generator: draw initial weights from it so a seed gives the same model. */
  readonly rng: Rng;
}

// biome-ignore lint/suspicious/noExplicitAny: as above.
export type ModelFactory<S = any> = (
  context: ModelFactoryContext<S>,
) => ContinualModel | Promise<ContinualModel>;

export interface DatasetLoaderContext<S = Record<string, unknown>> {
  /** `data.dir`. */
  readonly dir: string | null;
  readonly settings: S;
  readonly config: ExperimentConfig;
}

/**
 * A labelled data set, split into tasks by `data.tasks`/`data.tasksFile`/`data.classOrder`, or
 * a ready task sequence (then those keys do not apply).
 */
// biome-ignore lint/suspicious/noExplicitAny: as above.
export type DatasetLoader<S = any> = (
  context: DatasetLoaderContext<S>,
) => Promise<LabelledDataset | TaskSequence>;

export interface DatasetOptions extends RegisterOptions {
  /** Tasks when neither data.tasks nor data.tasksFile is given. */
  readonly defaultTasks?: number;
}

export const strategies = new Registry<StrategyFactory>('strategy', CORE_KEYS);
export const models = new Registry<ModelFactory>('model', ['type']);
export const datasets = new Registry<DatasetLoader, DatasetOptions>('data set', [
  'dataset',
  ...Object.keys(dataCore),
]);

/**
 * Makes a strategy available as `strategy=<name>`. Its settings, if any, are the config section
 * `<name>` (`--set <name>.<key>=value`), validated strictly and saved with every run.
 */
export function registerStrategy<S extends SettingsSpec | undefined = undefined>(
  name: string,
  factory: StrategyFactory<SettingsOf<S>>,
  settings?: S,
  options?: RegisterOptions,
): void {
  strategies.register(name, factory, settings, options);
}

/** Makes a model available as `model.type=<name>`; its settings are `model.<name>`. */
export function registerModel<S extends SettingsSpec | undefined = undefined>(
  name: string,
  factory: ModelFactory<SettingsOf<S>>,
  settings?: S,
  options?: RegisterOptions,
): void {
  models.register(name, factory, settings, options);
}

/** Makes a data set available as `data.dataset=<name>`; its settings are `data.<name>`. */
export function registerDataset<S extends SettingsSpec | undefined = undefined>(
  name: string,
  loader: DatasetLoader<SettingsOf<S>>,
  settings?: S,
  options?: DatasetOptions,
): void {
  datasets.register(name, loader, settings, options);
}

export function strategyNames(): string[] {
  return strategies.names();
}

/** The section of `config` that holds component `name`'s settings. */
function section(holder: Record<string, unknown>, name: string): Record<string, unknown> {
  return (holder[name] ?? {}) as Record<string, unknown>;
}

export function createStrategy(config: ExperimentConfig): Strategy {
  const entry = strategies.get(config.strategy);
  return entry.factory({ settings: section(config, entry.name), config });
}

export function createModel(
  config: ExperimentConfig,
  inputShape: readonly [number, number, number],
  classesPerTask: readonly number[],
  rng: Rng,
): Promise<ContinualModel> {
  const entry = models.get(config.model.type);
  return Promise.resolve(
    entry.factory({
      inputShape,
      classesPerTask,
      settings: section(config.model, entry.name),
      config,
      rng,
    }),
  );
}

export function loadDataset(config: ExperimentConfig): Promise<LabelledDataset | TaskSequence> {
  const entry = datasets.get(config.data.dataset);
  return entry.factory({
    dir: config.data.dir,
    settings: section(config.data, entry.name),
    config,
  });
}
