/**
 * Resumable HTTP(S) downloads with checksum verification, on node built-ins only.
 *
 * Bytes go to `dest + '.part'` and the file is renamed to `dest` only once it is complete and
 * verified, so the presence of `dest` always means "good archive". An interrupted download
 * leaves the `.part` behind and the next call resumes it with a Range request.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, stat, unlink } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Checksum, HashAlgorithm } from './dataset-sources.js';

export interface DownloadProgress {
  /** Bytes on disk so far, including a resumed prefix. */
  readonly bytesDone: number;
  /** Full size of the file, where the server told us. */
  readonly totalBytes: number | undefined;
  /** Bytes that were already on disk when this transfer started (resumed prefix). */
  readonly resumedFrom: number;
  readonly elapsedMs: number;
  /** True for the single last event of a transfer. */
  readonly done: boolean;
}

export type ProgressCallback = (progress: DownloadProgress) => void;

export interface DownloadOptions {
  readonly expected?: Checksum;
  /** Defaults to a progress line on stderr; pass `() => {}` for silence. */
  readonly onProgress?: ProgressCallback;
  readonly signal?: AbortSignal;
  readonly maxRedirects?: number;
  /** Abort when the connection is silent this long, so a stalled server cannot hang us. */
  readonly idleTimeoutMs?: number;
  /**
   * Largest file accepted, in bytes, so a wrong or hostile server cannot fill the disk: a larger
   * announced size is refused before the body is read, and a body that runs past it is cut off
   * and its partial file deleted. No limit when absent.
   */
  readonly maxBytes?: number;
}

/** The file is larger than `DownloadOptions.maxBytes`. */
export class DownloadTooLargeError extends Error {
  override readonly name = 'DownloadTooLargeError';
}

export interface DownloadResult {
  readonly path: string;
  readonly bytes: number;
  /** Hex digest of the whole file, with the expected algorithm (sha256 when none given). */
  readonly digest: string;
  readonly algorithm: HashAlgorithm;
  /** Bytes reused from an earlier interrupted download. */
  readonly resumedFrom: number;
}

const DEFAULT_MAX_REDIRECTS = 5;
const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

