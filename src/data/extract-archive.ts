/**
 * Archive extraction that never leaves a half-extracted data set looking complete.
 *
 * Everything is unpacked into a hidden temporary directory next to the target, a marker file
 * is written inside it, and only then is it renamed into place. A target directory without the
 * marker is treated as garbage from an interrupted run and replaced.
 *
 * .tar.gz goes through node-tar (which already refuses absolute and `..` paths). For .zip there
 * is no package installed, so a small reader lives here: central directory, stored and
 * deflated entries, CRC checks, and a refusal of ZIP64, encryption, symlinks and zip-slip paths.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { crc32, inflateRawSync } from 'node:zlib';
import * as tar from 'tar';
import type { ArchiveFormat } from './dataset-sources.js';

export const COMPLETE_MARKER = '.complete';

export interface ExtractOptions {
  /** Taken from the file name when absent. */
  readonly format?: ArchiveFormat;
  /**
   * Directory inside the archive that becomes `targetDir`. When absent, a single top-level
   * directory is used if the archive has one, else the whole archive.
   */
  readonly archiveRoot?: string;
}

export interface ExtractResult {
  readonly dir: string;
  /** True when a complete extraction was already there and nothing was done. */
  readonly skipped: boolean;
}

export function archiveFormatOf(path: string): ArchiveFormat {
  const lower = path.toLowerCase();
  if (lower.endsWith('.tar.gz') || lower.endsWith('.tgz')) return 'tar.gz';
  if (lower.endsWith('.zip')) return 'zip';
  throw new Error(`cannot tell the archive format of ${path}: expected .tar.gz, .tgz or .zip`);
}

export async function isExtracted(targetDir: string): Promise<boolean> {
  try {
    return (await stat(join(targetDir, COMPLETE_MARKER))).isFile();
  } catch {
    return false;
  }
}

export async function extractArchive(
  archive: string,
  targetDir: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const dir = resolve(targetDir);
  if (await isExtracted(dir)) return { dir, skipped: true };
  const format = options.format ?? archiveFormatOf(archive);
  const parent = dirname(dir);
  const tempPrefix = `.${basename(dir)}.partial-`;
  await removeStaleTemps(parent, tempPrefix);
  const temp = await mkdtemp(join(parent, tempPrefix));
  try {
    await unpack(archive, temp, format);
    const root = join(temp, options.archiveRoot ?? (await singleTopDirectory(temp)) ?? '.');
    await requireDirectory(root, archive, options.archiveRoot);
    await writeFile(
      join(root, COMPLETE_MARKER),
      `${JSON.stringify({ archive: basename(archive), extractedAt: new Date().toISOString() })}\n`,
    );
    // Leftovers without a marker are from an interrupted run; rename needs the name free.
    await rm(dir, { recursive: true, force: true });
    await rename(root, dir);
  } catch (err) {
    // The original error matters more than a failed cleanup; the next run removes leftovers.
    await removeTemp(temp).catch(() => {});
    throw err;
  }
  await removeTemp(temp);
  return { dir, skipped: false };
}

/** Retries because node-tar may still be flushing entries when it reports a corrupt stream. */
function removeTemp(temp: string): Promise<void> {
  return rm(temp, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 });
}

async function unpack(archive: string, into: string, format: ArchiveFormat): Promise<void> {
  try {
    if (format === 'tar.gz') {
      // strict turns node-tar's skipped-entry warnings (bad paths, corrupt data) into errors.
      await tar.x({ file: archive, cwd: into, strict: true, preserveOwner: false });
    } else {
      extractZip(archive, into);
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const prefix = message.includes(archive) ? '' : `cannot extract ${archive}: `;
    throw new Error(`${prefix}${message}`, { cause: err });
  }
}

async function removeStaleTemps(parent: string, prefix: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[]);
  await Promise.all(
    names.filter((name) => name.startsWith(prefix)).map((name) => removeTemp(join(parent, name))),
  );
}

async function singleTopDirectory(dir: string): Promise<string | undefined> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.length === 1 && entries[0].isDirectory() ? entries[0].name : undefined;
}

async function requireDirectory(path: string, archive: string, root?: string): Promise<void> {
  const isDir = await stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir) throw new Error(`archive ${archive} has no top-level directory '${root}'`);
}

