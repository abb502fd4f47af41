import type { ExperimentConfig } from '../config/schema.js';
import { DiagonalFisherPenalty } from './fisher-penalty.js';
import type { Strategy } from './strategy.js';

/** Elastic Weight Consolidation (Kirkpatrick et al. 2017) on all shared (non-head) parameters. */
export function createEwc(config: ExperimentConfig): Strategy {
  const fisher = new DiagonalFisherPenalty(config.ewc.lambda, (p) => p.group !== 'head');
  return {
    name: 'ewc',
    penalty: () => fisher.penalty(),
    afterTask(ctx) {
      const task = ctx.sequence.tasks[ctx.task];
      fisher.consolidate(
        ctx.model,
        task.train,
        ctx.task,
        ctx.sequence.normalization,
        config.train.batchSize,
        config.ewc.fisherBatches,
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