export async function downloadFile(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<DownloadResult> {
  const part = `${dest}.part`;
  const algorithm = options.expected?.algorithm ?? 'sha256';
  await mkdir(dirname(dest), { recursive: true });
  const resumedFrom = await transfer(url, part, options);
  const digest = await hashFile(part, algorithm);
  if (options.expected && digest !== options.expected.digest.toLowerCase()) {
    // A corrupt prefix would poison every later resume, so start over next time.
    await unlink(part).catch(() => {});
    throw new Error(
      `checksum mismatch for ${dest} (from ${url}): expected ${algorithm} ` +
        `${options.expected.digest.toLowerCase()}, got ${digest}; the partial file was deleted`,
    );
  }
  const { size } = await stat(part);
  await rename(part, dest);
  return { path: dest, bytes: size, digest, algorithm, resumedFrom };
}

/** Hex digest of a file, streamed so multi-hundred-MB archives do not sit in memory. */
export async function hashFile(path: string, algorithm: HashAlgorithm): Promise<string> {
  const hash = createHash(algorithm);
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/** Throws when the file's digest differs from `expected`, naming file and both digests. */
export async function verifyFile(path: string, expected: Checksum): Promise<void> {
  const actual = await hashFile(path, expected.algorithm);
  if (actual !== expected.digest.toLowerCase()) {
    throw new Error(
      `checksum mismatch for ${path}: expected ${expected.algorithm} ` +
        `${expected.digest.toLowerCase()}, got ${actual}`,
    );
  }
}

/**
 * Brings `part` to the full remote content, reusing what is already there where the server
 * allows it. Returns how many bytes were reused.
 */
async function transfer(url: string, part: string, options: DownloadOptions): Promise<number> {
  const offset = await fileSize(part);
  const res = await request(url, offset, options);
  if (offset > 0 && res.statusCode === 416) {
    res.resume();
    if (rangeNotSatisfiableMeansComplete(res, offset)) return offset;
    // The .part is longer than (or unrelated to) the remote file: start over.
    await unlink(part);
    return transfer(url, part, options);
  }
  if (offset > 0 && res.statusCode === 206 && contentRangeStart(res) !== offset) {
    // A range we did not ask for cannot be appended safely; without the .part no Range is sent.
    res.resume();
    await unlink(part);
    return transfer(url, part, options);
  }
  const appending = offset > 0 && res.statusCode === 206;
  const start = appending ? offset : 0;
  await writeBody(res, url, part, start, options);
  return start;
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw err;
  }
}

/** 416 on a resume is success only if the server's total equals what we hold (or is unknown). */
function rangeNotSatisfiableMeansComplete(res: IncomingMessage, offset: number): boolean {
  const match = /^bytes \*\/(\d+)$/.exec(res.headers['content-range'] ?? '');
  // Without a total we cannot tell; the checksum, if any, will decide.
  return match ? Number(match[1]) === offset : true;
}

function contentRangeStart(res: IncomingMessage): number | undefined {
  const match = /^bytes (\d+)-\d+\/(?:\d+|\*)$/.exec(res.headers['content-range'] ?? '');
  return match ? Number(match[1]) : undefined;
}

function totalFromHeaders(res: IncomingMessage, start: number): number | undefined {
  const range = /\/(\d+)$/.exec(res.headers['content-range'] ?? '');
  if (res.statusCode === 206 && range) return Number(range[1]);
  const length = res.headers['content-length'];
  return length !== undefined && /^\d+$/.test(length) ? start + Number(length) : undefined;
}

async function writeBody(
  res: IncomingMessage,
  url: string,
  part: string,
  start: number,
  options: DownloadOptions,
): Promise<void> {
  const total = totalFromHeaders(res, start);
  const { maxBytes } = options;
  refuseAnnouncedSize(res, url, total, maxBytes);
  const onProgress = options.onProgress ?? stderrProgress(url);
  const began = Date.now();
  let done = start;
  const report = (last: boolean) =>
    onProgress({
      bytesDone: done,
      totalBytes: total,
      resumedFrom: start,
      elapsedMs: Date.now() - began,
      done: last,
    });
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      done += chunk.length;
      if (maxBytes !== undefined && done > maxBytes) {
        callback(bodyOverLimit(url, maxBytes, total));
        return;
      }
      report(false);
      callback(null, chunk);
    },
  });
  try {
    await pipeline(res, counter, createWriteStream(part, { flags: start > 0 ? 'a' : 'w' }), {
      signal: options.signal,
    });
  } catch (err) {
    if (!(err instanceof DownloadTooLargeError)) throw networkError(url, err, done);
    // Resuming a file that is already too large would only repeat this.
    await unlink(part).catch(() => {});
    throw err;
  }
  if (total !== undefined && done !== total) {
    throw new Error(
      `download of ${url} ended early at ${done} of ${total} bytes; run again to resume`,
    );
  }
  report(true);
}

function refuseAnnouncedSize(
  res: IncomingMessage,
  url: string,
  total: number | undefined,
  maxBytes: number | undefined,
): void {
  if (maxBytes === undefined || total === undefined || total <= maxBytes) return;
  res.destroy();
  throw new DownloadTooLargeError(
    `download of ${url} refused: the server announces ${total} bytes, more than the limit of ` +
      `${maxBytes}`,
  );
}

function bodyOverLimit(
  url: string,
  maxBytes: number,
  total: number | undefined,
): DownloadTooLargeError {
  return new DownloadTooLargeError(
    `download of ${url} aborted: more than the limit of ${maxBytes} bytes arrived ` +
      `(announced: ${total ?? 'no size'}); the partial file was deleted`,
  );
}

/**
 * Issues a GET, following redirects; resolves with a response whose status is 200, 206 or
 * (when resuming) 416, and rejects with a message naming the URL for anything else.
 */
async function request(
  url: string,
  offset: number,
  options: DownloadOptions,
  redirectsLeft = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS,
): Promise<IncomingMessage> {
  const res = await get(url, offset, options);
  const status = res.statusCode ?? 0;
  const location = res.headers.location;
  if (status >= 300 && status < 400 && location) {
    res.resume();
    if (redirectsLeft <= 0) throw new Error(`too many redirects while downloading ${url}`);
    return request(new URL(location, url).href, offset, options, redirectsLeft - 1);
  }
  if (status === 200 || status === 206 || (status === 416 && offset > 0)) return res;
  res.resume();
  throw new Error(`download of ${url} failed: HTTP ${status} ${res.statusMessage ?? ''}`.trim());
}

