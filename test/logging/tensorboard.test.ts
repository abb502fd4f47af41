import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskedCrc32c } from '../../src/logging/crc32c.js';
import {
  decodeRecords,
  encodeEvent,
  frameRecord,
  HPARAMS_EXPERIMENT_FILE,
  readEventFile,
  TensorBoardWriter,
  writeHparamsExperiment,
} from '../../src/logging/tensorboard.js';
import { tempDirPerTest } from '../helpers.js';

const tempDir = tempDirPerTest('tb-test-');

/** A clock that advances 1.5 s per call, starting at 2024-01-01T00:00:00Z. */
function fakeClock(): () => number {
  let t = 1_704_067_200_000;
  return () => {
    const now = t;
    t += 1500;
    return now;
  };
}

describe('encodeEvent', () => {
  it('matches bytes and masked CRC of a record from a real TensorFlow event file', () => {
    // Vector from TensorBoard's rustboard (masked_crc.rs): Event(file_version=b"CRC test, one two").
    const data = encodeEvent({
      wallTime: 0,
      step: 0,
      fileVersion: 'CRC test, one two',
      scalars: [],
    });
    expect(Buffer.from(data).toString('latin1')).toBe('\x1a\x11CRC test, one two');
    expect(maskedCrc32c(data)).toBe(0x5794d08a);
  });

  it('encodes a scalar as Event{1: wall_time, 2: step, 5: Summary{1: Value{1: tag, 2: float}}}', () => {
    const data = encodeEvent({ wallTime: 1, step: 3, scalars: [{ tag: 'a', value: 1 }] });
    expect(Buffer.from(data).toString('hex')).toBe(
      `09${'000000000000f03f'}1003${'2a0a'}${'0a08'}${'0a0161'}${'150000803f'}`,
    );
  });
});

describe('encodeEvent summaries of the plugins', () => {
  // Expected bytes: Summary protos built with tensorboard 2.21 (text summary_v2.text_pb; a
  // Value with metadata.NULL_TENSOR and hparams plugin data) and serialised by Python.
  const summaryHex = (data: Uint8Array) => {
    const hexed = Buffer.from(data).toString('hex');
    return hexed.slice(hexed.indexOf('2a') + 4);
  };

  it('writes text as a scalar string tensor with the text plugin name', () => {
    const data = encodeEvent({
      wallTime: 0,
      step: 0,
      scalars: [],
      texts: [{ tag: 'cfg', text: 'hi' }],
    });
    expect(summaryHex(data)).toBe('0a190a03636667420808071200420268694a080a060a0474657874');
  });

  it('writes hparams plugin data next to the empty float tensor TensorBoard writes', () => {
    const data = encodeEvent({
      wallTime: 0,
      step: 0,
      scalars: [],
      hparams: [
        {
          tag: '_hparams_/session_end_info',
          data: { kind: 'sessionEnd', status: 'success', endTimeSecs: 3 },
        },
      ],
    });
    expect(summaryHex(data)).toBe(
      '0a400a1a5f68706172616d735f2f73657373696f6e5f656e645f696e666f42060801120212004a1a0a180a0768706172616d73120d220b0801110000000000000840',
    );
  });
});

describe('frameRecord', () => {
  it('lays out length, masked length CRC, data, masked data CRC', () => {
    const data = new TextEncoder().encode('abc');
    const rec = frameRecord(data);
    const view = new DataView(rec.buffer);
    expect(rec.length).toBe(8 + 4 + 3 + 4);
    expect(view.getBigUint64(0, true)).toBe(3n);
    expect(view.getUint32(8, true)).toBe(maskedCrc32c(rec.subarray(0, 8)));
    expect(Buffer.from(rec.subarray(12, 15)).toString()).toBe('abc');
    expect(view.getUint32(15, true)).toBe(maskedCrc32c(data));
  });
});

