/**
 * The HParams plugin's summaries (tensorboard/plugins/hparams/plugin_data.proto and api.proto):
 * an experiment naming the hparams and metrics of a sweep, and per run the hparam values it used
 * and whether it finished. TensorBoard's HParams tab joins them with the runs' scalar metrics.
 */
import {
  decodeFields,
  fieldBytes,
  fieldDouble,
  fieldInt64,
  fieldString,
  findField,
  ProtoWriter,
  stringField,
} from './protobuf.js';

export const HPARAMS_PLUGIN = 'hparams';
/** The plugin finds its summaries by these tags (tensorboard/plugins/hparams/metadata.py). */
export const HPARAMS_TAGS = {
  experiment: '_hparams_/experiment',
  sessionStart: '_hparams_/session_start_info',
  sessionEnd: '_hparams_/session_end_info',
} as const;

export type HparamValue = number | string | boolean;
export type HparamType = 'string' | 'bool' | 'float64';

export interface HparamInfo {
  readonly name: string;
  readonly type: HparamType;
  /** The values the sweep tries; TensorBoard offers them as filters. Two or more mark it `differs`. */
  readonly values?: readonly HparamValue[];
  readonly displayName?: string;
  readonly description?: string;
}

export interface MetricInfo {
  /** A scalar tag every run writes into its own directory, e.g. `continual/ACC`. */
  readonly tag: string;
  readonly displayName?: string;
  readonly description?: string;
}

export interface HparamsExperiment {
  readonly hparams: readonly HparamInfo[];
  readonly metrics: readonly MetricInfo[];
}

export type SessionStatus = 'unknown' | 'success' | 'failure' | 'running';

export type HparamsPluginData =
  | {
      readonly kind: 'experiment';
      readonly experiment: HparamsExperiment;
      readonly timeCreatedSecs: number;
    }
  | {
      readonly kind: 'sessionStart';
      readonly hparams: Readonly<Record<string, HparamValue>>;
      /** Runs sharing a group (the seeds of one grid point) show as one row, metrics averaged. */
      readonly group: string;
      readonly startTimeSecs: number;
    }
  | { readonly kind: 'sessionEnd'; readonly status: SessionStatus; readonly endTimeSecs: number };

// Field numbers and enum values from plugin_data.proto, api.proto and google/protobuf/struct.proto.
const DATA_EXPERIMENT = 2;
const DATA_SESSION_START = 3;
const DATA_SESSION_END = 4;
const EXPERIMENT_TIME_CREATED = 3;
const EXPERIMENT_HPARAM_INFOS = 4;
const EXPERIMENT_METRIC_INFOS = 5;
const HPARAM_NAME = 1;
const HPARAM_DISPLAY_NAME = 2;
const HPARAM_DESCRIPTION = 3;
const HPARAM_TYPE = 4;
const HPARAM_DOMAIN_DISCRETE = 5;
const HPARAM_DIFFERS = 7;
const METRIC_NAME = 1;
const METRIC_DISPLAY_NAME = 3;
const METRIC_DESCRIPTION = 4;
const METRIC_NAME_TAG = 2;
const START_HPARAMS = 1;
const START_GROUP_NAME = 4;
const START_TIME = 5;
const END_STATUS = 1;
const END_TIME = 2;
const MAP_KEY = 1;
const MAP_VALUE = 2;
const LIST_VALUES = 1;
const VALUE_NUMBER = 2;
const VALUE_STRING = 3;
const VALUE_BOOL = 4;

const HPARAM_STRINGS = [HPARAM_NAME, HPARAM_DISPLAY_NAME, HPARAM_DESCRIPTION];
const METRIC_STRINGS = [METRIC_DISPLAY_NAME, METRIC_DESCRIPTION];
const DATA_TYPES: readonly HparamType[] = ['string', 'bool', 'float64']; // enum values 1, 2, 3
const STATUSES: readonly SessionStatus[] = ['unknown', 'success', 'failure', 'running'];

export function encodeHparamsPluginData(data: HparamsPluginData): Uint8Array {
  // version (field 1) is 0, which proto3 leaves out.
  const w = new ProtoWriter();
  switch (data.kind) {
    case 'experiment':
      return w.message(DATA_EXPERIMENT, encodeExperiment(data)).finish();
    case 'sessionStart':
      return w.message(DATA_SESSION_START, encodeSessionStart(data)).finish();
    case 'sessionEnd':
      return w
        .message(
          DATA_SESSION_END,
          new ProtoWriter()
            .varint(END_STATUS, STATUSES.indexOf(data.status))
            .double(END_TIME, data.endTimeSecs),
        )
        .finish();
  }
}

