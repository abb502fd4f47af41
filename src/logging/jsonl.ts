/** Append-only JSON-lines log: one self-describing object per line, readable while the run is live. */
import { readFileSync } from 'node:fs';
import type { EpochRecord } from '../metrics/run-results.js';
import { type AppendOnlyFile, openAppendOnly } from './append-only-file.js';

export type JsonlRecordType = 'epoch' | 'eval' | 'task' | (string & {});

export interface JsonlRecord {
  readonly type: JsonlRecordType;
  readonly [key: string]: unknown;
}

/** Convenience shape for the per-epoch line; other types are free-form. */
export type EpochLine = { readonly type: 'epoch' } & EpochRecord;

export class JsonlWriter {
  private readonly file: AppendOnlyFile;

  /** Appends to `path`; with `resumeAt`, first cuts the file back to that many bytes. */
  constructor(
    readonly path: string,
    resumeAt?: number,
  ) {
    this.file = openAppendOnly(path, resumeAt);
  }

  get size(): number {
    return this.file.size;
  }

  write(record: JsonlRecord): void {
    this.file.append(Buffer.from(`${toJsonLine(record)}\n`, 'utf8'));
  }

  flush(): void {
    this.file.flush();
  }

  close(): void {
    this.file.close();
  }
}

/** JSON for one line; NaN and ±Infinity become null, as JSON.stringify does, so lines always parse. */
export function toJsonLine(record: JsonlRecord): string {
  if (typeof record.type !== 'string' || record.type === '') {
    throw new Error('JSON-lines records need a non-empty string `type`');
  }
  return JSON.stringify(record);
}

/** Parses a JSON-lines file; a torn last line (a crash mid-write) is dropped. */
export function readJsonl(path: string): JsonlRecord[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  const out: JsonlRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as JsonlRecord);
    } catch (err) {
      if (i === lines.length - 1) return;
      throw new Error(`${path}:${i + 1}: ${(err as Error).message}`);
    }
  });
  return out;
}
