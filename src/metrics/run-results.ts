/** What a run records, written to results.json after every task and read by the reports. */

/** The null space a projected layer kept at one task boundary. */
export interface LayerProjectionRecord {
  readonly layer: string;
  /** Dimension of the layer's input (patch) vector. */
  readonly n: number;
  /** Dimension of the null space kept for updates. */
  readonly kept: number;
  readonly lambdaMin: number;
  readonly lambdaMax: number;
  /** kept / n. */
  readonly ratio: number;
  /** All eigenvalues, ascending; the first `kept` are the null space. */
  readonly spectrum: readonly number[];
}

export interface EpochRecord {
  readonly task: number;
  readonly epoch: number;
  readonly loss: number;
  /** Training accuracy in %. */
  readonly accuracy: number;
  readonly imagesPerSecond: number;
  readonly seconds: number;
}

/**
 * running: under way (or killed without a word); completed: every task done; interrupted:
 * stopped by a signal, resumable; diverged: a quantity went non-finite (see `divergence`);
 * failed: stopped by an error (see `error`).
 */
export type RunStatus = 'running' | 'completed' | 'interrupted' | 'diverged' | 'failed';

/** What a run trained on: enough to tell two runs' sequences apart and to read its reports. */
export interface SequenceRecord {
  readonly name: string;
  readonly scenario: string;
  readonly inputShape: readonly number[];
  /** Per-channel statistics the images were normalised with. */
  readonly normalization: { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly tasks: readonly {
    readonly classes: readonly number[];
    readonly classNames?: readonly string[];
    readonly trainImages: number;
    readonly testImages: number;
  }[];
}

export interface RunResults {
  readonly name: string;
  readonly strategy: string;
  readonly backend: string;
  status: RunStatus;
  readonly sequence: SequenceRecord;
  /** A short name per task (its classes where the data set names them). */
  readonly taskNames: readonly string[];
  /** accMatrix[t][j]: test accuracy (%) on task j after training task t; null where not measured. */
  readonly accMatrix: (number | null)[][];
  /** Accuracy (%) of a freshly initialised model on each task's test split, for FWT; null where not measured. */
  readonly initialAcc: (number | null)[];
  /** trainLoss[t][j], trainAcc[t][j]: loss and accuracy on task j's training split after task t (j ≤ t). */
  readonly trainLoss: (number | null)[][];
  readonly trainAcc: (number | null)[][];
  readonly ACC: number | null;
  readonly BWT: number | null;
  readonly FWT: number | null;
  /** forgetting[j]: best earlier accuracy on task j minus its latest accuracy; null for the last task. */
  readonly forgetting: (number | null)[];
  /** projection[t]: per-layer records computed after task t (empty for strategies without projection). */
  readonly projection: LayerProjectionRecord[][];
  readonly taskSeconds: number[];
  readonly epochs: EpochRecord[];
  /** Set when status is 'diverged': what went non-finite, and where. */
  divergence?: { quantity: string; value: number; task?: number; epoch?: number; batch?: number };
  /** Set when status is 'failed'. */
  error?: string;
}
