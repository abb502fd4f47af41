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
} from './backend/select-backend.js';
export { applyOverrides, ConfigError, parseConfig, readConfigFile } from './config/load-config.js';
export { loadPreset, presetNames } from './config/presets.js';
export {
  type ExperimentConfig,
  type ExperimentConfigInput,
  experimentSchema,
} from './config/schema.js';
export { type Batch, batches, evalBatches, trainBatches } from './data/batches.js';
export { loadSplitCifar100 } from './data/cifar100.js';
export { loadSplitFashionMnist } from './data/fashion-mnist.js';
export { type LabelledImages, selectImages } from './data/images.js';
export { loadSequence } from './data/load-sequence.js';
export { permutedSequence, rotatedSequence } from './data/sequence-transforms.js';
export { type ClassOrder, splitByClass } from './data/split-sequence.js';
export type { Normalization, Task, TaskSequence } from './data/task-sequence.js';
export { loadSplitTinyImageNet } from './data/tinyimagenet.js';
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
export {
  averageAccuracy,
  backwardTransfer,
  forgetting,
  forwardTransfer,
} from './metrics/continual-metrics.js';
export type { LayerProjectionRecord, RunResults } from './metrics/run-results.js';
export { type ContinualModel, forward, trainableFor } from './models/continual-model.js';
export { createModel } from './models/create-model.js';
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
export { ProjectionState } from './nullspace/projection-state.js';
export { TensorProjector } from './nullspace/tensor-projector.js';
export { im2col } from './ops/im2col.js';
export type { PatchGeometry } from './ops/patch-geometry.js';
export { createStrategy, registerStrategy, strategyNames } from './strategies/registry.js';
export type {
  StepInputs,
  Strategy,
  StrategyContext,
  StrategyFactory,
  TrainingSet,
} from './strategies/strategy.js';
export { runContinual } from './train/continual-run.js';
export { evaluate } from './train/evaluate.js';
export { Rng } from './util/rng.js';
