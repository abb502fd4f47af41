import type { ExperimentConfig } from '../config/schema.js';
import { createAdamNscl } from './adam-nscl.js';
import { createEwc } from './ewc.js';
import { createFinetune } from './finetune.js';
import { createGpm } from './gpm.js';
import { createJoint } from './joint.js';
import { createLwf } from './lwf.js';
import type { Strategy, StrategyFactory } from './strategy.js';

const factories = new Map<string, StrategyFactory>([
  ['adam-nscl', createAdamNscl],
  ['finetune', createFinetune],
  ['ewc', createEwc],
  ['joint', createJoint],
  ['lwf', createLwf],
  ['gpm', createGpm],
]);

/** Makes a strategy available to `strategy=<name>` in configs and on the command line. */
export function registerStrategy(name: string, factory: StrategyFactory): void {
  factories.set(name, factory);
}

export function strategyNames(): string[] {
  return [...factories.keys()];
}

export function createStrategy(config: ExperimentConfig): Strategy {
  const factory = factories.get(config.strategy);
  if (!factory) {
    throw new Error(
      `unknown strategy '${config.strategy}': choose one of ${strategyNames().join(', ')}`,
    );
  }
  return factory(config);
}
