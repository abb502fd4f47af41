/**
 * nullspace-cl public API. The math (covariance, eigensolver, null-space rules, projectors,
 * AlphaEdit-style editing) is usable without the training loop; the loop, models, data and
 * strategies are exported for programs that build their own experiments.
 */
export {
  type BackendInfo,
  type BackendName,
  describeBackend,
  selectBackend,
} from './backend/select-backend';
export { applyOverrides, ConfigError, parseConfig, readConfigFile } from './config/load-config';
export { loadPreset, presetNames } from './config/presets';
export {
  type ExperimentConfig,
  type ExperimentConfigInput,
  experimentSchema,
} from './config/schema';
export { type Batch, batches, evalBatches, trainBatches } from './data/batches';
export { loadSplitCifar100 } from './data/cifar100';
export { loadSplitFashionMnist } from './data/fashion-mnist';
export { type LabelledImages, selectImages } from './data/images';
export { loadSequence } from './data/load-sequence';
export { permutedSequence, rotatedSequence } from './data/sequence-transforms';
export { type ClassOrder, splitByClass } from './data/split-sequence';
export type { Normalization, Task, TaskSequence } from './data/task-sequence';
export { loadSplitTinyImageNet } from './data/tinyimagenet';
export { editLinear, SequentialEditor } from './editing/edit-linear';
export { matmul, transpose } from './linalg/dense';
export { eigh, eighColumns, type PartialEigen, type SymmetricEigen } from './linalg/eigh';
export { type NullSpaceRule, nullSpaceSize } from './linalg/null-space-rule';
export {
  applyProjector,
  buildProjector,
  denseProjector,
  type LowRankProjector,
  projectorColumns,
  projectorFromBasis,
} from './linalg/projector';
export {
  averageAccuracy,
  backwardTransfer,
  forgetting,
  forwardTransfer,
} from './metrics/continual-metrics';
export type { LayerProjectionRecord, RunResults } from './metrics/run-results';
export { type ContinualModel, forward, trainableFor } from './models/continual-model';
export { createModel } from './models/create-model';
export { createMlp } from './models/mlp';
export type { Parameter, ParamGroup, PatchGeometry, ProjectedLayer } from './models/parameter';
export { createResNet18 } from './models/resnet18';
export {
  addGram,
  addRows,
  type CovarianceState,
  covarianceMatrix,
  emptyCovariance,
} from './nullspace/covariance';
export { type CovarianceMode, layerInputRows } from './nullspace/layer-inputs';
export {
  type OptimizerConfig,
  ProjectedOptimizer,
  type UpdateTransform,
} from './nullspace/projected-optimizer';
export { ProjectionState } from './nullspace/projection-state';
export { TensorProjector } from './nullspace/tensor-projector';
export { im2col } from './ops/im2col';
export { createStrategy, registerStrategy, strategyNames } from './strategies/registry';
export type {
  StepInputs,
  Strategy,
  StrategyContext,
  StrategyFactory,
  TrainingSet,
} from './strategies/strategy';
export { runContinual } from './train/continual-run';
export { evaluate } from './train/evaluate';
export { Rng } from './util/rng';