function encodeExperiment(data: HparamsPluginData & { kind: 'experiment' }): ProtoWriter {
  const w = new ProtoWriter().double(EXPERIMENT_TIME_CREATED, data.timeCreatedSecs);
  for (const h of data.experiment.hparams) w.message(EXPERIMENT_HPARAM_INFOS, encodeHparamInfo(h));
  for (const m of data.experiment.metrics) {
    const info = new ProtoWriter().message(
      METRIC_NAME,
      new ProtoWriter().string(METRIC_NAME_TAG, m.tag),
    );
    if (m.displayName) info.string(METRIC_DISPLAY_NAME, m.displayName);
    if (m.description) info.string(METRIC_DESCRIPTION, m.description);
    w.message(EXPERIMENT_METRIC_INFOS, info);
  }
  return w;
}

function encodeHparamInfo(h: HparamInfo): ProtoWriter {
  const w = new ProtoWriter().string(HPARAM_NAME, h.name);
  if (h.displayName) w.string(HPARAM_DISPLAY_NAME, h.displayName);
  if (h.description) w.string(HPARAM_DESCRIPTION, h.description);
  w.varint(HPARAM_TYPE, DATA_TYPES.indexOf(h.type) + 1);
  if (h.values !== undefined) {
    const list = new ProtoWriter();
    for (const v of h.values) {
      if (typeOf(v) !== h.type) throw new TypeError(`hparam ${h.name} (${h.type}) lists ${v}`);
      list.message(LIST_VALUES, encodeValue(v));
    }
    w.message(HPARAM_DOMAIN_DISCRETE, list);
    // The HParams tab shows the first five hparams by default, those that differ first.
    if (new Set(h.values).size > 1) w.bool(HPARAM_DIFFERS, true);
  }
  return w;
}

function encodeSessionStart(data: HparamsPluginData & { kind: 'sessionStart' }): ProtoWriter {
  const w = new ProtoWriter();
  for (const [name, v] of Object.entries(data.hparams)) {
    w.message(
      START_HPARAMS,
      new ProtoWriter().string(MAP_KEY, name).message(MAP_VALUE, encodeValue(v)),
    );
  }
  if (data.group) w.string(START_GROUP_NAME, data.group);
  return w.double(START_TIME, data.startTimeSecs);
}

/** A google.protobuf.Value; its oneof is written even when it holds 0, '' or false. */
function encodeValue(v: HparamValue): ProtoWriter {
  if (typeof v === 'number' && !Number.isFinite(v)) {
    throw new RangeError(`hparam values must be finite, got ${v}`);
  }
  const w = new ProtoWriter();
  if (typeof v === 'number') return w.double(VALUE_NUMBER, v);
  if (typeof v === 'boolean') return w.bool(VALUE_BOOL, v);
  return w.string(VALUE_STRING, v);
}

function typeOf(v: HparamValue): HparamType {
  return typeof v === 'number' ? 'float64' : typeof v === 'boolean' ? 'bool' : 'string';
}

export function decodeHparamsPluginData(data: Uint8Array): HparamsPluginData {
  for (const f of decodeFields(data)) {
    if (f.field === DATA_EXPERIMENT) return decodeExperiment(fieldBytes(f));
    if (f.field === DATA_SESSION_START) return decodeSessionStart(fieldBytes(f));
    if (f.field === DATA_SESSION_END) return decodeSessionEnd(fieldBytes(f));
  }
  throw new Error('hparams plugin data holds no experiment or session info');
}

function decodeExperiment(data: Uint8Array): HparamsPluginData {
  let timeCreatedSecs = 0;
  const hparams: HparamInfo[] = [];
  const metrics: MetricInfo[] = [];
  for (const f of decodeFields(data)) {
    if (f.field === EXPERIMENT_TIME_CREATED) timeCreatedSecs = fieldDouble(f);
    else if (f.field === EXPERIMENT_HPARAM_INFOS) hparams.push(decodeHparamInfo(fieldBytes(f)));
    else if (f.field === EXPERIMENT_METRIC_INFOS) metrics.push(decodeMetricInfo(fieldBytes(f)));
  }
  return { kind: 'experiment', experiment: { hparams, metrics }, timeCreatedSecs };
}

function decodeHparamInfo(data: Uint8Array): HparamInfo {
  const strings = new Map<number, string>();
  let type: HparamType = 'string';
  let values: HparamValue[] | undefined;
  for (const f of decodeFields(data)) {
    if (f.field === HPARAM_TYPE) type = DATA_TYPES[fieldInt64(f) - 1] ?? 'string';
    else if (f.field === HPARAM_DOMAIN_DISCRETE) {
      values = decodeFields(fieldBytes(f))
        .filter((v) => v.field === LIST_VALUES)
        .map((v) => decodeValue(fieldBytes(v)));
    } else if (HPARAM_STRINGS.includes(f.field)) strings.set(f.field, fieldString(f));
  }
  return withOptional(
    { name: strings.get(HPARAM_NAME) ?? '', type },
    {
      values,
      displayName: strings.get(HPARAM_DISPLAY_NAME),
      description: strings.get(HPARAM_DESCRIPTION),
    },
  );
}

