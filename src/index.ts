/**
 * nullspace-cl public API. The math (covariance, eigensolver, null-space rules, projectors,
 * AlphaEdit-style editing) is usable without the training loop; the loop, the registries of
 * strategies, models and data sets, and the built-in components are here for programs that
 * build their own experiments or plug their own parts into the command line.
 */
import './registry/builtins.js';

export { z } from 'zod';
export {
  type BackendInfo,
  type BackendName,
  type BackendOptions,
  describeBackend,
  selectBackend,
} from './backend/select-backend.js';
export { applyOverrides, ConfigError, readConfigFile } from './config/load-config.js';
export { loadPreset, presetNames } from './config/presets.js';
export type {
  DataConfig,
  ExperimentConfig,
  ExperimentConfigInput,
  LogConfig,
  ModelConfig,
  ScenarioName,
  TrainConfig,
} from './config/schema.js';
export { type Batch, batches, evalBatches, trainBatches } from './data/batches.js';
export { CIFAR100_FINE_LABEL_NAMES, loadCifar100, loadSplitCifar100 } from './data/cifar100.js';
export { loadFashionMnist, loadSplitFashionMnist } from './data/fashion-mnist.js';
export type { ImageDecodeOptions } from './data/image-cache.js';
export { type ImageFolderOptions, loadImageFolder } from './data/image-folder.js';
export { type LabelledImages, randomSubset, selectImages } from './data/images.js';
export {
  channelStatistics,
  type LabelledDataset,
  splitDataset,
  type TaskSplit,
} from './data/labelled-dataset.js';
export { type HeadView, Scenario } from './data/scenario.js';
export { permutedSequence, rotatedSequence } from './data/sequence-transforms.js';
export { type ClassOrder, splitByClass, splitByTaskClasses } from './data/split-sequence.js';
export {
  type Normalization,
  type Task,
  type TaskSequence,
  taskLabel,
} from './data/task-sequence.js';
export { readTasksFile, resolveTaskClasses } from './data/tasks-file.js';
export {
  labelledDatasetFromTfData,
  labelledImagesFromTfData,
  type TfDataElement,
  type TfDataOptions,
  type TfDataSplits,
  type TfDataset,
} from './data/tf-data.js';
export { loadSplitTinyImageNet, loadTinyImageNet } from './data/tinyimagenet.js';
export {
  editClassifier,
  lastHiddenDense,
  preservedSecondMoment,
} from './editing/edit-classifier.js';
export { editLinear, SequentialEditor } from './editing/edit-linear.js';
export { matmul, transpose } from './linalg/dense.js';
export { eigh, eighColumns, type PartialEigen, type SymmetricEigen } from './linalg/eigh.js';
export { type NullSpaceRule, nullSpaceSize } from './linalg/null-space-rule.js';
export {
  applyProjector,
  buildProjector,
  denseProjector,
  type LowRankProjector,
  projectorColumns,
  projectorFromBasis,
} from './linalg/projector.js';
export type { WorkMonitor, WorkPass } from './logging/work-monitor.js';
export {
  averageAccuracy,
  backwardTransfer,
  forgetting,
  forwardTransfer,
} from './metrics/continual-metrics.js';
export type {
  LayerProjectionRecord,
  RunResults,
  RunStatus,
} from './metrics/run-results.js';
export {
  type ContinualModel,
  forward,
  trainableFor,
  viewLabels,
  viewLogits,
} from './models/continual-model.js';
export type { ForwardContext, LayerInputHook } from './models/layers.js';
export { fromLayersModel, type LayersModelOptions } from './models/layers-model.js';
export { createMlp } from './models/mlp.js';
export type { Parameter, ParamGroup, ProjectedLayer } from './models/parameter.js';
export { createResNet18 } from './models/resnet18.js';
export {
  addGram,
  addRows,
  type CovarianceState,
  covarianceMatrix,
  emptyCovariance,
} from './nullspace/covariance.js';
export { type CovarianceMode, layerInputRows } from './nullspace/layer-inputs.js';
export {
  type OptimizerConfig,
  ProjectedOptimizer,
  type UpdateTransform,
} from './nullspace/projected-optimizer.js';
export { nullSpaceProjector, ProjectionState } from './nullspace/projection-state.js';
export { TensorProjector } from './nullspace/tensor-projector.js';
export { im2col } from './ops/im2col.js';
export type { PatchGeometry } from './ops/patch-geometry.js';
export {
  createModel,
  createStrategy,
  type DatasetLoader,
  type DatasetLoaderContext,
  type DatasetOptions,
  loadDataset,
  type ModelFactory,
  type ModelFactoryContext,
  registerDataset,
  registerModel,
  registerStrategy,
  type StrategyFactory,
  type StrategyFactoryContext,
  strategyNames,
} from './registry/components.js';
export { type ConfigKey, configKeys } from './registry/config-help.js';
export {
  experimentSchema,
  importPlugin,
  loadConfig,
  parseConfig,
} from './registry/experiment-config.js';
export { loadSequence } from './registry/load-sequence.js';
export type { RegisterOptions, SettingsSpec } from './registry/shared-registry.js';
export type {
  StepInputs,
  Strategy,
  StrategyContext,
  TrainingSet,
} from './strategies/strategy.js';
export {
  CheckpointError,
  type CheckpointState,
  loadCheckpoint,
  loadModelWeights,
} from './train/checkpoint.js';
export { RunInterrupted, type RunOptions, runContinual } from './train/continual-run.js';
export { evaluate } from './train/evaluate.js';
export { RunFolderError } from './train/run-folder.js';
export { strategyContext } from './train/strategy-context.js';
export { DivergenceError } from './util/divergence.js';
export { Rng } from './util/rng.js';