// ---------------------------------------------------------------------------------------------
// ZIP reader (PKWARE APPNOTE 6.3): just enough for data-set archives.

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const FLAG_ENCRYPTED = 0x1;
const FLAG_UTF8 = 0x800;
const METHOD_STORED = 0;
const METHOD_DEFLATE = 8;

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly flags: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly localHeaderOffset: number;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
}

/**
 * Extracts every entry of a zip file under `destDir` (which must exist). Synchronous on
 * purpose: data-set zips hold ~10^5 small files, and per-file async round trips dominate.
 */
export function extractZip(zipPath: string, destDir: string): number {
  const fd = openSync(zipPath, 'r');
  try {
    const entries = readZipEntries(fd, zipPath);
    const root = resolve(destDir);
    for (const entry of entries) {
      const out = safeEntryPath(root, entry.name, zipPath);
      if (entry.isDirectory) {
        mkdirSync(out, { recursive: true });
        continue;
      }
      if (entry.isSymlink) throw new Error(`${zipPath}: entry '${entry.name}' is a symlink`);
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, readEntryData(fd, entry, zipPath));
    }
    return entries.length;
  } finally {
    closeSync(fd);
  }
}

/** Reads the central directory, which is authoritative for names, sizes and CRCs. */
export function readZipEntries(fd: number, zipPath: string): ZipEntry[] {
  const eocd = findEndOfCentralDirectory(fd, zipPath);
  const directory = readAt(fd, eocd.directoryOffset, eocd.directorySize, zipPath);
  const entries: ZipEntry[] = [];
  let pos = 0;
  for (let i = 0; i < eocd.entryCount; i++) {
    if (pos + 46 > directory.length || directory.readUInt32LE(pos) !== SIG_CENTRAL) {
      throw new Error(`${zipPath}: corrupt central directory at entry ${i}`);
    }
    const next =
      pos +
      46 +
      directory.readUInt16LE(pos + 28) +
      directory.readUInt16LE(pos + 30) +
      directory.readUInt16LE(pos + 32);
    if (next > directory.length)
      throw new Error(`${zipPath}: corrupt central directory entry ${i}`);
    entries.push(parseCentralEntry(directory, pos, zipPath));
    pos = next;
  }
  return entries;
}

function parseCentralEntry(buf: Buffer, pos: number, zipPath: string): ZipEntry {
  const madeBy = buf.readUInt16LE(pos + 4);
  const flags = buf.readUInt16LE(pos + 8);
  const compressedSize = buf.readUInt32LE(pos + 20);
  const uncompressedSize = buf.readUInt32LE(pos + 24);
  const nameLength = buf.readUInt16LE(pos + 28);
  const externalAttrs = buf.readUInt32LE(pos + 38);
  const localHeaderOffset = buf.readUInt32LE(pos + 42);
  // CP437 names are decoded as latin1: identical for the ASCII names data sets use.
  const name = buf.toString(flags & FLAG_UTF8 ? 'utf8' : 'latin1', pos + 46, pos + 46 + nameLength);
  if ([compressedSize, uncompressedSize, localHeaderOffset].includes(0xffffffff)) {
    throw new Error(`${zipPath}: entry '${name}' needs ZIP64, which is not supported`);
  }
  const unixMode = madeBy >>> 8 === 3 ? externalAttrs >>> 16 : 0;
  return {
    name,
    method: buf.readUInt16LE(pos + 10),
    flags,
    crc32: buf.readUInt32LE(pos + 16),
    compressedSize,
    uncompressedSize,
    localHeaderOffset,
    isDirectory: name.endsWith('/') || name.endsWith('\\'),
    isSymlink: (unixMode & 0o170000) === 0o120000,
  };
}

interface EndOfCentralDirectory {
  readonly entryCount: number;
  readonly directorySize: number;
  readonly directoryOffset: number;
}

/**
 * The EOCD record sits at the end, followed by a comment of up to 64 KiB, so it is found by
 * scanning backwards for its signature; the comment length must reach exactly to the end.
 */
