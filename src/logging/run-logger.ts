import { mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { EpochRecord, RunResults } from '../metrics/run-results.js';
import { accuracyMatrixCsv } from './csv.js';
import { writeReport } from './html-report.js';
import { type JsonlRecord, JsonlWriter } from './jsonl.js';
import { TensorBoardWriter } from './tensorboard.js';

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
}

/**
 * Everything a run writes to its folder besides config and checkpoint: results.json,
 * accuracy-matrix.csv and report.html after each task, metrics.jsonl records, TensorBoard
 * scalars. Opened with the positions a checkpoint saved, it cuts the logs back to them, so a
 * resumed run's logs hold each record once, exactly as an uninterrupted run's.
 */
export class RunLogger {
  private readonly jsonl: JsonlWriter;
  private readonly tb: TensorBoardWriter | null;

  constructor(
    readonly dir: string,
    private readonly config: unknown,
    private readonly options: RunLoggerOptions,
    resumeAt?: LogPositions,
  ) {
    mkdirSync(dir, { recursive: true });
    this.jsonl = new JsonlWriter(join(dir, METRICS), resumeAt && (resumeAt[METRICS] ?? 0));
    this.tb = options.tensorboard ? openTensorBoard(join(dir, TB), resumeAt) : null;
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

  epoch(record: EpochRecord, globalEpoch: number): void {
    this.jsonl.write({ type: 'epoch', ...record });
    this.tb?.scalar('train/loss', record.loss, globalEpoch);
    this.tb?.scalar('train/accuracy', record.accuracy, globalEpoch);
    this.tb?.scalar('train/images_per_second', record.imagesPerSecond, globalEpoch);
  }

  evaluation(
    afterTask: number,
    task: number,
    split: 'test' | 'train',
    loss: number,
    accuracy: number,
  ): void {
    this.jsonl.write({ type: 'eval', afterTask, task, split, loss, accuracy });
    this.tb?.scalar(`${split}/accuracy/task_${task}`, accuracy, afterTask);
    this.tb?.scalar(`${split}/loss/task_${task}`, loss, afterTask);
  }

  /** After each task: summaries, projection ratios, and the result files. */
  task(results: RunResults, task: number): void {
    const last = results.projection[task] ?? [];
    this.jsonl.write({
      type: 'task',
      task,
      ACC: results.ACC,
      BWT: results.BWT,
      seconds: results.taskSeconds[task],
    });
    if (results.ACC !== null) this.tb?.scalar('continual/ACC', results.ACC, task);
    if (results.BWT !== null) this.tb?.scalar('continual/BWT', results.BWT, task);
    for (const r of last) this.tb?.scalar(`projection/kept_ratio/${r.layer}`, r.ratio, task);
    this.flush();
    this.results(results);
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
