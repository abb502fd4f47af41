/**
 * Archive extraction that never leaves a half-extracted data set looking complete.
 *
 * Everything is unpacked into a hidden temporary directory next to the target, a marker file
 * is written inside it, and only then is it renamed into place. A target directory without the
 * marker is treated as garbage from an interrupted run and replaced.
 *
 * .tar.gz goes through node-tar and .zip through yauzl; both refuse absolute and `..` paths.
 * Zip entries are also refused when they are symlinks or encrypted, and each is checked
 * against the size and CRC-32 that the central directory lists for it. An archive without
 * entries, or a zip whose entry count does not cover its central directory, is an error, so an
 * archive that only partly extracted is never marked complete.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import * as tar from 'tar';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
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
      // strict turns node-tar's skipped-entry warnings (bad paths, corrupt data) into errors;
      // it also refuses an archive without entries.
      await tar.x({ file: archive, cwd: into, strict: true, preserveOwner: false });
    } else {
      await extractZip(archive, into);
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
// ZIP, read by yauzl: central directory, ZIP64, stored/deflate, `..` and absolute names.

const END_SIGNATURE = Buffer.from('PK\x05\x06', 'latin1');
const SIG_ZIP64_LOCATOR = 0x07064b50;
const END_LENGTH = 22;
const ZIP64_LOCATOR_LENGTH = 20;
const ZIP64_END_LENGTH = 56;
const MAX_COMMENT = 0xffff;
const CENTRAL_HEADER_LENGTH = 46;
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const READ_CHUNK = 0x10000;

/**
 * Extracts every entry of a zip file under `destDir` (which must exist) and returns how many
 * there were. Fails unless those entries fill the whole central directory: yauzl stops after
 * as many entries as the end record counts, and that 16-bit count wraps past 65,535 in
 * archives written without ZIP64.
 *
 * File calls are synchronous on purpose: data-set zips hold ~10^5 small files, and thread-pool
 * round trips per entry would take several times as long as the reads and writes themselves.
 */
async function extractZip(zipPath: string, destDir: string): Promise<number> {
  const fd = openSync(zipPath, 'r');
  try {
    const size = fstatSync(fd).size;
    // Both are yauzl's defaults; the name checks and the size checks depend on them.
    const zip = await yauzl.fromRandomAccessReaderPromise(new SyncFileReader(fd), size, {
      decodeStrings: true,
      validateEntrySizes: true,
    });
    const { count, directoryBytes } = await extractEntries(zip, resolve(destDir), zipPath);
    if (count === 0) throw new Error(`${zipPath} has no entries`);
    const directorySize = centralDirectorySize(fd, size, zipPath);
    if (directoryBytes !== directorySize) {
      throw new Error(
        `${zipPath}: its end record lists ${count} entries, which fill ${directoryBytes} of the ` +
          `${directorySize} bytes of its central directory; the archive is inconsistent (an ` +
          'entry count over 65,535 wraps around without ZIP64), so it was not extracted',
      );
    }
    return count;
  } finally {
    closeSync(fd);
  }
}

/** yauzl's view of a file descriptor that the caller opens and closes. */
class SyncFileReader extends yauzl.RandomAccessReader {
  constructor(private readonly fd: number) {
    super();
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null, bytesRead?: number) => void,
  ): void {
    let bytesRead: number;
    try {
      bytesRead = readSync(this.fd, buffer, offset, length, position);
    } catch (err) {
      setImmediate(callback, err as Error);
      return;
    }
    // yauzl expects the callback on a later turn, as after a real asynchronous read.
    setImmediate(callback, null, bytesRead);
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const fd = this.fd;
    let position = start;
    return new Readable({
      // A throw here destroys the stream with that error; a short file ends it early, which
      // yauzl reports as too few bytes.
      read() {
        const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, end - position));
        const bytesRead = chunk.length > 0 ? readSync(fd, chunk, 0, chunk.length, position) : 0;
        position += bytesRead;
        this.push(bytesRead > 0 ? chunk.subarray(0, bytesRead) : null);
      },
    });
  }
}

