/**
 * Minimal protobuf wire-format codec: enough for TensorBoard event files without
 * pulling a protobuf runtime and generated code into the project.
 */

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  Fixed32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

const UTF8 = new TextEncoder();
const UTF8_STRICT = new TextDecoder('utf-8', { fatal: true });

export class ProtoWriter {
  private buf = new Uint8Array(64);
  private len = 0;

  /** Unsigned or int64 varint; negative values take 10 bytes (two's complement), as in proto int64. */
  varint(field: number, value: number | bigint): this {
    this.tag(field, WireType.Varint);
    this.rawVarint(value);
    return this;
  }

  bool(field: number, value: boolean): this {
    return this.varint(field, value ? 1 : 0);
  }

  double(field: number, value: number): this {
    this.tag(field, WireType.Fixed64);
    const at = this.reserve(8);
    new DataView(this.buf.buffer).setFloat64(at, value, true);
    return this;
  }

  float(field: number, value: number): this {
    this.tag(field, WireType.Fixed32);
    const at = this.reserve(4);
    new DataView(this.buf.buffer).setFloat32(at, value, true);
    return this;
  }

  /** Repeated double in proto3's packed form: one length-delimited run of little-endian doubles. */
  packedDoubles(field: number, values: readonly number[]): this {
    const bytes = new Uint8Array(8 * values.length);
    const view = new DataView(bytes.buffer);
    values.forEach((v, i) => {
      view.setFloat64(8 * i, v, true);
    });
    return this.bytes(field, bytes);
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WireType.LengthDelimited);
    this.rawVarint(value.length);
    const at = this.reserve(value.length);
    this.buf.set(value, at);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, UTF8.encode(value));
  }

  /** Nested message: pass a finished writer or its bytes. */
  message(field: number, value: ProtoWriter | Uint8Array): this {
    return this.bytes(field, value instanceof ProtoWriter ? value.finish() : value);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  private tag(field: number, wireType: WireType): void {
    if (!Number.isInteger(field) || field < 1 || field > 0x1fffffff) {
      throw new RangeError(`invalid protobuf field number ${field}`);
    }
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number | bigint): void {
    let v = toUint64(value);
    do {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      const at = this.reserve(1);
      this.buf[at] = v > 0n ? byte | 0x80 : byte;
    } while (v > 0n);
  }

  /** Offset of `n` fresh bytes; may replace `this.buf`, so call it before reading `this.buf`. */
  private reserve(n: number): number {
    if (this.len + n > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    const at = this.len;
    this.len += n;
    return at;
  }
}

function toUint64(value: number | bigint): bigint {
  if (typeof value === 'number' && !Number.isSafeInteger(value)) {
    throw new RangeError(`varint needs a safe integer, got ${value}`);
  }
  const big = BigInt(value);
  if (big < -(1n << 63n) || big >= 1n << 64n) throw new RangeError(`varint out of range: ${value}`);
  return BigInt.asUintN(64, big);
}

export type ProtoField =
  | { readonly field: number; readonly wireType: 0; readonly value: bigint }
  | { readonly field: number; readonly wireType: 1 | 2 | 5; readonly value: Uint8Array };

export class ProtoReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(private readonly data: Uint8Array) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  }

  get done(): boolean {
    return this.pos >= this.data.length;
  }

  /** Next field, with fixed-width and length-delimited payloads as byte views. */
  next(): ProtoField {
    const key = this.rawVarint();
    const field = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (field < 1) throw new Error(`invalid protobuf field number ${field} at byte ${this.pos}`);
    switch (wireType) {
      case WireType.Varint:
        return { field, wireType, value: this.rawVarint() };
      case WireType.Fixed64:
        return { field, wireType, value: this.take(8) };
      case WireType.LengthDelimited:
        return { field, wireType, value: this.take(Number(this.rawVarint())) };
      case WireType.Fixed32:
        return { field, wireType, value: this.take(4) };
      default:
        throw new Error(`unsupported protobuf wire type ${wireType} at byte ${this.pos}`);
    }
  }

  private rawVarint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.data.length) throw new Error('truncated protobuf varint');
      const byte = this.view.getUint8(this.pos++);
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new Error('protobuf varint longer than 10 bytes');
  }

  private take(n: number): Uint8Array {
    if (this.pos + n > this.data.length) throw new Error('truncated protobuf field');
    const out = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
}

export function decodeFields(data: Uint8Array): ProtoField[] {
  const reader = new ProtoReader(data);
  const fields: ProtoField[] = [];
  while (!reader.done) fields.push(reader.next());
  return fields;
}

function wrongWire(f: ProtoField, expected: WireType): Error {
  return new Error(`field ${f.field}: expected wire type ${expected}, got ${f.wireType}`);
}

function payload(f: ProtoField, expected: 1 | 2 | 5): Uint8Array {
  if (f.wireType !== expected) throw wrongWire(f, expected);
  return f.value as Uint8Array;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function fieldUint64(f: ProtoField): bigint {
  if (f.wireType !== WireType.Varint) throw wrongWire(f, WireType.Varint);
  return f.value;
}

/** int64 as a JS number (exact up to 2^53). */
export function fieldInt64(f: ProtoField): number {
  return Number(BigInt.asIntN(64, fieldUint64(f)));
}

export function fieldDouble(f: ProtoField): number {
  return viewOf(payload(f, WireType.Fixed64)).getFloat64(0, true);
}

export function fieldFloat(f: ProtoField): number {
  return viewOf(payload(f, WireType.Fixed32)).getFloat32(0, true);
}

/**
 * One occurrence of a repeated double: parsers must accept both the packed run and a lone
 * unpacked element, whichever the writer chose.
 */
export function fieldDoubles(f: ProtoField): number[] {
  if (f.wireType === WireType.Fixed64) return [fieldDouble(f)];
  const bytes = payload(f, WireType.LengthDelimited);
  if (bytes.length % 8 !== 0)
    throw new Error(`field ${f.field}: packed doubles of ${bytes.length} bytes`);
  const view = viewOf(bytes);
  return Array.from({ length: bytes.length / 8 }, (_, i) => view.getFloat64(8 * i, true));
}

export function fieldBytes(f: ProtoField): Uint8Array {
  return payload(f, WireType.LengthDelimited);
}

export function fieldString(f: ProtoField): string {
  return UTF8_STRICT.decode(fieldBytes(f));
}

/** The first occurrence of `field`, as proto3 readers take a non-repeated field's. */
export function findField(fields: readonly ProtoField[], field: number): ProtoField | undefined {
  return fields.find((f) => f.field === field);
}

/** A string field; absent, it reads as '', proto3's default. */
export function stringField(fields: readonly ProtoField[], field: number): string {
  const f = findField(fields, field);
  return f ? fieldString(f) : '';
}
