import type { ExperimentConfig } from '../config/schema.js';
import { Scenario } from '../data/scenario.js';
import type { TaskSequence } from '../data/task-sequence.js';
import { SILENT_MONITOR, type WorkMonitor } from '../logging/work-monitor.js';
import type { ContinualModel } from '../models/continual-model.js';
import { createModel } from '../registry/components.js';
import type { StrategyContext } from '../strategies/strategy.js';
import { Rng } from '../util/rng.js';

export interface ContextParts {
  readonly model: ContinualModel;
  readonly sequence: TaskSequence;
  readonly config: ExperimentConfig;
  readonly task: number;
  readonly rng: Rng;
  readonly scenario?: Scenario;
  readonly monitor?: WorkMonitor;
}

/**
 * What a strategy's hooks see, built as the run loop builds it: the config's scenario, new
 * models of the config's registered architecture, and a monitor (silent unless given).
 */
export function strategyContext(parts: ContextParts): StrategyContext {
  const scenario = parts.scenario ?? new Scenario(parts.config.data.scenario, parts.sequence);
  return {
    ...parts,
    scenario,
    monitor: parts.monitor ?? SILENT_MONITOR,
    // Frozen copies get their weights from the live model, so their draw does not matter.
    buildModel: () =>
      createModel(parts.config, parts.sequence.inputShape, scenario.headSizes(), new Rng(0)),
  };
}
