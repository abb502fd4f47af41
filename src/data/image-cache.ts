import { createHash, randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type DecodedSets,
  type DecodeSpec,
  decodeImages,
  defaultConcurrency,
  entryLabels,
  forEachPooled,
  type ImageListing,
} from './image-files.js';
import type { LabelledImages } from './images.js';

const CACHE_VERSION = 2;
/** Decoded pixels are cached in the data directory by default; the name carries the version. */
export const DECODED_CACHE_FILE = `.nullspace-cache-v${CACHE_VERSION}.bin`;
const CACHE_MAGIC = Buffer.from('NSCLIMGS', 'latin1');
const HEADER_BYTES = 72;
/** fs reads and writes are capped near 2 GiB per call; Tiny ImageNet's train pixels are 1.2 GB. */
const IO_CHUNK = 1 << 26;

export interface ImageDecodeOptions {
  /** Cache file path, or false to neither read nor write one; defaults to one in the directory. */
  readonly cacheFile?: string | false;
  /** Images decoded at once; sharp spreads each over its own thread pool. */
  readonly concurrency?: number;
  readonly onProgress?: (decoded: number, total: number) => void;
}

type Shape = Pick<LabelledImages, 'height' | 'width' | 'channels'>;
type SpecFor = (concurrency: number) => DecodeSpec | Promise<DecodeSpec>;

/**
 * The listing's images decoded, from the cache file when it was built from exactly these files
 * by the same `kind` of loader (the same files decode differently under different loaders'
 * rules). `specFor` is only asked on a cache miss, so it may be costly (probe every file).
 */
export async function decodeWithCache(
  dir: string,
  listing: ImageListing,
  kind: string,
  options: ImageDecodeOptions,
  specFor: SpecFor,
): Promise<DecodedSets & { readonly fromCache: boolean }> {
  const cacheFile = options.cacheFile ?? join(dir, DECODED_CACHE_FILE);
  // The fingerprint stats every file, which only a cache read or write needs.
  if (cacheFile === false) {
    return { ...(await decodeListing(dir, listing, options, specFor)), fromCache: false };
  }
  const fingerprint = await fingerprintListing(dir, listing, kind);
  const cached = await readCache(cacheFile, listing, fingerprint).catch(() => undefined);
  if (cached) return { ...cached, fromCache: true };
  const sets = await decodeListing(dir, listing, options, specFor);
  await writeCacheOrWarn(cacheFile, sets, listing, fingerprint);
  return { ...sets, fromCache: false };
}

async function decodeListing(
  dir: string,
  listing: ImageListing,
  options: ImageDecodeOptions,
  specFor: SpecFor,
): Promise<DecodedSets> {
  const concurrency = options.concurrency ?? defaultConcurrency();
  const spec = await specFor(concurrency);
  const total = listing.train.length + listing.test.length;
  let done = 0;
  const progress = () => options.onProgress?.(++done, total);
  const train = await decodeImages(dir, listing.train, spec, concurrency, progress);
  const test = await decodeImages(dir, listing.test, spec, concurrency, progress);
  return { train, test };
}

/**
 * A digest of what the cache was built from: loader kind, classes, every image path with
 * its label, size and mtime. Re-extracting an archive keeps mtimes, so only a real change
 * forces a decode.
 */
async function fingerprintListing(
  dir: string,
  listing: ImageListing,
  kind: string,
): Promise<Buffer> {
  const all = [...listing.train, ...listing.test];
  const lines = new Array<string>(all.length);
  await forEachPooled(all, 64, async (entry, i) => {
    const info = await stat(join(dir, entry.file)).catch(() => {
      throw new Error(`Missing image file: ${join(dir, entry.file)}`);
    });
    lines[i] =
      `${JSON.stringify([entry.file, entry.label, info.size, Math.floor(info.mtimeMs)])}\n`;
  });
  const hash = createHash('sha256');
  hash.update(`${JSON.stringify([CACHE_VERSION, kind, listing.classes, listing.train.length])}\n`);
  for (const line of lines) hash.update(line);
  return hash.digest();
}

// Layout, little-endian: magic[8] version u32, height, width, channels, train count, test count,
// class count, reserved (u32 each), sha256 fingerprint[32]; then train labels i32, test labels
// i32, train pixels, test pixels.

