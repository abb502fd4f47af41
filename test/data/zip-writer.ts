/**
 * A small zip writer for tests. It can write what real tools would refuse to (a wrapped
 * entry count, a wrong CRC, a set encryption flag), which is what the extractor must catch.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipFixtureEntry {
  readonly name: string;
  readonly data?: Buffer;
  readonly method?: 0 | 8;
  /** Write sizes/CRC in a trailing data descriptor (flag bit 3) instead of the local header. */
  readonly dataDescriptor?: boolean;
  /** Corrupt the stored CRC to exercise the integrity check. */
  readonly badCrc?: boolean;
  /** Misstate the uncompressed size by this many bytes in every header that records it. */
  readonly sizeDelta?: number;
  /** Unix mode, type bits included; a plain file or directory (by the name) when absent. */
  readonly mode?: number;
  /** Only sets the traditional-encryption flag; the data stays readable. */
  readonly encrypted?: boolean;
}

export interface ZipOptions {
  readonly comment?: string;
  /**
   * ZIP64 end records plus ZIP64 size/offset fields on every entry. Without it, more than
   * 65,535 entries wrap the 16-bit count, as old writers did.
   */
  readonly zip64?: boolean;
}

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_DESCRIPTOR = 0x08074b50;
const SIG_END = 0x06054b50;
const SIG_ZIP64_END = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EXTRA = 0x0001;
const MAX16 = 0xffff;
const MAX32 = 0xffffffff;
const MADE_BY_UNIX = 3 << 8;

type Field = readonly [bytes: 2 | 4 | 8, value: number];

/** Little-endian fields, in order. */
function le(...fields: readonly Field[]): Buffer {
  const out = Buffer.alloc(fields.reduce((n, [bytes]) => n + bytes, 0));
  let at = 0;
  for (const [bytes, value] of fields) {
    if (bytes === 2) out.writeUInt16LE(value, at);
    else if (bytes === 4) out.writeUInt32LE(value, at);
    else out.writeBigUInt64LE(BigInt(value), at);
    at += bytes;
  }
  return out;
}

export function makeZip(entries: readonly ZipFixtureEntry[], options: ZipOptions = {}): Buffer {
  const zip64 = options.zip64 ?? false;
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const records = entryRecords(entry, offset, zip64);
    locals.push(records.local);
    centrals.push(records.central);
    offset += records.local.length;
  }
  const directory = Buffer.concat(centrals);
  const comment = Buffer.from(options.comment ?? '');
  const end = zip64
    ? zip64EndRecords(entries.length, directory.length, offset, comment)
    : [endRecord(entries.length & MAX16, directory.length, offset, comment)];
  return Buffer.concat([...locals, directory, ...end]);
}

function entryRecords(entry: ZipFixtureEntry, offset: number, zip64: boolean) {
  const data = entry.data ?? Buffer.alloc(0);
  const isDirectory = entry.name.endsWith('/');
  const method = isDirectory ? 0 : (entry.method ?? 8);
  const body = method === 8 ? deflateRawSync(data) : data;
  const crc = (crc32(data) ^ (entry.badCrc ? 1 : 0)) >>> 0;
  const size = data.length + (entry.sizeDelta ?? 0);
  const name = Buffer.from(entry.name, 'utf8');
  const flags = 0x800 | (entry.dataDescriptor ? 0x8 : 0) | (entry.encrypted ? 0x1 : 0);
  const version = zip64 ? 45 : 20;
  const mode = entry.mode ?? (isDirectory ? 0o040755 : 0o100644);
  // With a data descriptor the local header leaves CRC and sizes to the descriptor.
  const known = !entry.dataDescriptor;
  const localSize = (n: number) => (zip64 ? MAX32 : known ? n : 0);
  const localExtra = zip64
    ? le([2, ZIP64_EXTRA], [2, 16], [8, known ? size : 0], [8, known ? body.length : 0])
    : Buffer.alloc(0);
  const local = le(
    [4, SIG_LOCAL],
    [2, version],
    [2, flags],
    [2, method],
    [4, 0], // DOS time and date
    [4, known ? crc : 0],
    [4, localSize(body.length)],
    [4, localSize(size)],
    [2, name.length],
    [2, localExtra.length],
  );
  const parts = [local, name, localExtra, body];
  if (entry.dataDescriptor) {
    const width: 4 | 8 = zip64 ? 8 : 4;
    parts.push(le([4, SIG_DESCRIPTOR], [4, crc], [width, body.length], [width, size]));
  }
  const centralExtra = zip64
    ? le([2, ZIP64_EXTRA], [2, 24], [8, size], [8, body.length], [8, offset])
    : Buffer.alloc(0);
  const centralValue = (n: number) => (zip64 ? MAX32 : n);
  const central = le(
    [4, SIG_CENTRAL],
    [2, MADE_BY_UNIX | version],
    [2, version],
    [2, flags],
    [2, method],
    [4, 0], // DOS time and date
    [4, crc],
    [4, centralValue(body.length)],
    [4, centralValue(size)],
    [2, name.length],
    [2, centralExtra.length],
    [2, 0], // comment length
    [2, 0], // disk
    [2, 0], // internal attributes
    [4, (mode << 16) >>> 0],
    [4, centralValue(offset)],
  );
  return {
    local: Buffer.concat(parts),
    central: Buffer.concat([central, name, centralExtra]),
  };
}

function endRecord(count: number, size: number, offset: number, comment: Buffer): Buffer {
  const record = le(
    [4, SIG_END],
    [2, 0], // this disk
    [2, 0], // directory disk
    [2, count],
    [2, count],
    [4, size],
    [4, offset],
    [2, comment.length],
  );
  return Buffer.concat([record, comment]);
}

/** Every 16/32-bit field of the classic end record saturated, as in a fully ZIP64 archive. */
function zip64EndRecords(count: number, size: number, offset: number, comment: Buffer): Buffer[] {
  const zip64End = le(
    [4, SIG_ZIP64_END],
    [8, 44], // size of the rest of this record
    [2, MADE_BY_UNIX | 45],
    [2, 45],
    [4, 0], // this disk
    [4, 0], // directory disk
    [8, count],
    [8, count],
    [8, size],
    [8, offset],
  );
  const locator = le([4, SIG_ZIP64_LOCATOR], [4, 0], [8, offset + size], [4, 1]);
  return [zip64End, locator, endRecord(MAX16, MAX32, MAX32, comment)];
}
