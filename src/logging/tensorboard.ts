/**
 * TensorBoard logging: Event protos (tensorflow/core/util/event.proto,
 * tensorflow/core/framework/summary.proto, tensor.proto) framed as TFRecords
 * (tensorflow/core/lib/io/record_writer.cc). Scalars, histograms, Markdown text and the
 * HParams plugin's summaries.
 */
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeAtomic } from '../util/write-atomic.js';
import { AppendOnlyFile, openAppendOnly } from './append-only-file.js';
import { maskedCrc32c } from './crc32c.js';
import {
  decodeFields,
  fieldBytes,
  fieldDouble,
  fieldFloat,
  fieldInt64,
  fieldString,
  findField,
  type ProtoField,
  ProtoWriter,
  stringField,
} from './protobuf.js';
import {
  DEFAULT_BUCKETS,
  decodeHistogram,
  encodeHistogram,
  type HistogramValue,
  histogramOf,
} from './tb-histogram.js';
import {
  decodeHparamsPluginData,
  encodeHparamsPluginData,
  HPARAMS_PLUGIN,
  HPARAMS_TAGS,
  type HparamsExperiment,
  type HparamsPluginData,
  type HparamValue,
  type SessionStatus,
} from './tb-hparams.js';

// Field numbers and enum values from event.proto, summary.proto, tensor.proto, types.proto.
const EVENT_WALL_TIME = 1;
const EVENT_STEP = 2;
const EVENT_FILE_VERSION = 3;
const EVENT_SUMMARY = 5;
const SUMMARY_VALUE = 1;
const VALUE_TAG = 1;
const VALUE_SIMPLE_VALUE = 2;
const VALUE_HISTO = 5;
const VALUE_TENSOR = 8;
const VALUE_METADATA = 9;
const METADATA_PLUGIN_DATA = 1;
const PLUGIN_NAME = 1;
const PLUGIN_CONTENT = 2;
const TENSOR_DTYPE = 1;
const TENSOR_SHAPE = 2;
const TENSOR_STRING_VAL = 8;
const SHAPE_DIM = 2;
const DT_FLOAT = 1;
const DT_STRING = 7;

const TEXT_PLUGIN = 'text';

export const FILE_VERSION = 'brain.Event:2';

export interface ScalarValue {
  readonly tag: string;
  readonly value: number;
}

export interface HistogramSummary {
  readonly tag: string;
  readonly histogram: HistogramValue;
}

export interface TextSummary {
  readonly tag: string;
  /** Markdown, as the text dashboard renders it. */
  readonly text: string;
}

export interface HparamsSummary {
  readonly tag: string;
  readonly data: HparamsPluginData;
}

export interface DecodedEvent {
  /** Seconds since the Unix epoch. */
  readonly wallTime: number;
  readonly step: number;
  readonly fileVersion?: string;
  readonly scalars: ScalarValue[];
  // Present only when the event holds some, so scalar-only events read as they always did.
  readonly histograms?: HistogramSummary[];
  readonly texts?: TextSummary[];
  readonly hparams?: HparamsSummary[];
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
  const values = [
    ...event.scalars.map((s) => valueWriter(s.tag).float(VALUE_SIMPLE_VALUE, s.value)),
    ...(event.histograms ?? []).map((h) =>
      valueWriter(h.tag).message(VALUE_HISTO, encodeHistogram(h.histogram)),
    ),
    ...(event.texts ?? []).map((t) => textValue(t)),
    ...(event.hparams ?? []).map((h) => hparamsValue(h)),
  ];
  if (values.length > 0) {
    const summary = new ProtoWriter();
    for (const v of values) summary.message(SUMMARY_VALUE, v);
    w.message(EVENT_SUMMARY, summary);
  }
  return w.finish();
}

function valueWriter(tag: string): ProtoWriter {
  return new ProtoWriter().string(VALUE_TAG, tag);
}

function pluginMetadata(plugin: string, content?: Uint8Array): ProtoWriter {
  const data = new ProtoWriter().string(PLUGIN_NAME, plugin);
  if (content !== undefined) data.bytes(PLUGIN_CONTENT, content);
  return new ProtoWriter().message(METADATA_PLUGIN_DATA, data);
}