function cacheHeader(shape: Shape, listing: ImageListing, fingerprint: Buffer): Buffer {
  const h = Buffer.alloc(HEADER_BYTES);
  CACHE_MAGIC.copy(h, 0);
  const fields = [
    CACHE_VERSION,
    shape.height,
    shape.width,
    shape.channels,
    listing.train.length,
    listing.test.length,
    listing.classes.length,
    0,
  ];
  for (const [i, v] of fields.entries()) h.writeUInt32LE(v, 8 + 4 * i);
  fingerprint.copy(h, 40);
  return h;
}

/** The image shape a header records, when every other field matches this listing. */
function headerShape(header: Buffer, listing: ImageListing, fingerprint: Buffer) {
  const field = (i: number) => header.readUInt32LE(8 + 4 * i);
  const shape = { height: field(1), width: field(2), channels: field(3) };
  return header.equals(cacheHeader(shape, listing, fingerprint)) ? shape : undefined;
}

/** The cached sets when the file matches this listing exactly; anything else means rebuild. */
async function readCache(
  file: string,
  listing: ImageListing,
  fingerprint: Buffer,
): Promise<DecodedSets | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(file, 'r');
  } catch {
    return undefined;
  }
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    await readFully(fh, header, 0);
    const shape = headerShape(header, listing, fingerprint);
    if (!shape) return undefined;
    const imageBytes = shape.height * shape.width * shape.channels;
    const nTrain = listing.train.length;
    const nTest = listing.test.length;
    const size = (await fh.stat()).size;
    if (size !== HEADER_BYTES + (nTrain + nTest) * (4 + imageBytes)) return undefined;
    // The stored labels are not read: the fingerprint covers every entry's label, so they equal
    // the listing's. They stay in the layout so that caches already written remain valid.
    const trainPixels = new Uint8Array(nTrain * imageBytes);
    const testPixels = new Uint8Array(nTest * imageBytes);
    const pixelsAt = HEADER_BYTES + (nTrain + nTest) * 4;
    await readFully(fh, trainPixels, pixelsAt);
    await readFully(fh, testPixels, pixelsAt + trainPixels.length);
    const train = { pixels: trainPixels, labels: entryLabels(listing.train), ...shape };
    const test = { pixels: testPixels, labels: entryLabels(listing.test), ...shape };
    return { train, test };
  } finally {
    await fh.close();
  }
}

/**
 * Writes under a temporary name and renames when complete, so an interrupted run never leaves
 * a file that passes the header check. A read-only data directory only costs the cache.
 */
async function writeCacheOrWarn(
  file: string,
  sets: DecodedSets,
  listing: ImageListing,
  fingerprint: Buffer,
): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const fh = await open(tmp, 'w');
    try {
      let pos = 0;
      const sections = [
        cacheHeader(sets.train, listing, fingerprint),
        toLittleEndianBytes(sets.train.labels),
        toLittleEndianBytes(sets.test.labels),
        sets.train.pixels,
        sets.test.pixels,
      ];
      for (const bytes of sections) {
        await writeFully(fh, bytes, pos);
        pos += bytes.length;
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    console.warn(`Could not write the decoded-image cache ${file}: ${(err as Error).message}`);
  }
}

async function readFully(fh: FileHandle, into: Uint8Array, position: number): Promise<void> {
  for (let off = 0; off < into.length; ) {
    const len = Math.min(IO_CHUNK, into.length - off);
    const { bytesRead } = await fh.read(into, off, len, position + off);
    if (bytesRead === 0) throw new Error('cache file ended early');
    off += bytesRead;
  }
}

async function writeFully(fh: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let off = 0; off < bytes.length; ) {
    const len = Math.min(IO_CHUNK, bytes.length - off);
    const { bytesWritten } = await fh.write(bytes, off, len, position + off);
    off += bytesWritten;
  }
}

const LITTLE_ENDIAN = new Uint8Array(Int32Array.of(1).buffer)[0] === 1;

function toLittleEndianBytes(labels: Int32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength);
  const out = Buffer.alloc(labels.length * 4);
  for (const [i, l] of labels.entries()) out.writeInt32LE(l, 4 * i);
  return out;
}
