import { z } from 'zod';
import type { ExperimentConfig } from '../config/schema.js';
import { imageCount, type LabelledImages, randomSubset } from '../data/images.js';
import type { NullSpaceRule } from '../linalg/null-space-rule.js';
import { validateRule } from '../linalg/null-space-rule.js';
import { inPass } from '../logging/work-monitor.js';
import { type ProjectionSnapshot, ProjectionState } from '../nullspace/projection-state.js';
import { Rng } from '../util/rng.js';
import { DiagonalFisherPenalty } from './fisher-penalty.js';
import type { Strategy } from './strategy.js';

/** The `adam-nscl` config section. */
export const adamNsclSettings = z.strictObject({
  rule: z
    .enum(['relative', 'absolute', 'energy'])
    .default('relative')
    .describe('null-space rule: relative λ ≤ a·λmin (paper), absolute λ ≤ threshold, energy'),
  a: z
    .number()
    .min(1)
    .default(10)
    .describe('relative rule: λ ≤ a·λmin (paper: 10, 30 for 20-split)'),
  threshold: z.number().min(0).default(2e-2).describe('absolute rule: λ ≤ threshold'),
  epsilon: z
    .number()
    .min(0)
    .lt(1)
    .default(0.03)
    .describe('energy rule: smallest directions holding ≤ epsilon of the spectrum'),
  normalize: z
    .boolean()
    .default(true)
    .describe('divide U2U2ᵀ by its Frobenius norm (the official code does)'),
  covarianceMode: z
    .enum(['per-sample', 'batch-mean'])
    .default('per-sample')
    .describe("covariance of every input row, or of each training batch's mean (official code)"),
  boundaryImages: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('training images per task the boundary reads (seeded subset); null: all (paper)'),
  bnEwc: z
    .number()
    .min(0)
    .default(100)
    .describe('EWC coefficient on BatchNorm parameters (paper: 100); 0 turns it off'),
});

export type AdamNsclSettings = z.output<typeof adamNsclSettings>;

export function nullSpaceRule(nscl: AdamNsclSettings): NullSpaceRule {
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
export function createAdamNscl(nscl: AdamNsclSettings, config: ExperimentConfig): Strategy {
  const projection = new ProjectionState({
    rule: nullSpaceRule(nscl),
    normalize: nscl.normalize,
    covarianceMode: nscl.covarianceMode,
    // Batch-mean averages each training batch, as the reference does with its train loader;
    // per-sample rows do not depend on the batch, so the larger evaluation batch only saves time.
    batchSize:
      nscl.covarianceMode === 'batch-mean' ? config.train.batchSize : config.train.evalBatchSize,
  });
  const limit = nscl.boundaryImages;
  // A fresh generator per task from the seed, so a resumed run draws the same images.
  const boundaryImages = (train: LabelledImages, task: number) =>
    limit === null
      ? train
      : randomSubset(train, limit, new Rng(config.seed ^ Math.imul(task + 1, 0x9e3779b1)));
  const bnFisher = new DiagonalFisherPenalty(nscl.bnEwc, (p) => p.group === 'bn');
  return {
    name: 'adam-nscl',
    penalty: () => bnFisher.penalty(),
    transformUpdate: (_ctx, param, step) =>
      param.projected ? projection.project(param.projected, step) : step,
    afterTask(ctx) {
      const { model, sequence } = ctx;
      const images = boundaryImages(sequence.tasks[ctx.task].train, ctx.task);
      const count = imageCount(images);
      inPass(ctx.monitor, 'covariance', count, 'images', (onImages) =>
        projection.accumulate(model, images, sequence.normalization, onImages),
      );
      if (nscl.bnEwc > 0 && model.parameters.some((p) => p.group === 'bn')) {
        inPass(ctx.monitor, 'BatchNorm Fisher', count, 'images', (onImages) =>
          bnFisher.consolidate(model, images, ctx.scenario.view(ctx.task, ctx.task), {
            norm: sequence.normalization,
            batchSize: config.train.batchSize,
            onImages,
          }),
        );
      }
      return projection.refresh(model.projectedLayers, (r, seconds) =>
        ctx.monitor.timing(`null space of ${r.layer}`, seconds, { n: r.n, kept: r.kept }),
      );
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