function get(url: string, offset: number, options: DownloadOptions): Promise<IncomingMessage> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return Promise.reject(new Error(`invalid download URL '${url}'`));
  }
  const client = clientFor(parsed);
  if (!client) {
    return Promise.reject(new Error(`unsupported protocol in ${url}: use http or https`));
  }
  const headers: Record<string, string> = { 'user-agent': 'nullspace-cl-datasets' };
  // Compressed transfer encodings would break byte offsets for resuming.
  headers['accept-encoding'] = 'identity';
  if (offset > 0) headers.range = `bytes=${offset}-`;
  const idleTimeout = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    let response: IncomingMessage | undefined;
    const req = client.get(parsed, { headers, signal: options.signal }, (res) => {
      response = res;
      resolve(res);
    });
    req.setTimeout(idleTimeout, () => {
      // Destroying the response (once there is one) is what makes the body pipeline reject.
      const err = new Error(`connection idle for ${idleTimeout / 1000} s`);
      if (response) response.destroy(err);
      else req.destroy(err);
    });
    req.on('error', (err) => reject(networkError(url, err, offset)));
  });
}

function clientFor(url: URL): typeof http | typeof https | undefined {
  if (url.protocol === 'http:') return http;
  if (url.protocol === 'https:') return https;
  return undefined;
}

function networkError(url: string, err: unknown, bytesOnDisk: number): Error {
  if (err instanceof Error && err.name === 'AbortError') return err;
  const e = err as NodeJS.ErrnoException;
  const detail = e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? err);
  const hint = bytesOnDisk > 0 ? `; ${bytesOnDisk} bytes kept, run again to resume` : '';
  return new Error(`network error downloading ${url}: ${detail}${hint}`, { cause: err });
}

export interface ProgressLineOptions {
  readonly stream?: NodeJS.WriteStream;
  /** Minimum time between redraws on a terminal. */
  readonly ttyIntervalMs?: number;
  /** Minimum time between lines in a log file (non-TTY). */
  readonly logIntervalMs?: number;
}

/**
 * A progress reporter for stderr. On a terminal it redraws one line in place; in a log (CI,
 * redirected output) it prints a fresh line only every 10 % or every `logIntervalMs`, so the
 * log shows progress without thousands of lines.
 */
export function stderrProgress(label: string, options: ProgressLineOptions = {}): ProgressCallback {
  const stream = options.stream ?? process.stderr;
  const tty = stream.isTTY === true;
  const interval = tty ? (options.ttyIntervalMs ?? 200) : (options.logIntervalMs ?? 30_000);
  let lastAt = Number.NEGATIVE_INFINITY;
  let lastDecile = -1;
  return (p) => {
    const now = Date.now();
    const decile = p.totalBytes ? Math.floor((10 * p.bytesDone) / p.totalBytes) : -1;
    // The 100 % step is left to the final 'done' line, which would otherwise repeat it.
    const due = now - lastAt >= interval || (!tty && decile > lastDecile && decile < 10);
    if (!p.done && !due) return;
    lastAt = now;
    lastDecile = decile;
    const line = `${label}: ${formatProgress(p)}`;
    stream.write(tty ? `\r\x1b[2K${line}${p.done ? '\n' : ''}` : `${line}\n`);
  };
}

/** A megabyte as progress lines and size limits count it (MiB). */
export const MB = 1024 * 1024;

/** "42.0% 67.5/160.6 MB 3.2 MB/s", the speed counting only this transfer's bytes. */
export function formatProgress(p: DownloadProgress): string {
  const seconds = Math.max(p.elapsedMs, 1) / 1000;
  const speed = (p.bytesDone - p.resumedFrom) / MB / seconds;
  const done = (p.bytesDone / MB).toFixed(1);
  const size = p.totalBytes
    ? `${((100 * p.bytesDone) / p.totalBytes).toFixed(1)}% ${done}/${(p.totalBytes / MB).toFixed(1)} MB`
    : `${done} MB`;
  return `${size} ${speed.toFixed(1)} MB/s${p.done ? ' done' : ''}`;
}
