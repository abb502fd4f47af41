import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { EpochRecord, RunResults } from '../metrics/run-results.js';
import { writeAtomic } from '../util/write-atomic.js';
import { accuracyMatrixCsv } from './csv.js';
import { REPORT_FILE, writeReport } from './html-report.js';
import { type JsonlRecord, JsonlWriter } from './jsonl.js';
import type { HparamValue, SessionStatus } from './tb-hparams.js';
import { TensorBoardWriter } from './tensorboard.js';
import {
  CONFIG_TAG,
  CONTINUAL_TAGS,
  configMarkdown,
  writeProjectionSummaries,
} from './tensorboard-run.js';

/** Byte length of each log file (path relative to the run folder) at one moment. */
export type LogPositions = Readonly<Record<string, number>>;

const RESULTS = 'results.json';
const METRICS = 'metrics.jsonl';
const CSV = 'accuracy-matrix.csv';
const TB = 'tb';

/** Every file and folder a RunLogger writes in its run folder. */
export const RUN_LOG_ENTRIES: readonly string[] = [RESULTS, METRICS, CSV, REPORT_FILE, TB];

export interface RunLoggerOptions {
  readonly tensorboard: boolean;
  readonly report: boolean;
  /** A sweep run's grid values, so TensorBoard's HParams tab can compare the sweep's runs. */
  readonly hparams?: { readonly values: Record<string, HparamValue>; readonly group: string };
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
  /** Whether the result files are this logger's; until then they may be an earlier attempt's. */
  private wroteResults = false;

  constructor(
    readonly dir: string,
    private readonly config: unknown,
    private readonly options: RunLoggerOptions,
    private readonly taskTags: readonly string[],
    resumeAt?: LogPositions,
  ) {
    mkdirSync(dir, { recursive: true });
    this.jsonl = new JsonlWriter(join(dir, METRICS), resumeAt && (resumeAt[METRICS] ?? 0));
    const savedTb = resumeAt && Object.entries(resumeAt).find(([f]) => f.startsWith(`${TB}/`));
    this.tb = options.tensorboard
      ? openTensorBoard(join(dir, TB), resumeAt !== undefined, savedTb)
      : null;
    // An event file the checkpoint names holds the config and session start already.
    if (this.tb && !savedTb) {
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
    for (const metric of ['ACC', 'BWT', 'FWT'] as const) {
      const value = results[metric];
      if (value !== null) this.tb?.scalar(CONTINUAL_TAGS[metric], value, step);
    }
    if (this.tb) writeProjectionSummaries(this.tb, results.projection[task] ?? [], step);
    this.results(results);
  }

  /** How the run ended, for TensorBoard's HParams tab (a sweep run only). */
  end(status: SessionStatus): void {
    if (this.options.hparams) this.tb?.hparamsSessionEnd(status);
  }

  /** The result files from `results` as they stand. */
  results(results: RunResults): void {
    writeAtomic(join(this.dir, RESULTS), resultsJson(results));
    writeAtomic(join(this.dir, CSV), accuracyMatrixCsv(results));
    if (this.options.report) writeReport(this.dir, results, this.config);
    this.wroteResults = true;
  }

  /**
   * `results` after only their status changed since the last `results` call. Of the result
   * files only results.json shows the status, so only it is written again; but before this
   * logger's first `results` all are, since the folder's may be an earlier attempt's (one killed
   * after writing them but before its checkpoint, or one that wrote no report).
   */
  status(results: RunResults): void {
    if (this.wroteResults) writeAtomic(join(this.dir, RESULTS), resultsJson(results));
    else this.results(results);
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

function resultsJson(results: RunResults): string {
  return `${JSON.stringify(results, null, 1)}\n`;
}

/**
 * The run's one event file: a resumed run continues the file its checkpoint names (`saved`, its
 * key in the checkpoint's log positions and its length there), and event files of attempts
 * after that checkpoint are removed.
 */
function openTensorBoard(
  dir: string,
  resuming: boolean,
  saved: readonly [key: string, bytes: number] | undefined,
): TensorBoardWriter {
  mkdirSync(dir, { recursive: true });
  if (resuming) {
    for (const f of readdirSync(dir))
      if (`${TB}/${f}` !== saved?.[0]) rmSync(join(dir, f), { force: true });
  }
  if (saved === undefined) return new TensorBoardWriter(dir);
  const [key, bytes] = saved;
  return new TensorBoardWriter(dir, { resume: { path: join(dir, basename(key)), bytes } });
}
