/** Where in a run a quantity went non-finite; the loop fills what the code that noticed did not. */
export interface DivergencePlace {
  task?: number;
  epoch?: number;
  batch?: number;
}

/**
 * A quantity of the run (loss, gradient, covariance, …) became NaN or infinite. A run that
 * meets one stops: its numbers past that point would be garbage that reads like results.
 */
export class DivergenceError extends Error {
  constructor(
    readonly quantity: string,
    readonly value: number,
    readonly place: DivergencePlace = {},
  ) {
    super();
    // Computed when read: the loop completes `place` after the code that noticed threw.
    Object.defineProperty(this, 'message', { get: () => this.describe(), configurable: true });
  }

  private describe(): string {
    const { task, epoch, batch } = this.place;
    const at = [
      task !== undefined ? `task ${task + 1}` : '',
      epoch !== undefined ? `epoch ${epoch + 1}` : '',
      batch !== undefined ? `batch ${batch}` : '',
    ].filter(Boolean);
    return `the run diverged: ${this.quantity} is ${this.value}${at.length ? ` at ${at.join(', ')}` : ''} (a learning rate too high?)`;
  }
}

/** Throws a DivergenceError when `value` is not finite. */
export function requireFinite(quantity: string, value: number, place?: DivergencePlace): void {
  if (!Number.isFinite(value)) throw new DivergenceError(quantity, value, place);
}

/** The first non-finite entry of an array, or -1. */
export function firstNonFinite(values: ArrayLike<number>): number {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i])) return i;
  return -1;
}