/** A scalar string tensor, as tensorboard.plugins.text.summary_v2.text_pb writes it. */
function textValue(t: TextSummary): ProtoWriter {
  const tensor = new ProtoWriter()
    .varint(TENSOR_DTYPE, DT_STRING)
    .message(TENSOR_SHAPE, new ProtoWriter())
    .string(TENSOR_STRING_VAL, t.text);
  return valueWriter(t.tag)
    .message(VALUE_TENSOR, tensor)
    .message(VALUE_METADATA, pluginMetadata(TEXT_PLUGIN));
}

/** The plugin reads only the metadata; the tensor is the empty float vector its writer uses. */
function hparamsValue(h: HparamsSummary): ProtoWriter {
  const nullTensor = new ProtoWriter()
    .varint(TENSOR_DTYPE, DT_FLOAT)
    .message(TENSOR_SHAPE, new ProtoWriter().message(SHAPE_DIM, new ProtoWriter()));
  return valueWriter(h.tag)
    .message(VALUE_TENSOR, nullTensor)
    .message(VALUE_METADATA, pluginMetadata(HPARAMS_PLUGIN, encodeHparamsPluginData(h.data)));
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

/**
 * Appends events to `events.out.tfevents.<unix seconds>.<hostname>` in `dir`, one per call, each
 * handed to the kernel at once so a crashed process loses nothing already written.
 */
export class TensorBoardWriter {
  private readonly file: AppendOnlyFile;
  private readonly now: () => number;

  constructor(dir: string, options: TensorBoardWriterOptions = {}) {
    this.now = options.now ?? Date.now;
    if (options.resume) {
      this.file = openAppendOnly(options.resume.path, options.resume.bytes);
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
    this.summary(step, { scalars: [{ tag, value }] });
  }

  /** Equal-width buckets between min and max; `values` must be finite and not empty. */
  histogram(tag: string, values: ArrayLike<number>, step: number, buckets = DEFAULT_BUCKETS): void {
    this.summary(step, { histograms: [{ tag, histogram: histogramOf(values, buckets) }] });
  }

  /** Shown in the Text dashboard, rendered as Markdown. */
  text(tag: string, markdown: string, step: number): void {
    this.summary(step, { texts: [{ tag, text: markdown }] });
  }

  /**
   * Marks this run as one session of a sweep with these hparam values; runs sharing `group`
   * (the seeds of one grid point) form one row of the HParams tab, their metrics averaged.
   */
  hparamsSession(
    hparams: Readonly<Record<string, HparamValue>>,
    options: { group?: string } = {},
  ): void {
    this.hparams((now) => ({
      kind: 'sessionStart',
      hparams,
      group: options.group ?? '',
      startTimeSecs: now,
    }));
  }

  /** TensorBoard keeps the first end status a session reports, so write it once, at the end. */
  hparamsSessionEnd(status: SessionStatus): void {
    this.hparams((now) => ({ kind: 'sessionEnd', status, endTimeSecs: now }));
  }

  flush(): void {
    this.file.flush();
  }

  close(): void {
    this.file.close();
  }

  /** The session times equal the event's wall time. */
  private hparams(data: (wallTime: number) => HparamsPluginData): void {
    const wallTime = this.wallTime();
    this.append(hparamsEvent(wallTime, data(wallTime)));
  }

  private summary(step: number, values: Partial<Summaries>): void {
    if (!Number.isSafeInteger(step)) throw new RangeError(`step must be an integer, got ${step}`);
    this.append({ wallTime: this.wallTime(), step, scalars: [], ...values });
  }

  private wallTime(): number {
    return this.now() / 1000;
  }

  private append(event: DecodedEvent): void {
    this.file.append(frameRecord(encodeEvent(event)));
  }
}

/**
 * A fixed name, so writing the experiment again replaces it: TensorBoard keeps the first
 * experiment summary it reads, and a sweep resumed with a wider grid must show the new one.
 */
export const HPARAMS_EXPERIMENT_FILE = 'events.out.tfevents.0.hparams-experiment';

/**
 * Writes a sweep's experiment summary into `dir`, the sweep's root log dir, so that
 * `tensorboard --logdir <dir>` compares the runs below it in the HParams tab. Returns the path.
 */
export function writeHparamsExperiment(
  dir: string,
  experiment: HparamsExperiment,
  options: Pick<TensorBoardWriterOptions, 'now'> = {},
): string {
  mkdirSync(dir, { recursive: true });
  const wallTime = (options.now ?? Date.now)() / 1000;
  const data: HparamsPluginData = { kind: 'experiment', experiment, timeCreatedSecs: wallTime };
  const events: DecodedEvent[] = [
    { wallTime, step: 0, fileVersion: FILE_VERSION, scalars: [] },
    hparamsEvent(wallTime, data),
  ];
  const path = join(dir, HPARAMS_EXPERIMENT_FILE);
  // The temporary name lacks "tfevents", so TensorBoard never reads a half-written file.
  const tmp = join(dir, `.hparams-experiment.${process.pid}.tmp`);
  writeAtomic(path, Buffer.concat(events.map((e) => frameRecord(encodeEvent(e)))), tmp);
  return path;
}

/** At step 0, as TensorBoard's own writer; the plugin finds each kind of data by its tag. */
function hparamsEvent(wallTime: number, data: HparamsPluginData): DecodedEvent {
  return { wallTime, step: 0, scalars: [], hparams: [{ tag: HPARAMS_TAGS[data.kind], data }] };
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
  const parts: Summaries = { scalars: [], histograms: [], texts: [], hparams: [] };
  for (const f of decodeFields(data)) {
    if (f.field === EVENT_WALL_TIME) wallTime = fieldDouble(f);
    else if (f.field === EVENT_STEP) step = fieldInt64(f);
    else if (f.field === EVENT_FILE_VERSION) fileVersion = fieldString(f);
    else if (f.field === EVENT_SUMMARY) decodeSummary(fieldBytes(f), parts);
  }
  const { scalars, histograms, texts, hparams } = parts;
  return {
    wallTime,
    step,
    ...(fileVersion !== undefined && { fileVersion }),
    scalars,
    ...(histograms.length > 0 && { histograms }),
    ...(texts.length > 0 && { texts }),
    ...(hparams.length > 0 && { hparams }),
  };
}

interface Summaries {
  readonly scalars: ScalarValue[];
  readonly histograms: HistogramSummary[];
  readonly texts: TextSummary[];
  readonly hparams: HparamsSummary[];
}

/** Sorts each Summary.Value by kind into `into`; kinds this project never writes are skipped. */
function decodeSummary(data: Uint8Array, into: Summaries): void {
  for (const f of decodeFields(data)) {
    if (f.field !== SUMMARY_VALUE) continue;
    const v = decodeFields(fieldBytes(f));
    const tag = stringField(v, VALUE_TAG);
    const simple = findField(v, VALUE_SIMPLE_VALUE);
    const histo = findField(v, VALUE_HISTO);
    const tensor = findField(v, VALUE_TENSOR);
    const plugin = pluginOf(v);
    if (simple) into.scalars.push({ tag, value: fieldFloat(simple) });
    else if (histo) into.histograms.push({ tag, histogram: decodeHistogram(fieldBytes(histo)) });
    else if (plugin?.name === TEXT_PLUGIN && tensor) {
      const text = stringField(decodeFields(fieldBytes(tensor)), TENSOR_STRING_VAL);
      into.texts.push({ tag, text });
    } else if (plugin?.name === HPARAMS_PLUGIN) {
      into.hparams.push({ tag, data: decodeHparamsPluginData(plugin.content) });
    }
  }
}

function pluginOf(value: readonly ProtoField[]): { name: string; content: Uint8Array } | null {
  const metadata = findField(value, VALUE_METADATA);
  const data = metadata
    ? findField(decodeFields(fieldBytes(metadata)), METADATA_PLUGIN_DATA)
    : undefined;
  if (!data) return null;
  const fields = decodeFields(fieldBytes(data));
  const content = findField(fields, PLUGIN_CONTENT);
  return {
    name: stringField(fields, PLUGIN_NAME),
    content: content ? fieldBytes(content) : new Uint8Array(0),
  };
}
