import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { EpochRecord, RunResults } from '../metrics/run-results.js';
import { accuracyMatrixCsv } from './csv.js';
import { writeReport } from './html-report.js';
import { type JsonlRecord, JsonlWriter } from './jsonl.js';
import type { HparamValue, SessionStatus } from './tb-hparams.js';
import { TensorBoardWriter } from './tensorboard.js';
import { CONFIG_TAG, configMarkdown, writeProjectionSummaries } from './tensorboard-run.js';

export function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Byte length of each log file (path relative to the run folder) at one moment. */
export type LogPositions = Readonly<Record<string, number>>;

const METRICS = 'metrics.jsonl';
const TB = 'tb';

export interface RunLoggerOptions {
  readonly tensorboard: boolean;
  readonly report: boolean;
  /** A sweep run's grid values, so TensorBoard's HParams tab can compare the sweep's runs. */
  readonly hparams?: { readonly values: Record<string, HparamValue>; readonly group: string };
}

/** A TensorBoard tag part from a task's label: its index and class names, no '/' or spaces. */
export function taskTag(index: number, label: string): string {
  return `task_${index}_${label.replace(/[^\p{L}\p{N}_.+-]+/gu, '_')}`.replace(/_+$/, '');
}

/**
 * Everything a run writes to its folder besides config and checkpoint: results.json,
 * accuracy-matrix.csv and report.html after each task, metrics.jsonl records, TensorBoard
 * summaries. Opened with the positions a checkpoint saved, it cuts the logs back to them, so a
 * resumed run's logs hold each record once, exactly as an uninterrupted run's.
 *
 * TensorBoard has one step axis for every tag: epochs trained so far. Evaluations after a task
 * sit at the step of that task's last epoch; the untrained model's at step 0.
 */
export class RunLogger {
  private readonly jsonl: JsonlWriter;
  private readonly tb: TensorBoardWriter | null;

  constructor(
    readonly dir: string,
    private readonly config: unknown,
    private readonly options: RunLoggerOptions,
    private readonly taskTags: readonly string[],
    resumeAt?: LogPositions,
  ) {
    mkdirSync(dir, { recursive: true });
    this.jsonl = new JsonlWriter(join(dir, METRICS), resumeAt && (resumeAt[METRICS] ?? 0));
    this.tb = options.tensorboard ? openTensorBoard(join(dir, TB), resumeAt) : null;
    const fresh = resumeAt === undefined || !Object.keys(resumeAt).some((f) => f.startsWith(TB));
    if (this.tb && fresh) {
      this.tb.text(CONFIG_TAG, configMarkdown(config), 0);
      if (options.hparams) this.tb.hparamsSession(options.hparams.values, options.hparams);
    }
  }

  /** Where each log ends now, for a checkpoint. */
  positions(): LogPositions {
    this.flush();
    const positions: Record<string, number> = { [METRICS]: this.jsonl.size };
    if (this.tb) positions[`${TB}/${basename(this.tb.path)}`] = this.tb.size;
    return positions;
  }

  record(record: JsonlRecord): void {
    this.jsonl.write(record);
  }

  /** `epochsDone`: epochs trained so far, this one included (the TensorBoard step). */
  epoch(record: EpochRecord, epochsDone: number): void {
    this.jsonl.write({ type: 'epoch', ...record });
    this.tb?.scalar('train/loss', record.loss, epochsDone);
    this.tb?.scalar('train/accuracy', record.accuracy, epochsDone);
    this.tb?.scalar('train/images_per_second', record.imagesPerSecond, epochsDone);
  }

  /** One evaluation; `afterTask` null for the untrained model. */
  evaluation(
    afterTask: number | null,
    task: number,
    split: 'test' | 'train',
    result: { readonly loss: number; readonly accuracy: number },
    step: number,
  ): void {
    const { loss, accuracy } = result;
    this.jsonl.write({ type: 'eval', afterTask, task, split, loss, accuracy });
    this.tb?.scalar(`${split}/accuracy/${this.taskTags[task]}`, accuracy, step);
    this.tb?.scalar(`${split}/loss/${this.taskTags[task]}`, loss, step);
  }

  /** After each task: summaries, the null spaces kept, and the result files. */
  task(results: RunResults, task: number): void {
    const step = results.epochs.length;
    this.jsonl.write({
      type: 'task',
      task,
      ACC: results.ACC,
      BWT: results.BWT,
      FWT: results.FWT,
      seconds: results.taskSeconds[task],
    });
    for (const [tag, value] of [
      ['continual/ACC', results.ACC],
      ['continual/BWT', results.BWT],
      ['continual/FWT', results.FWT],
    ] as const) {
      if (value !== null) this.tb?.scalar(tag, value, step);
    }
    if (this.tb) writeProjectionSummaries(this.tb, results.projection[task] ?? [], step);
    this.flush();
    this.results(results);
  }

  /** How the run ended, for TensorBoard's HParams tab (a sweep run only). */
  end(status: SessionStatus): void {
    if (this.options.hparams) this.tb?.hparamsSessionEnd(status);
  }

  /** The result files from `results` as they stand. */
  results(results: RunResults): void {
    writeAtomic(join(this.dir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
    writeAtomic(join(this.dir, 'accuracy-matrix.csv'), accuracyMatrixCsv(results));
    if (this.options.report) writeReport(this.dir, results, this.config);
  }

  flush(): void {
    this.tb?.flush();
    this.jsonl.flush();
  }

  close(): void {
    this.jsonl.close();
    this.tb?.close();
  }
}

/**
 * The run's one event file: a resumed run continues the file its checkpoint names (cut back
 * to the checkpoint), and event files of attempts after that checkpoint are removed.
 */
function openTensorBoard(dir: string, resumeAt: LogPositions | undefined): TensorBoardWriter {
  mkdirSync(dir, { recursive: true });
  const saved = Object.keys(resumeAt ?? {}).find((f) => f.startsWith(`${TB}/`));
  if (resumeAt) {
    for (const f of readdirSync(dir))
      if (`${TB}/${f}` !== saved) rmSync(join(dir, f), { force: true });
  }
  if (saved === undefined) return new TensorBoardWriter(dir);
  const path = join(dir, basename(saved));
  return new TensorBoardWriter(dir, { resume: { path, bytes: resumeAt![saved] } });
}
