import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { maskedCrc32c } from '../../src/logging/crc32c.js';
import {
  decodeRecords,
  encodeEvent,
  frameRecord,
  readEventFile,
  TensorBoardWriter,
} from '../../src/logging/tensorboard.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tb-test-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

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
    const w = new TensorBoardWriter(dir, { now: fakeClock(), hostname: 'box' });
    w.close();
    expect(basename(w.path)).toBe('events.out.tfevents.1704067200.box');
    expect(readdirSync(dir)).toEqual(['events.out.tfevents.1704067200.box']);
  });

  it('does not clobber a writer started in the same second', () => {
    const a = new TensorBoardWriter(dir, { now: fakeClock(), hostname: 'box' });
    const b = new TensorBoardWriter(dir, { now: fakeClock(), hostname: 'box' });
    a.close();
    b.close();
    expect(a.path).not.toBe(b.path);
    expect(readdirSync(dir).sort()).toEqual([
      'events.out.tfevents.1704067200.box',
      'events.out.tfevents.1704067200.box.1',
    ]);
  });

  it('round-trips the file_version event and scalars', () => {
    const w = new TensorBoardWriter(dir, { now: fakeClock(), hostname: 'box' });
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

  it('keeps what was written before a crash readable without close', () => {
    const w = new TensorBoardWriter(dir, { now: fakeClock(), hostname: 'box' });
    w.scalar('x', 1, 1);
    expect(readEventFile(w.path).map((e) => e.scalars)).toEqual([[], [{ tag: 'x', value: 1 }]]);
    w.close();
  });

  it('refuses writes after close and tolerates a double close', () => {
    const w = new TensorBoardWriter(dir, { hostname: 'box' });
    w.close();
    w.close();
    expect(() => w.scalar('x', 1, 1)).toThrow(/closed/);
  });

  it('rejects a non-integer step', () => {
    const w = new TensorBoardWriter(dir, { hostname: 'box' });
    expect(() => w.scalar('x', 1, 1.5)).toThrow(RangeError);
    w.close();
  });
});

describe('readEventFile', () => {
  function writeSample(): string {
    const w = new TensorBoardWriter(dir, { now: fakeClock(), hostname: 'box' });
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
