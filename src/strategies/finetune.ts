import type { Strategy } from './strategy';

/** Plain training on each task in turn: no protection, the lower bound. */
export function createFinetune(): Strategy {
  return { name: 'finetune' };
}