function decodeMetricInfo(data: Uint8Array): MetricInfo {
  let tag = '';
  const strings = new Map<number, string>();
  for (const f of decodeFields(data)) {
    if (f.field === METRIC_NAME) tag = stringField(decodeFields(fieldBytes(f)), METRIC_NAME_TAG);
    else if (METRIC_STRINGS.includes(f.field)) strings.set(f.field, fieldString(f));
  }
  return withOptional(
    { tag },
    { displayName: strings.get(METRIC_DISPLAY_NAME), description: strings.get(METRIC_DESCRIPTION) },
  );
}

function decodeSessionStart(data: Uint8Array): HparamsPluginData {
  const hparams: Record<string, HparamValue> = {};
  let group = '';
  let startTimeSecs = 0;
  for (const f of decodeFields(data)) {
    if (f.field === START_HPARAMS) {
      const entry = decodeFields(fieldBytes(f));
      const value = findField(entry, MAP_VALUE);
      if (value) hparams[stringField(entry, MAP_KEY)] = decodeValue(fieldBytes(value));
    } else if (f.field === START_GROUP_NAME) group = fieldString(f);
    else if (f.field === START_TIME) startTimeSecs = fieldDouble(f);
  }
  return { kind: 'sessionStart', hparams, group, startTimeSecs };
}

function decodeSessionEnd(data: Uint8Array): HparamsPluginData {
  let status: SessionStatus = 'unknown';
  let endTimeSecs = 0;
  for (const f of decodeFields(data)) {
    if (f.field === END_STATUS) status = STATUSES[fieldInt64(f)] ?? 'unknown';
    else if (f.field === END_TIME) endTimeSecs = fieldDouble(f);
  }
  return { kind: 'sessionEnd', status, endTimeSecs };
}

function decodeValue(data: Uint8Array): HparamValue {
  for (const f of decodeFields(data)) {
    if (f.field === VALUE_NUMBER) return fieldDouble(f);
    if (f.field === VALUE_STRING) return fieldString(f);
    if (f.field === VALUE_BOOL) return fieldInt64(f) !== 0;
  }
  throw new Error('hparam value is neither a number, a string nor a bool');
}

/** `base` plus those of `optional` that are set, so decoded objects equal what was encoded. */
function withOptional<T extends object, O extends object>(base: T, optional: O): T & Partial<O> {
  const set = Object.entries(optional).filter(([, v]) => v !== undefined);
  return { ...base, ...Object.fromEntries(set) } as T & Partial<O>;
}

/**
 * Hparam infos and per-run values for a sweep's runs, given as `{name: value}` each. A name whose
 * values are all numbers is float64, all booleans bool; anything else becomes a string (JSON
 * for arrays and objects), in the infos and in every run alike, so TensorBoard can filter on it.
 */
export function sweepHparams(runs: readonly Readonly<Record<string, unknown>>[]): {
  readonly infos: HparamInfo[];
  readonly runs: Record<string, HparamValue>[];
} {
  const given = runs.map((r) => Object.entries(r).filter(([, v]) => v !== undefined));
  const names = [...new Set(given.flatMap((entries) => entries.map(([n]) => n)))];
  const types = new Map(names.map((n) => [n, commonType(runs.map((r) => r[n]))]));
  const values = given.map((entries) =>
    Object.fromEntries(entries.map(([n, v]) => [n, asType(v, types.get(n) ?? 'string')])),
  );
  const infos = names.map((name) => {
    const type = types.get(name) ?? 'string';
    const seen = values.flatMap((r) => (name in r ? [r[name]] : []));
    return { name, type, values: sortedUnique(seen) };
  });
  return { infos, runs: values };
}

function commonType(values: readonly unknown[]): HparamType {
  const present = values.filter((v) => v !== undefined);
  if (present.every((v) => typeof v === 'number' && Number.isFinite(v))) return 'float64';
  if (present.every((v) => typeof v === 'boolean')) return 'bool';
  return 'string';
}

function asType(v: unknown, type: HparamType): HparamValue {
  if (type !== 'string') return v as number | boolean;
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function sortedUnique(values: readonly HparamValue[]): HparamValue[] {
  return [...new Set(values)].sort((a, b) =>
    typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b)),
  );
}
