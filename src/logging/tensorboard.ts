/**
 * TensorBoard scalar logging: Event protos (tensorflow/core/util/event.proto,
 * tensorflow/core/framework/summary.proto) framed as TFRecords
 * (tensorflow/core/lib/io/record_writer.cc).
 */
import { openSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { AppendOnlyFile, reopenTruncated } from './append-only-file.js';
import { maskedCrc32c } from './crc32c.js';
import {
  decodeFields,
  fieldBytes,
  fieldDouble,
  fieldFloat,
  fieldInt64,
  fieldString,
  ProtoWriter,
} from './protobuf.js';

// Field numbers from event.proto / summary.proto.
const EVENT_WALL_TIME = 1;
const EVENT_STEP = 2;
const EVENT_FILE_VERSION = 3;
const EVENT_SUMMARY = 5;
const SUMMARY_VALUE = 1;
const VALUE_TAG = 1;
const VALUE_SIMPLE_VALUE = 2;

export const FILE_VERSION = 'brain.Event:2';

export interface ScalarValue {
  readonly tag: string;
  readonly value: number;
}

export interface DecodedEvent {
  /** Seconds since the Unix epoch. */
  readonly wallTime: number;
  readonly step: number;
  readonly fileVersion?: string;
  readonly scalars: ScalarValue[];
}

export interface TensorBoardWriterOptions {
  /** Milliseconds since the epoch; injectable so tests get deterministic wall times. */
  readonly now?: () => number;
  readonly hostname?: string;
  /** Continue an existing event file, cut back to `bytes` (a resumed run's checkpoint). */
  readonly resume?: { readonly path: string; readonly bytes: number };
}

export function encodeEvent(event: DecodedEvent): Uint8Array {
  // proto3 omits zero-valued scalars; doing the same keeps our bytes identical to TensorFlow's.
  const w = new ProtoWriter();
  if (event.wallTime !== 0) w.double(EVENT_WALL_TIME, event.wallTime);
  if (event.step !== 0) w.varint(EVENT_STEP, event.step);
  if (event.fileVersion !== undefined) w.string(EVENT_FILE_VERSION, event.fileVersion);
  if (event.scalars.length > 0) {
    const summary = new ProtoWriter();
    for (const s of event.scalars) {
      summary.message(
        SUMMARY_VALUE,
        new ProtoWriter().string(VALUE_TAG, s.tag).float(VALUE_SIMPLE_VALUE, s.value),
      );
    }
    w.message(EVENT_SUMMARY, summary);
  }
  return w.finish();
}

/** One TFRecord: u64 LE length, masked CRC of those 8 bytes, payload, masked CRC of payload. */
export function frameRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** Appends scalar events to `events.out.tfevents.<unix seconds>.<hostname>` in `dir`. */
export class TensorBoardWriter {
  private readonly file: AppendOnlyFile;
  private readonly now: () => number;

  constructor(dir: string, options: TensorBoardWriterOptions = {}) {
    this.now = options.now ?? Date.now;
    if (options.resume) {
      this.file = reopenTruncated(options.resume.path, options.resume.bytes);
      return;
    }
    const base = `events.out.tfevents.${Math.floor(this.now() / 1000)}.${options.hostname ?? hostname()}`;
    const { path, fd } = openFresh(dir, base);
    this.file = new AppendOnlyFile(path, fd);
    this.append({ wallTime: this.wallTime(), step: 0, fileVersion: FILE_VERSION, scalars: [] });
  }

  get path(): string {
    return this.file.path;
  }

  get size(): number {
    return this.file.size;
  }

  scalar(tag: string, value: number, step: number): void {
    if (!Number.isSafeInteger(step)) throw new RangeError(`step must be an integer, got ${step}`);
    this.append({ wallTime: this.wallTime(), step, scalars: [{ tag, value }] });
  }

  flush(): void {
    this.file.flush();
  }

  close(): void {
    this.file.close();
  }

  private wallTime(): number {
    return this.now() / 1000;
  }

  private append(event: DecodedEvent): void {
    this.file.append(frameRecord(encodeEvent(event)));
  }
}

// Two writers started in the same second in one dir would otherwise clobber each other.
function openFresh(dir: string, base: string): { path: string; fd: number } {
  for (let n = 0; ; n++) {
    const path = join(dir, n === 0 ? base : `${base}.${n}`);
    try {
      return { path, fd: openSync(path, 'wx') };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 1000) throw err;
    }
  }
}

export interface ReadEventFileOptions {
  /** Accept a torn final record (a run killed mid-write) instead of throwing. */
  readonly allowTruncatedTail?: boolean;
}

export function readEventFile(path: string, options: ReadEventFileOptions = {}): DecodedEvent[] {
  return decodeRecords(readFileSync(path), options).map(decodeEvent);
}

/** Splits TFRecord framing, verifying both CRCs of every record. */
export function decodeRecords(bytes: Uint8Array, options: ReadEventFileOptions = {}): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const records: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const torn = (what: string): Uint8Array[] => {
      if (options.allowTruncatedTail) return records;
      throw new Error(`truncated TFRecord ${what} at byte ${pos}`);
    };
    if (pos + 12 > bytes.length) return torn('header');
    checkCrc(bytes.subarray(pos, pos + 8), view.getUint32(pos + 8, true), 'length', pos);
    const len = Number(view.getBigUint64(pos, true));
    const start = pos + 12;
    if (start + len + 4 > bytes.length) return torn('payload');
    const data = bytes.subarray(start, start + len);
    checkCrc(data, view.getUint32(start + len, true), 'data', pos);
    records.push(data);
    pos = start + len + 4;
  }
  return records;
}

function checkCrc(data: Uint8Array, stored: number, what: string, pos: number): void {
  const actual = maskedCrc32c(data);
  if (actual !== stored) {
    throw new Error(
      `TFRecord ${what} CRC mismatch at byte ${pos}: stored 0x${hex(stored)}, computed 0x${hex(actual)}`,
    );
  }
}

function hex(n: number): string {
  return n.toString(16).padStart(8, '0');
}

export function decodeEvent(data: Uint8Array): DecodedEvent {
  let wallTime = 0;
  let step = 0;
  let fileVersion: string | undefined;
  const scalars: ScalarValue[] = [];
  for (const f of decodeFields(data)) {
    if (f.field === EVENT_WALL_TIME) wallTime = fieldDouble(f);
    else if (f.field === EVENT_STEP) step = fieldInt64(f);
    else if (f.field === EVENT_FILE_VERSION) fileVersion = fieldString(f);
    else if (f.field === EVENT_SUMMARY) scalars.push(...decodeSummary(fieldBytes(f)));
  }
  return fileVersion === undefined
    ? { wallTime, step, scalars }
    : { wallTime, step, fileVersion, scalars };
}

function decodeSummary(data: Uint8Array): ScalarValue[] {
  const out: ScalarValue[] = [];
  for (const f of decodeFields(data)) {
    if (f.field !== SUMMARY_VALUE) continue;
    let tag = '';
    let value: number | undefined;
    for (const v of decodeFields(fieldBytes(f))) {
      if (v.field === VALUE_TAG) tag = fieldString(v);
      else if (v.field === VALUE_SIMPLE_VALUE) value = fieldFloat(v);
    }
    // Values without simple_value (images, histograms) are not scalars.
    if (value !== undefined) out.push({ tag, value });
  }
  return out;
}
