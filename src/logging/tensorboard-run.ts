/** The tags a continual run writes to TensorBoard beyond its training scalars, and helpers to write them. */
import type { LayerProjectionRecord } from '../metrics/run-results.js';
import { configText } from './html-report.js';
import { spectrumLog10 } from './tb-histogram.js';
import type { MetricInfo } from './tb-hparams.js';
import type { TensorBoardWriter } from './tensorboard.js';

export const CONFIG_TAG = 'run/config';

/** The continual-learning metrics after each task; the sweep's HParams tab compares runs by them. */
export const CONTINUAL_TAGS = {
  ACC: 'continual/ACC',
  BWT: 'continual/BWT',
  FWT: 'continual/FWT',
} as const;

/** A TensorBoard tag part from a task's label: its index and class names, no '/' or spaces. */
export function taskTag(index: number, label: string): string {
  return `task_${index}_${label.replace(/[^\p{L}\p{N}_.+-]+/gu, '_')}`.replace(/_+$/, '');
}

/**
 * One projected layer's tags. They share the `projection/` prefix the kept ratio always had, so
 * the scalars and the spectra of all layers sit in one section of each dashboard.
 */
function projectionTags(layer: string) {
  return {
    kept: `projection/kept/${layer}`,
    keptRatio: `projection/kept_ratio/${layer}`,
    spectrumLog10: `projection/spectrum_log10/${layer}`,
  } as const;
}

/** The scalars the HParams tab compares sweep runs by; it takes each run's last value. */
export const SWEEP_METRICS: readonly MetricInfo[] = [
  { tag: CONTINUAL_TAGS.ACC, displayName: 'ACC (%)', description: 'mean final test accuracy' },
  { tag: CONTINUAL_TAGS.BWT, displayName: 'BWT (pp)', description: 'backward transfer' },
];

/** Kept dimensions (absolute and kept/n) and the log10 eigenvalue spectrum of every layer. */
export function writeProjectionSummaries(
  tb: TensorBoardWriter,
  records: readonly LayerProjectionRecord[],
  step: number,
): void {
  for (const r of records) {
    const tags = projectionTags(r.layer);
    tb.scalar(tags.kept, r.kept, step);
    tb.scalar(tags.keptRatio, r.ratio, step);
    tb.histogram(tags.spectrumLog10, spectrumLog10(r.spectrum), step);
  }
}

/** The config as a fenced JSON block; the fence outgrows any backtick run inside the JSON. */
export function configMarkdown(config: unknown): string {
  const json = configText(config);
  const longest = Math.max(0, ...(json.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}json\n${json}\n${fence}`;
}
