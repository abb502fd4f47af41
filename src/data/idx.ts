import { gunzipSync, gzipSync } from 'node:zlib';

/** IDX type code for unsigned bytes, the only element type the MNIST family uses. */
const UBYTE = 0x08;

export interface IdxArray {
  readonly dims: readonly number[];
  readonly data: Uint8Array;
}

/**
 * Parses an IDX file (LeCun's MNIST format: magic 0x0000 TT NN, NN big-endian uint32 dims, then
 * row-major data). Data are gunzipped when `file` ends in .gz or the bytes carry the gzip magic,
 * so a misnamed file still reads.
 */
export function parseIdx(raw: Uint8Array, file: string, expectedRank?: number): IdxArray {
  const bytes = file.endsWith('.gz') || isGzip(raw) ? gunzipOrThrow(raw, file) : raw;
  if (bytes.length < 4) throw new Error(`${file}: truncated IDX file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const type = (magic >>> 8) & 0xff;
  const rank = magic & 0xff;
  if (
    magic >>> 16 !== 0 ||
    type !== UBYTE ||
    (expectedRank !== undefined && rank !== expectedRank)
  ) {
    const want =
      expectedRank === undefined
        ? ''
        : ` (expected 0x${(0x800 + expectedRank).toString(16).padStart(8, '0')})`;
    throw new Error(`${file}: bad IDX magic 0x${magic.toString(16).padStart(8, '0')}${want}`);
  }
  const header = 4 + 4 * rank;
  if (bytes.length < header)
    throw new Error(`${file}: truncated IDX header (${bytes.length} bytes)`);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
  const size = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - header < size) {
    throw new Error(
      `${file}: truncated IDX file: dims [${dims.join(', ')}] need ${header + size} bytes, found ${bytes.length}`,
    );
  }
  if (bytes.length - header > size) {
    throw new Error(`${file}: ${bytes.length - header - size} unexpected bytes after the IDX data`);
  }
  return { dims, data: bytes.subarray(header, header + size) };
}

/** Encodes unsigned bytes as an IDX file, gzipped when asked (the form the data sets ship in). */
export function encodeIdx(dims: readonly number[], data: Uint8Array, gzip = false): Buffer {
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== data.length) {
    throw new Error(`IDX dims [${dims.join(', ')}] hold ${size} bytes but data has ${data.length}`);
  }
  const out = Buffer.alloc(4 + 4 * dims.length + size);
  out.writeUInt32BE((UBYTE << 8) | dims.length, 0);
  for (const [i, d] of dims.entries()) out.writeUInt32BE(d, 4 + 4 * i);
  out.set(data, 4 + 4 * dims.length);
  return gzip ? gzipSync(out, { level: 9 }) : out;
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function gunzipOrThrow(bytes: Uint8Array, file: string): Buffer {
  try {
    return gunzipSync(bytes);
  } catch (err) {
    throw new Error(`${file}: corrupt or truncated gzip data (${(err as Error).message})`);
  }
}