describe('TensorBoardWriter', () => {
  it('names the file events.out.tfevents.<seconds>.<host>', () => {
    const w = new TensorBoardWriter(tempDir(), { now: fakeClock(), hostname: 'box' });
    w.close();
    expect(basename(w.path)).toBe('events.out.tfevents.1704067200.box');
    expect(readdirSync(tempDir())).toEqual(['events.out.tfevents.1704067200.box']);
  });

  it('does not clobber a writer started in the same second', () => {
    const a = new TensorBoardWriter(tempDir(), { now: fakeClock(), hostname: 'box' });
    const b = new TensorBoardWriter(tempDir(), { now: fakeClock(), hostname: 'box' });
    a.close();
    b.close();
    expect(a.path).not.toBe(b.path);
    expect(readdirSync(tempDir()).sort()).toEqual([
      'events.out.tfevents.1704067200.box',
      'events.out.tfevents.1704067200.box.1',
    ]);
  });

  it('round-trips the file_version event and scalars', () => {
    const w = new TensorBoardWriter(tempDir(), { now: fakeClock(), hostname: 'box' });
    w.scalar('train/loss', 0.25, 1);
    w.scalar('test/acc/task 0', 97.3, 2);
    w.scalar('big step', -1e-3, 2 ** 40);
    w.flush();
    w.close();
    const events = readEventFile(w.path);
    expect(events).toEqual([
      { wallTime: 1_704_067_201.5, step: 0, fileVersion: 'brain.Event:2', scalars: [] },
      { wallTime: 1_704_067_203, step: 1, scalars: [{ tag: 'train/loss', value: 0.25 }] },
      {
        wallTime: 1_704_067_204.5,
        step: 2,
        scalars: [{ tag: 'test/acc/task 0', value: Math.fround(97.3) }],
      },
      {
        wallTime: 1_704_067_206,
        step: 2 ** 40,
        scalars: [{ tag: 'big step', value: Math.fround(-1e-3) }],
      },
    ]);
  });

  it('round-trips histograms, text and hparams sessions, each framed with valid CRCs', () => {
    const w = new TensorBoardWriter(tempDir(), { now: fakeClock(), hostname: 'box' });
    w.text('run/config', '```json\n{"a": 10}\n```', 0);
    w.hparamsSession({ a: 10, strategy: 'adam-nscl', bn: false }, { group: 'a=10' });
    w.histogram('projection/spectrum_log10/fc1', [-12, -12, -3, 0.5, 2], 4, 3);
    w.scalar('continual/ACC', 91.5, 4);
    w.hparamsSessionEnd('success');
    w.close();
    const events = readEventFile(w.path);
    expect(events.map((e) => e.step)).toEqual([0, 0, 0, 4, 4, 0]);
    expect(events[1]).toEqual({
      wallTime: 1_704_067_203,
      step: 0,
      scalars: [],
      texts: [{ tag: 'run/config', text: '```json\n{"a": 10}\n```' }],
    });
    expect(events[2].hparams).toEqual([
      {
        tag: '_hparams_/session_start_info',
        data: {
          kind: 'sessionStart',
          hparams: { a: 10, strategy: 'adam-nscl', bn: false },
          group: 'a=10',
          startTimeSecs: 1_704_067_204.5,
        },
      },
    ]);
    expect(events[3].histograms).toEqual([
      {
        tag: 'projection/spectrum_log10/fc1',
        histogram: {
          min: -12,
          max: 2,
          num: 5,
          sum: -24.5,
          sumSquares: 301.25,
          bucketLimit: [-12 + 14 / 3, -12 + 28 / 3, 2],
          bucket: [2, 1, 2],
        },
      },
    ]);
    expect(events[3].scalars).toEqual([]);
    expect(events[4].scalars).toEqual([{ tag: 'continual/ACC', value: 91.5 }]);
    expect(events[5].hparams?.[0]).toEqual({
      tag: '_hparams_/session_end_info',
      data: { kind: 'sessionEnd', status: 'success', endTimeSecs: 1_704_067_209 },
    });
    const bytes = readFileSync(w.path);
    const records = decodeRecords(bytes);
    expect(records).toHaveLength(6);
    expect(records.reduce((n, r) => n + 16 + r.length, 0)).toBe(bytes.length);
  });

  it('keeps what was written before a crash readable without close', () => {
    const w = new TensorBoardWriter(tempDir(), { now: fakeClock(), hostname: 'box' });
    w.scalar('x', 1, 1);
    expect(readEventFile(w.path).map((e) => e.scalars)).toEqual([[], [{ tag: 'x', value: 1 }]]);
    w.close();
  });

  it('refuses writes after close and tolerates a double close', () => {
    const w = new TensorBoardWriter(tempDir(), { hostname: 'box' });
    w.close();
    w.close();
    expect(() => w.scalar('x', 1, 1)).toThrow(/closed/);
  });

  it('rejects a non-integer step', () => {
    const w = new TensorBoardWriter(tempDir(), { hostname: 'box' });
    expect(() => w.scalar('x', 1, 1.5)).toThrow(RangeError);
    expect(() => w.histogram('x', [1], Number.NaN)).toThrow(RangeError);
    expect(() => w.text('x', 'y', -0.5)).toThrow(RangeError);
    w.close();
  });
});

