import type { ExperimentConfig } from '../config/schema.js';
import { type LabelledImages, randomSubset } from '../data/images.js';
import type { NullSpaceRule } from '../linalg/null-space-rule.js';
import { validateRule } from '../linalg/null-space-rule.js';
import { type ProjectionSnapshot, ProjectionState } from '../nullspace/projection-state.js';
import { Rng } from '../util/rng.js';
import { DiagonalFisherPenalty } from './fisher-penalty.js';
import type { Strategy } from './strategy.js';

export function nullSpaceRule(nscl: ExperimentConfig['nscl']): NullSpaceRule {
  const rule: NullSpaceRule =
    nscl.rule === 'relative'
      ? { kind: 'relative', a: nscl.a }
      : nscl.rule === 'absolute'
        ? { kind: 'absolute', threshold: nscl.threshold }
        : { kind: 'energy', epsilon: nscl.epsilon };
  validateRule(rule);
  return rule;
}

/**
 * Adam-NSCL (Wang et al., CVPR 2021): after each task every projected layer's input covariance
 * is accumulated and its approximate null space found; later tasks update those layers only by
 * the projected step P·(Adam step), so earlier tasks' layer outputs stay put. BatchNorm
 * parameters, which projection cannot protect, get an EWC penalty instead (reference: 100).
 * With the optimizer set to SGD this is projected SGD.
 */
export function createAdamNscl(config: ExperimentConfig): Strategy {
  const projection = new ProjectionState({
    rule: nullSpaceRule(config.nscl),
    normalize: config.nscl.normalize,
    covarianceMode: config.nscl.covarianceMode,
    // Batch-mean averages each training batch, as the reference does with its train loader;
    // per-sample rows do not depend on the batch, so the larger evaluation batch only saves time.
    batchSize:
      config.nscl.covarianceMode === 'batch-mean'
        ? config.train.batchSize
        : config.train.evalBatchSize,
  });
  const limit = config.nscl.boundaryImages;
  // A fresh generator per task from the seed, so a resumed run draws the same images.
  const boundaryImages = (train: LabelledImages, task: number) =>
    limit === null
      ? train
      : randomSubset(train, limit, new Rng(config.seed ^ Math.imul(task + 1, 0x9e3779b1)));
  const bnFisher = new DiagonalFisherPenalty(config.nscl.bnEwc, (p) => p.group === 'bn');
  return {
    name: 'adam-nscl',
    penalty: () => bnFisher.penalty(),
    transformUpdate: (_ctx, param, step) =>
      param.projected ? projection.project(param.projected, step) : step,
    afterTask(ctx) {
      const { model, sequence } = ctx;
      const images = boundaryImages(sequence.tasks[ctx.task].train, ctx.task);
      projection.accumulate(model, images, sequence.normalization, ctx.task);
      if (config.nscl.bnEwc > 0 && model.parameters.some((p) => p.group === 'bn')) {
        bnFisher.consolidate(
          model,
          images,
          ctx.task,
          sequence.normalization,
          config.train.batchSize,
        );
      }
      return projection.refresh(model.projectedLayers);
    },
    snapshot: () => ({ projection: projection.snapshot(), bnFisher: bnFisher.snapshot() }),
    restore(snapshot, ctx) {
      const s = snapshot as {
        projection: ProjectionSnapshot;
        bnFisher: ReturnType<typeof bnFisher.snapshot>;
      };
      projection.restore(s.projection);
      if (Object.keys(s.projection.covariances).length > 0)
        projection.refresh(ctx.model.projectedLayers);
      bnFisher.restore(ctx.model, s.bnFisher);
    },
    dispose() {
      projection.dispose();
      bnFisher.dispose();
    },
  };
}
