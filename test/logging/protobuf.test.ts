import { describe, expect, it } from 'vitest';
import {
  decodeFields,
  fieldBytes,
  fieldDouble,
  fieldDoubles,
  fieldFloat,
  fieldInt64,
  fieldString,
  fieldUint64,
  findField,
  ProtoWriter,
  stringField,
} from '../../src/logging/protobuf.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('encodes varints as in the protobuf docs', () => {
    expect(hex(new ProtoWriter().varint(1, 150).finish())).toBe('089601');
    expect(hex(new ProtoWriter().varint(2, 0).finish())).toBe('1000');
    expect(hex(new ProtoWriter().varint(1, 300).finish())).toBe('08ac02');
  });

  it('encodes negative int64 as ten bytes of two’s complement', () => {
    expect(hex(new ProtoWriter().varint(1, -1).finish())).toBe('08ffffffffffffffffff01');
  });

  it('encodes strings and nested messages length-delimited', () => {
    expect(hex(new ProtoWriter().string(2, 'testing').finish())).toBe('120774657374696e67');
    const inner = new ProtoWriter().varint(1, 150);
    expect(hex(new ProtoWriter().message(3, inner).finish())).toBe('1a03089601');
  });

  it('encodes double and float little-endian with wire types 1 and 5', () => {
    expect(hex(new ProtoWriter().double(1, 1).finish())).toBe('09000000000000f03f');
    expect(hex(new ProtoWriter().float(2, 1).finish())).toBe('150000803f');
  });

  it('rejects invalid field numbers and non-integer varints', () => {
    expect(() => new ProtoWriter().varint(0, 1)).toThrow(RangeError);
    expect(() => new ProtoWriter().varint(1, 1.5)).toThrow(RangeError);
  });

  it('grows past its initial buffer', () => {
    const big = 'x'.repeat(1000);
    const f = decodeFields(new ProtoWriter().string(1, big).varint(2, 7).finish());
    expect(fieldString(f[0])).toBe(big);
    expect(fieldInt64(f[1])).toBe(7);
  });
});

describe('decodeFields', () => {
  it('round-trips every wire type', () => {
    const nested = new ProtoWriter().string(1, 'ünïcode ✓').float(2, 0.1);
    const bytes = new ProtoWriter()
      .double(1, Math.PI)
      .varint(2, 2 ** 40 + 3)
      .varint(3, -5)
      .bool(4, true)
      .message(5, nested)
      .bytes(6, Uint8Array.of(0, 255))
      .finish();
    const f = decodeFields(bytes);
    expect(f.map((x) => [x.field, x.wireType])).toEqual([
      [1, 1],
      [2, 0],
      [3, 0],
      [4, 0],
      [5, 2],
      [6, 2],
    ]);
    expect(fieldDouble(f[0])).toBe(Math.PI);
    expect(fieldInt64(f[1])).toBe(2 ** 40 + 3);
    expect(fieldInt64(f[2])).toBe(-5);
    expect(fieldUint64(f[2])).toBe(2n ** 64n - 5n);
    expect(fieldUint64(f[3])).toBe(1n);
    const inner = decodeFields(fieldBytes(f[4]));
    expect(fieldString(inner[0])).toBe('ünïcode ✓');
    expect(fieldFloat(inner[1])).toBe(Math.fround(0.1));
    expect([...fieldBytes(f[5])]).toEqual([0, 255]);
  });

  it('throws on truncation and on a wire-type mismatch', () => {
    const bytes = new ProtoWriter().string(1, 'abc').finish();
    expect(() => decodeFields(bytes.subarray(0, 3))).toThrow(/truncated/);
    expect(() => decodeFields(Uint8Array.of(0x08, 0x80))).toThrow(/truncated/);
    expect(() => fieldDouble(decodeFields(bytes)[0])).toThrow(/wire type/);
  });
});

describe('repeated doubles', () => {
  it('writes them packed and reads packed runs and lone elements alike', () => {
    const bytes = new ProtoWriter().packedDoubles(6, [1, -2.5]).double(6, 3).finish();
    expect(hex(bytes)).toBe('3210000000000000f03f00000000000004c0310000000000000840');
    expect(decodeFields(bytes).flatMap(fieldDoubles)).toEqual([1, -2.5, 3]);
  });

  it('rejects a packed run that is not a whole number of doubles', () => {
    const f = decodeFields(new ProtoWriter().bytes(6, new Uint8Array(12)).finish())[0];
    expect(() => fieldDoubles(f)).toThrow(/packed doubles of 12 bytes/);
    expect(() => fieldDoubles(decodeFields(new ProtoWriter().varint(6, 1).finish())[0])).toThrow(
      /wire type/,
    );
  });
});

describe('findField and stringField', () => {
  it('take a field’s first occurrence; an absent string reads as proto3’s default', () => {
    const fields = decodeFields(
      new ProtoWriter().string(1, 'a').string(1, 'b').varint(2, 5).finish(),
    );
    expect(stringField(fields, 1)).toBe('a');
    expect(fieldInt64(findField(fields, 2)!)).toBe(5);
    expect(findField(fields, 3)).toBeUndefined();
    expect(stringField(fields, 3)).toBe('');
  });
});