function findEndOfCentralDirectory(fd: number, zipPath: string): EndOfCentralDirectory {
  const size = fstatSync(fd).size;
  if (size < EOCD_SIZE) throw new Error(`${zipPath}: not a zip file (too short)`);
  const tailStart = Math.max(0, size - EOCD_SIZE - MAX_COMMENT);
  const tail = readAt(fd, tailStart, size - tailStart, zipPath);
  for (let pos = tail.length - EOCD_SIZE; pos >= 0; pos--) {
    if (tail.readUInt32LE(pos) !== SIG_EOCD) continue;
    if (pos + EOCD_SIZE + tail.readUInt16LE(pos + 20) !== tail.length) continue;
    return parseEndOfCentralDirectory(tail, pos, zipPath);
  }
  throw new Error(`${zipPath}: not a zip file (no end-of-central-directory record)`);
}

function parseEndOfCentralDirectory(
  tail: Buffer,
  pos: number,
  zipPath: string,
): EndOfCentralDirectory {
  const disk = tail.readUInt16LE(pos + 4);
  const directoryDisk = tail.readUInt16LE(pos + 6);
  const entriesOnDisk = tail.readUInt16LE(pos + 8);
  const entryCount = tail.readUInt16LE(pos + 10);
  const directorySize = tail.readUInt32LE(pos + 12);
  const directoryOffset = tail.readUInt32LE(pos + 16);
  const zip64Locator = pos >= 20 && tail.readUInt32LE(pos - 20) === SIG_ZIP64_LOCATOR;
  if (
    zip64Locator ||
    entryCount === 0xffff ||
    directorySize === 0xffffffff ||
    directoryOffset === 0xffffffff
  ) {
    throw new Error(`${zipPath}: ZIP64 archives are not supported`);
  }
  if (disk !== 0 || directoryDisk !== 0 || entriesOnDisk !== entryCount) {
    throw new Error(`${zipPath}: multi-part (spanned) zip archives are not supported`);
  }
  return { entryCount, directorySize, directoryOffset };
}

/** Entry bytes, decompressed and checked against the central directory's size and CRC. */
function readEntryData(fd: number, entry: ZipEntry, zipPath: string): Buffer {
  const where = `${zipPath}: entry '${entry.name}'`;
  if (entry.flags & FLAG_ENCRYPTED) throw new Error(`${where} is encrypted`);
  const header = readAt(fd, entry.localHeaderOffset, 30, zipPath);
  if (header.readUInt32LE(0) !== SIG_LOCAL) throw new Error(`${where} has no local header`);
  // Local name/extra lengths may differ from the central ones; sizes may be zero when the
  // data-descriptor flag (bit 3) is set, which is why the central sizes are used instead.
  const dataStart =
    entry.localHeaderOffset + 30 + header.readUInt16LE(26) + header.readUInt16LE(28);
  const raw = readAt(fd, dataStart, entry.compressedSize, zipPath);
  const data = decompress(raw, entry, where);
  if (data.length !== entry.uncompressedSize) {
    throw new Error(`${where}: expected ${entry.uncompressedSize} bytes, got ${data.length}`);
  }
  if (crc32(data) !== entry.crc32) throw new Error(`${where}: CRC-32 mismatch (corrupt archive)`);
  return data;
}

function decompress(raw: Buffer, entry: ZipEntry, where: string): Buffer {
  if (entry.method === METHOD_STORED) return raw;
  if (entry.method !== METHOD_DEFLATE) {
    throw new Error(`${where} uses compression method ${entry.method}; only stored/deflate work`);
  }
  try {
    // The cap stops a lying size field from inflating without bound (zip bomb).
    return inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
  } catch (err) {
    throw new Error(`${where}: cannot inflate (${(err as Error).message})`, { cause: err });
  }
}

function readAt(fd: number, position: number, length: number, zipPath: string): Buffer {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`${zipPath}: truncated (wanted ${length} bytes at ${position})`);
    done += n;
  }
  return buf;
}

/**
 * Zip-slip guard: the entry must name a relative path that stays inside `root`. Backslashes
 * count as separators because Windows tools write them.
 */
export function safeEntryPath(root: string, name: string, zipPath: string): string {
  const normalized = name.replace(/\\/g, '/');
  const bad =
    normalized.length === 0 ||
    normalized.includes('\0') ||
    normalized.startsWith('/') ||
    /^[a-zA-Z]:/.test(normalized) ||
    normalized.split('/').includes('..');
  const out = resolve(root, normalized);
  if (bad || (out !== root && !out.startsWith(root + sep))) {
    throw new Error(`${zipPath}: refusing unsafe entry path '${name}' (absolute or uses '..')`);
  }
  return out;
}
