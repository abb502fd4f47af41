import type { Strategy } from './strategy.js';

/** Plain training on each task in turn: no protection, the lower bound. */
export function createFinetune(): Strategy {
  return { name: 'finetune' };
}