describe('writeHparamsExperiment', () => {
  const experiment = (values: number[]) => ({
    hparams: [{ name: 'a', type: 'float64' as const, values }],
    metrics: [{ tag: 'continual/ACC', displayName: 'ACC (%)' }],
  });

  it('writes the experiment alone into one event file, creating the dir', () => {
    const root = join(tempDir(), 'sweep');
    const path = writeHparamsExperiment(root, experiment([10, 30]), {
      now: () => 1_704_067_200_000,
    });
    expect(path).toBe(join(root, HPARAMS_EXPERIMENT_FILE));
    expect(readEventFile(path)).toEqual([
      { wallTime: 1_704_067_200, step: 0, fileVersion: 'brain.Event:2', scalars: [] },
      {
        wallTime: 1_704_067_200,
        step: 0,
        scalars: [],
        hparams: [
          {
            tag: '_hparams_/experiment',
            data: {
              kind: 'experiment',
              timeCreatedSecs: 1_704_067_200,
              experiment: experiment([10, 30]),
            },
          },
        ],
      },
    ]);
  });

  it('replaces an earlier experiment, leaving no temporary file', () => {
    writeHparamsExperiment(tempDir(), experiment([10, 30]));
    const path = writeHparamsExperiment(tempDir(), experiment([10, 30, 100]));
    expect(readdirSync(tempDir())).toEqual([HPARAMS_EXPERIMENT_FILE]);
    const data = readEventFile(path).flatMap((e) => e.hparams ?? [])[0].data;
    expect(data.kind === 'experiment' && data.experiment.hparams[0].values).toEqual([10, 30, 100]);
  });
});

describe('readEventFile', () => {
  function writeSample(): string {
    const w = new TensorBoardWriter(tempDir(), { now: fakeClock(), hostname: 'box' });
    w.scalar('loss', 0.5, 1);
    w.close();
    return w.path;
  }

  it('detects a corrupted payload byte', () => {
    const path = writeSample();
    const bytes = readFileSync(path);
    bytes[bytes.length - 6] ^= 0x01;
    writeFileSync(path, bytes);
    expect(() => readEventFile(path)).toThrow(/data CRC mismatch/);
  });

  it('detects a corrupted byte inside a histogram record', () => {
    const w = new TensorBoardWriter(tempDir(), { now: fakeClock(), hostname: 'box' });
    w.histogram('h', [1, 2, 3], 1);
    w.close();
    const bytes = readFileSync(w.path);
    bytes[bytes.length - 20] ^= 0x10;
    writeFileSync(w.path, bytes);
    expect(() => readEventFile(w.path)).toThrow(/data CRC mismatch/);
  });

  it('detects a corrupted length', () => {
    const path = writeSample();
    const bytes = readFileSync(path);
    bytes[0] ^= 0x01;
    writeFileSync(path, bytes);
    expect(() => readEventFile(path)).toThrow(/length CRC mismatch/);
  });

  it('throws on a torn last record unless told to accept it', () => {
    const path = writeSample();
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 3));
    expect(() => readEventFile(path)).toThrow(/truncated/);
    expect(readEventFile(path, { allowTruncatedTail: true })).toHaveLength(1);
    expect(decodeRecords(new Uint8Array(0))).toEqual([]);
  });
});
