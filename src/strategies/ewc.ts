import { z } from 'zod';
import type { ExperimentConfig } from '../config/schema.js';
import { inPass } from '../logging/work-monitor.js';
import { DiagonalFisherPenalty } from './fisher-penalty.js';
import type { Strategy } from './strategy.js';

/** The `ewc` config section. */
export const ewcSettings = z.strictObject({
  lambda: z.number().min(0).default(100).describe('penalty strength λ'),
  fisherBatches: z
    .number()
    .int()
    .positive()
    .nullable()
    .default(null)
    .describe('batches used to estimate the Fisher diagonal; null: the whole training split'),
});

/** Elastic Weight Consolidation (Kirkpatrick et al. 2017) on all shared (non-head) parameters. */
export function createEwc(ewc: z.output<typeof ewcSettings>, config: ExperimentConfig): Strategy {
  const fisher = new DiagonalFisherPenalty(ewc.lambda, (p) => p.group !== 'head');
  return {
    name: 'ewc',
    penalty: () => fisher.penalty(),
    afterTask(ctx) {
      const task = ctx.sequence.tasks[ctx.task];
      inPass(ctx.monitor, 'Fisher', task.train.labels.length, 'images', (onImages) =>
        fisher.consolidate(ctx.model, task.train, ctx.scenario.view(ctx.task, ctx.task), {
          norm: ctx.sequence.normalization,
          batchSize: config.train.batchSize,
          maxBatches: ewc.fisherBatches,
          onImages,
        }),
      );
      return undefined;
    },
    snapshot: () => ({ fisher: fisher.snapshot() }),
    restore(snapshot, ctx) {
      fisher.restore(
        ctx.model,
        (snapshot as { fisher: ReturnType<typeof fisher.snapshot> }).fisher,
      );
    },
    dispose: () => fisher.dispose(),
  };
}
