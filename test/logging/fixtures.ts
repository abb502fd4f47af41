/** Synthetic run results shared by the logging tests and scripts/check-report.ts. */
import type {
  EpochRecord,
  LayerProjectionRecord,
  RunResults,
} from '../../src/metrics/run-results.js';

const LAYERS = [
  { layer: 'conv1', n: 27 },
  { layer: 'fc1', n: 64 },
] as const;

/** Ascending log-spaced eigenvalues from 1e-7 up to ~1e2, with a deterministic wobble. */
function spectrum(n: number, task: number, layerIndex: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    const exponent = -7 + (9 * i) / (n - 1) + 0.15 * Math.sin(i * 1.7 + task + layerIndex);
    return 10 ** exponent * (1 + 0.3 * task);
  }).sort((a, b) => a - b);
}

function projection(task: number): LayerProjectionRecord[] {
  return LAYERS.map(({ layer, n }, li) => {
    const values = spectrum(n, task, li);
    // Later tasks use up more of the input space, so the null space shrinks.
    const kept = Math.max(1, Math.round(n * (0.6 - 0.15 * task)));
    return {
      layer,
      n,
      kept,
      lambdaMin: values[0],
      lambdaMax: values[n - 1],
      ratio: kept / n,
      spectrum: values,
    };
  });
}

function epochs(tasks: number, perTask: number): EpochRecord[] {
  const out: EpochRecord[] = [];
  for (let task = 0; task < tasks; task++) {
    for (let epoch = 0; epoch < perTask; epoch++) {
      out.push({
        task,
        epoch,
        loss: 1.2 / (1 + epoch) + 0.05 * task,
        accuracy: 70 + 6 * epoch - task,
        imagesPerSecond: 1500 + 10 * epoch,
        seconds: 4 + 0.1 * task,
      });
    }
  }
  return out;
}

export function syntheticResults(overrides: Partial<RunResults> = {}): RunResults {
  return {
    name: 'synthetic-3task',
    strategy: 'adam-nscl',
    backend: 'cpu',
    status: 'completed',
    sequence: {
      name: 'synthetic',
      scenario: 'task',
      inputShape: [28, 28, 1],
      normalization: { mean: [0.5], std: [0.25] },
      tasks: [0, 1, 2].map((t) => ({
        classes: [2 * t, 2 * t + 1],
        classNames: [`digit ${2 * t}`, `digit ${2 * t + 1}`],
        trainImages: 100,
        testImages: 20,
      })),
    },
    taskNames: ['digits 0-1', 'digits 2-3', 'digits 4-5'],
    accMatrix: [
      [97.5, null, null],
      [95.25, 96, null],
      [93, 94.5, 98.75],
    ],
    initialAcc: [50.5, 49, null],
    trainLoss: [
      [0.08, null, null],
      [0.15, 0.1, null],
      [0.22, 0.18, 0.05],
    ],
    trainAcc: [
      [98, null, null],
      [96, 97.5, null],
      [94, 95, 99],
    ],
    ACC: 95.42,
    BWT: -2.63,
    FWT: -0.25,
    forgetting: [4.5, 1.5, null],
    projection: [projection(0), projection(1), projection(2)],
    taskSeconds: [16.2, 16.8, 17.1],
    epochs: epochs(3, 4),
    ...overrides,
  };
}
