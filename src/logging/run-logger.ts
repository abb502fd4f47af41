import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EpochRecord, RunResults } from '../metrics/run-results.js';
import { accuracyMatrixCsv } from './csv.js';
import { writeReport } from './html-report.js';
import { JsonlWriter } from './jsonl.js';
import { TensorBoardWriter } from './tensorboard.js';

function writeAtomic(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/**
 * Everything a run writes to its output directory: results.json, accuracy-matrix.csv and
 * report.html after each task, metrics.jsonl per epoch and evaluation, TensorBoard scalars.
 */
export class RunLogger {
  private readonly jsonl: JsonlWriter;
  private readonly tb: TensorBoardWriter | null;

  constructor(
    readonly dir: string,
    private readonly config: unknown,
    private readonly options: { tensorboard: boolean; report: boolean },
  ) {
    mkdirSync(dir, { recursive: true });
    writeAtomic(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
    this.jsonl = new JsonlWriter(join(dir, 'metrics.jsonl'));
    if (options.tensorboard) mkdirSync(join(dir, 'tb'), { recursive: true });
    this.tb = options.tensorboard ? new TensorBoardWriter(join(dir, 'tb')) : null;
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
    this.tb?.flush();
    this.jsonl.flush();
    writeAtomic(join(this.dir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
    writeAtomic(join(this.dir, 'accuracy-matrix.csv'), accuracyMatrixCsv(results));
    if (this.options.report) writeReport(this.dir, results, this.config);
  }

  close(): void {
    this.jsonl.close();
    this.tb?.close();
  }
}