async function extractEntries(zip: ZipFile, root: string, zipPath: string) {
  const made = new Set<string>();
  const makeDirectory = (dir: string) => {
    if (made.has(dir)) return;
    mkdirSync(dir, { recursive: true });
    made.add(dir);
  };
  let count = 0;
  let directoryBytes = 0;
  // autoClose (on by default) releases the reader at the end, on an error or on leaving the loop.
  for await (const entry of zip.eachEntry()) {
    // yauzl refuses absolute and `..` names by its own rules; this checks, independently of
    // them, the property that matters: the path resolves inside root.
    const out = safeEntryPath(root, entry.fileName, zipPath);
    if (entry.fileName.endsWith('/')) {
      makeDirectory(out);
    } else {
      const where = `${zipPath}: entry '${entry.fileName}'`;
      refuseUnreadable(entry, where);
      makeDirectory(dirname(out));
      await writeEntry(zip, entry, out, where);
    }
    count++;
    directoryBytes +=
      CENTRAL_HEADER_LENGTH +
      entry.fileNameLength +
      entry.extraFieldLength +
      entry.fileCommentLength;
  }
  return { count, directoryBytes };
}

function refuseUnreadable(entry: Entry, where: string): void {
  // Hosts other than Unix leave these bits zero, so reading them as a mode on any host only
  // errs toward refusing.
  if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
    throw new Error(`${where} is a symlink`);
  }
  if (entry.isEncrypted()) throw new Error(`${where} is encrypted`);
  if (!entry.canDecodeFileData()) {
    throw new Error(
      `${where} uses compression method ${entry.compressionMethod}; only stored/deflate work`,
    );
  }
}

/** Streams an entry into `out`, then checks its CRC-32 against the central directory. */
async function writeEntry(zip: ZipFile, entry: Entry, out: string, where: string): Promise<void> {
  const fd = openSync(out, 'w');
  let crc = 0;
  try {
    const data: AsyncIterable<Buffer> = await zip.openReadStreamPromise(entry);
    for await (const chunk of data) {
      crc = crc32(chunk, crc);
      writeFileSync(fd, chunk);
    }
  } catch (err) {
    throw new Error(`${where}: ${(err as Error).message}`, { cause: err });
  } finally {
    closeSync(fd);
  }
  // No size check here: validateEntrySizes makes yauzl's stream fail on a wrong byte count.
  if (crc !== entry.crc32) throw new Error(`${where}: CRC-32 mismatch (corrupt archive)`);
}

/**
 * The central directory's size as the end record (or its ZIP64 twin) states it; yauzl reads
 * past it without keeping it. The record is found as yauzl finds it, by the last signature in
 * the tail, and only after yauzl has accepted it.
 */
function centralDirectorySize(fd: number, size: number, zipPath: string): number {
  const tailStart = Math.max(0, size - END_LENGTH - MAX_COMMENT - ZIP64_LOCATOR_LENGTH);
  const tail = readAt(fd, tailStart, size - tailStart, zipPath);
  const end = tail.lastIndexOf(END_SIGNATURE, tail.length - END_LENGTH);
  const locator = end - ZIP64_LOCATOR_LENGTH;
  if (locator < 0 || tail.readUInt32LE(locator) !== SIG_ZIP64_LOCATOR) {
    return tail.readUInt32LE(end + 12);
  }
  const zip64EndAt = Number(tail.readBigUInt64LE(locator + 8));
  return Number(readAt(fd, zip64EndAt, ZIP64_END_LENGTH, zipPath).readBigUInt64LE(40));
}

function readAt(fd: number, position: number, length: number, zipPath: string): Buffer {
  const buffer = Buffer.alloc(length);
  if (readSync(fd, buffer, 0, length, position) !== length) {
    throw new Error(`${zipPath}: truncated (wanted ${length} bytes at ${position})`);
  }
  return buffer;
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
