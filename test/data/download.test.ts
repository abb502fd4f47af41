import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type DownloadProgress,
  DownloadTooLargeError,
  downloadFile,
  formatProgress,
  stderrProgress,
} from '../../src/data/download.js';
import {
  COMPLETE_MARKER,
  extractArchive,
  isExtracted,
  safeEntryPath,
} from '../../src/data/extract-archive.js';
import { makeZip } from './zip-writer.js';

// ---------------------------------------------------------------------------------------------
// Fixtures

/** Deterministic bytes so failures are reproducible. */
function pseudoRandomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** Records in the official CIFAR-100 binary layout: coarse byte, fine byte, 3072 pixels. */
function cifarRecords(count: number, seed: number): Buffer {
  const records: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    records.push(Buffer.from([i % 20, (i * 7) % 100]), pseudoRandomBytes(3072, seed + i));
  }
  return Buffer.concat(records);
}

interface CifarFixture {
  readonly archive: Buffer;
  readonly files: Readonly<Record<string, Buffer>>;
}

async function makeCifarTarGz(work: string): Promise<CifarFixture> {
  const files = {
    'train.bin': cifarRecords(5, 1),
    'test.bin': cifarRecords(3, 100),
    'fine_label_names.txt': Buffer.from('apple\naquarium_fish\n'),
  };
  const src = join(work, 'fixture-src');
  await mkdir(join(src, 'cifar-100-binary'), { recursive: true });
  for (const [name, data] of Object.entries(files)) {
    await writeFile(join(src, 'cifar-100-binary', name), data);
  }
  const file = join(work, 'fixture.tar.gz');
  await tar.c({ gzip: true, file, cwd: src, portable: true }, ['cifar-100-binary']);
  return { archive: await readFile(file), files };
}

/** Byte comparison without vitest's element-wise diff, which is slow on large buffers. */
async function expectFileBytes(path: string, expected: Buffer): Promise<void> {
  const actual = await readFile(path);
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected)).toBe(true);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

// ---------------------------------------------------------------------------------------------
// A local HTTP server; every test talks to 127.0.0.1 only.

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

interface TestServer {
  readonly base: string;
  /** Range header of every request, per path, in order ('' when absent). */
  readonly ranges: Map<string, string[]>;
  close(): Promise<void>;
}

async function startServer(routes: Record<string, Handler>): Promise<TestServer> {
  const ranges = new Map<string, string[]>();
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    ranges.set(path, [...(ranges.get(path) ?? []), req.headers.range ?? '']);
    const handler = routes[path];
    if (handler) handler(req, res);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    ranges,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Serves `body`, honouring `Range: bytes=N-` unless told to ignore it, like a static server. */
function serveBytes(body: Buffer, { honourRange = true } = {}): Handler {
  return (req, res) => {
    const match = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (!honourRange || !match) {
      res.writeHead(200, { 'content-length': body.length }).end(body);
      return;
    }
    const start = Number(match[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, {
      'content-length': body.length - start,
      'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
    });
    res.end(body.subarray(start));
  };
}

/** Promises the full length but hangs up after `cut` bytes, like a dropped connection. */
function serveTruncated(body: Buffer, cut: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'content-length': body.length });
    res.write(body.subarray(0, cut), () => setTimeout(() => res.socket?.destroy(), 20));
  };
}

function redirectTo(location: string, status = 302): Handler {
  return (_req, res) => res.writeHead(status, { location }).end();
}

const quiet = () => {};

// ---------------------------------------------------------------------------------------------

let work: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'nscl-download-'));
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('downloadFile', () => {
  const payload = pseudoRandomBytes(200_000, 7);

  it('downloads, verifies sha256 and reports progress', async () => {
    const server = await startServer({ '/file.bin': serveBytes(payload) });
    try {
      const dest = join(work, 'sub', 'file.bin');
      const events: DownloadProgress[] = [];
      const result = await downloadFile(`${server.base}/file.bin`, dest, {
        expected: { algorithm: 'sha256', digest: sha256(payload) },
        onProgress: (p) => events.push(p),
      });
      await expectFileBytes(dest, payload);
      expect(existsSync(`${dest}.part`)).toBe(false);
      expect(result).toMatchObject({
        bytes: payload.length,
        digest: sha256(payload),
        resumedFrom: 0,
      });
      const last = events.at(-1)!;
      expect(last).toMatchObject({
        done: true,
        bytesDone: payload.length,
        totalBytes: payload.length,
      });
      expect(events.filter((e) => e.done)).toHaveLength(1);
      expect(server.ranges.get('/file.bin')).toEqual(['']);
    } finally {
      await server.close();
    }
  });

  it('verifies with md5 and accepts upper-case digests', async () => {
    const server = await startServer({ '/f': serveBytes(payload) });
    try {
      const md5 = createHash('md5').update(payload).digest('hex').toUpperCase();
      const dest = join(work, 'f');
      const result = await downloadFile(`${server.base}/f`, dest, {
        expected: { algorithm: 'md5', digest: md5 },
        onProgress: quiet,
      });
      expect(result.algorithm).toBe('md5');
      expect(result.digest).toBe(md5.toLowerCase());
    } finally {
      await server.close();
    }
  });

  it('resumes a .part with a Range request and fetches only the rest', async () => {
    const server = await startServer({ '/file.bin': serveBytes(payload) });
    try {
      const dest = join(work, 'file.bin');
      const half = 123_457;
      await writeFile(`${dest}.part`, payload.subarray(0, half));
      const events: DownloadProgress[] = [];
      const result = await downloadFile(`${server.base}/file.bin`, dest, {
        expected: { algorithm: 'sha256', digest: sha256(payload) },
        onProgress: (p) => events.push(p),
        // A limit of exactly the file's size still admits it.
        maxBytes: payload.length,
      });
      expect(server.ranges.get('/file.bin')).toEqual([`bytes=${half}-`]);
      expect(result.resumedFrom).toBe(half);
      await expectFileBytes(dest, payload);
      expect(events[0].bytesDone).toBeGreaterThan(half);
      expect(events.at(-1)).toMatchObject({ bytesDone: payload.length, resumedFrom: half });
    } finally {
      await server.close();
    }
  });

  it('restarts from zero when the server ignores Range (200)', async () => {
    const server = await startServer({ '/f': serveBytes(payload, { honourRange: false }) });
    try {
      const dest = join(work, 'f');
      // Wrong bytes in the prefix prove it is truncated, not appended to.
      await writeFile(`${dest}.part`, Buffer.alloc(5000, 0xee));
      const result = await downloadFile(`${server.base}/f`, dest, {
        expected: { algorithm: 'sha256', digest: sha256(payload) },
        onProgress: quiet,
      });
      expect(server.ranges.get('/f')).toEqual(['bytes=5000-']);
      expect(result.resumedFrom).toBe(0);
      await expectFileBytes(dest, payload);
    } finally {
      await server.close();
    }
  });

  it('treats 416 on a complete .part as done and verifies it', async () => {
    const server = await startServer({ '/f': serveBytes(payload) });
    try {
      const dest = join(work, 'f');
      await writeFile(`${dest}.part`, payload);
      const result = await downloadFile(`${server.base}/f`, dest, {
        expected: { algorithm: 'sha256', digest: sha256(payload) },
        onProgress: quiet,
      });
      expect(server.ranges.get('/f')).toEqual([`bytes=${payload.length}-`]);
      expect(result.resumedFrom).toBe(payload.length);
      await expectFileBytes(dest, payload);
    } finally {
      await server.close();
    }
  });

  it('discards a .part longer than the remote file and downloads again', async () => {
    const server = await startServer({ '/f': serveBytes(payload) });
    try {
      const dest = join(work, 'f');
      await writeFile(`${dest}.part`, Buffer.concat([payload, Buffer.from('extra')]));
      await downloadFile(`${server.base}/f`, dest, { onProgress: quiet });
      expect(server.ranges.get('/f')).toEqual([`bytes=${payload.length + 5}-`, '']);
      await expectFileBytes(dest, payload);
    } finally {
      await server.close();
    }
  });

  it('keeps the .part when the connection drops, and the next call resumes it', async () => {
    const cut = 80_000;
    const routes: Record<string, Handler> = { '/f': serveTruncated(payload, cut) };
    const server = await startServer({ '/f': (req, res) => routes['/f'](req, res) });
    try {
      const dest = join(work, 'f');
      const url = `${server.base}/f`;
      const expected = { algorithm: 'sha256', digest: sha256(payload) } as const;
      await expect(downloadFile(url, dest, { expected, onProgress: quiet })).rejects.toThrow(url);
      expect(existsSync(dest)).toBe(false);
      const kept = await readFile(`${dest}.part`);
      expect(kept.length).toBeGreaterThan(0);
      expect(kept.equals(payload.subarray(0, kept.length))).toBe(true);
      routes['/f'] = serveBytes(payload);
      const result = await downloadFile(url, dest, { expected, onProgress: quiet });
      expect(result.resumedFrom).toBe(kept.length);
      expect(server.ranges.get('/f')).toEqual(['', `bytes=${kept.length}-`]);
      await expectFileBytes(dest, payload);
    } finally {
      await server.close();
    }
  });

  it('aborts on signal and on an idle connection, keeping the .part for a resume', async () => {
    // Sends a first chunk, then stalls as a hung server would.
    const stall: Handler = (_req, res) => {
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, 1000));
    };
    const server = await startServer({ '/f': stall });
    try {
      const dest = join(work, 'f');
      const controller = new AbortController();
      const aborted = downloadFile(`${server.base}/f`, dest, {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      });
      await expect(aborted).rejects.toThrow(/abort/i);
      await expect(
        downloadFile(`${server.base}/f`, join(work, 'g'), {
          idleTimeoutMs: 150,
          onProgress: quiet,
        }),
      ).rejects.toThrow(/idle/);
      expect(existsSync(dest)).toBe(false);
      expect(existsSync(join(work, 'g.part'))).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('refuses an announced size over maxBytes without reading the body', async () => {
    // Headers only: a client that waited for the body would sit until its idle timeout.
    const announceOnly: Handler = (_req, res) => {
      res.writeHead(200, { 'content-length': 10 * payload.length });
      res.flushHeaders();
    };
    const server = await startServer({ '/f': announceOnly });
    try {
      const events: DownloadProgress[] = [];
      const error = await downloadFile(`${server.base}/f`, join(work, 'f'), {
        maxBytes: payload.length,
        idleTimeoutMs: 5000,
        onProgress: (p) => events.push(p),
      }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(DownloadTooLargeError);
      expect((error as Error).message).toBe(
        `download of ${server.base}/f refused: the server announces ${10 * payload.length} ` +
          `bytes, more than the limit of ${payload.length}`,
      );
      expect(events).toEqual([]);
      expect(await readdir(work)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('cuts off a body that runs past maxBytes and deletes the partial file', async () => {
    const limit = 150_000;
    // Writing before ending makes node send the body chunked, without a Content-Length.
    const unannounced: Handler = (_req, res) => {
      res.writeHead(200);
      res.write(payload.subarray(0, 1000));
      res.end(payload.subarray(1000));
    };
    // Resumes from 50,000 claiming a 100,000-byte file, then sends all 150,000 bytes after it.
    const understated: Handler = (_req, res) => {
      res.writeHead(206, { 'content-range': 'bytes 50000-99999/100000' });
      res.write(payload.subarray(0, 1000));
      res.end(payload.subarray(1000, limit));
    };
    const server = await startServer({ '/unannounced': unannounced, '/understated': understated });
    try {
      await writeFile(join(work, 'understated.part'), payload.subarray(0, 50_000));
      for (const name of ['unannounced', 'understated']) {
        const error = await downloadFile(`${server.base}/${name}`, join(work, name), {
          maxBytes: limit,
          onProgress: quiet,
        }).catch((e: Error) => e);
        expect(error).toBeInstanceOf(DownloadTooLargeError);
        expect((error as Error).message).toMatch(
          new RegExp(`/${name} aborted: more than the limit of ${limit} bytes arrived`),
        );
      }
      expect(await readdir(work)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('deletes the .part and names file and digests on checksum mismatch', async () => {
    const server = await startServer({ '/f': serveBytes(payload) });
    try {
      const dest = join(work, 'archive.tar.gz');
      const wrong = 'a'.repeat(64);
      const error = await downloadFile(`${server.base}/f`, dest, {
        expected: { algorithm: 'sha256', digest: wrong },
        onProgress: quiet,
      }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      const message = (error as Error).message;
      expect(message).toContain(dest);
      expect(message).toContain(wrong);
      expect(message).toContain(sha256(payload));
      expect(await readdir(work)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('rejects HTTP errors naming URL and status, leaving nothing behind', async () => {
    const server = await startServer({});
    try {
      const url = `${server.base}/missing.tar.gz`;
      const dest = join(work, 'missing.tar.gz');
      await expect(downloadFile(url, dest, { onProgress: quiet })).rejects.toThrow(
        new RegExp(`${url}.*HTTP 404`),
      );
      expect(await readdir(work)).toEqual([]);
    } finally {
      await server.close();
    }
  });

  it('follows relative and absolute redirects', async () => {
    const server = await startServer({
      '/f': serveBytes(payload),
      '/hop2': redirectTo('/f', 301),
      '/hop1': (req, res) => redirectTo(`http://${req.headers.host}/hop2`, 307)(req, res),
    });
    try {
      const dest = join(work, 'f');
      await downloadFile(`${server.base}/hop1`, dest, { onProgress: quiet });
      await expectFileBytes(dest, payload);
      expect([...server.ranges.keys()]).toEqual(['/hop1', '/hop2', '/f']);
    } finally {
      await server.close();
    }
  });

  it('gives up after too many redirects', async () => {
    const server = await startServer({ '/loop': redirectTo('/loop') });
    try {
      await expect(
        downloadFile(`${server.base}/loop`, join(work, 'f'), { onProgress: quiet }),
      ).rejects.toThrow(/too many redirects/);
      expect(server.ranges.get('/loop')).toHaveLength(6);
    } finally {
      await server.close();
    }
  });

  it('reports network errors with the URL', async () => {
    const server = await startServer({});
    const url = `${server.base}/f`;
    await server.close();
    await expect(downloadFile(url, join(work, 'f'), { onProgress: quiet })).rejects.toThrow(
      new RegExp(`network error downloading ${url}.*ECONNREFUSED`),
    );
  });

  it('prints about one line per 10 % to a non-TTY log', () => {
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) };
    const report = stderrProgress('x', { stream: stream as unknown as NodeJS.WriteStream });
    const total = 1000;
    for (let done = 1; done <= total; done++) {
      report({ bytesDone: done, totalBytes: total, resumedFrom: 0, elapsedMs: 10, done: false });
    }
    report({ bytesDone: total, totalBytes: total, resumedFrom: 0, elapsedMs: 10, done: true });
    expect(lines).toHaveLength(11);
    expect(lines.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(lines.at(-1)).toMatch(/^x: 100\.0% .* done\n$/);
  });

  it('formats progress as percentage, MB and MB/s', () => {
    const mb = 1024 * 1024;
    const line = formatProgress({
      bytesDone: 50 * mb,
      totalBytes: 200 * mb,
      resumedFrom: 40 * mb,
      elapsedMs: 2000,
      done: false,
    });
    expect(line).toBe('25.0% 50.0/200.0 MB 5.0 MB/s');
  });
});

describe('extractArchive', () => {
  it('extracts a CIFAR-100 tar.gz byte for byte, marks it complete and skips re-runs', async () => {
    const fixture = await makeCifarTarGz(work);
    const archive = join(work, 'cifar-100-binary.tar.gz');
    await writeFile(archive, fixture.archive);
    const data = join(work, 'data');
    await mkdir(data);
    const target = join(data, 'cifar-100-binary');
    const first = await extractArchive(archive, target, { archiveRoot: 'cifar-100-binary' });
    expect(first).toEqual({ dir: target, skipped: false });
    for (const [name, bytes] of Object.entries(fixture.files)) {
      await expectFileBytes(join(target, name), bytes);
    }
    expect((await readFile(join(target, 'train.bin'))).length).toBe(5 * 3074);
    expect(await isExtracted(target)).toBe(true);
    expect((await readdir(data)).sort()).toEqual(['cifar-100-binary']);
    expect(await extractArchive(archive, target)).toEqual({ dir: target, skipped: true });
  });

  it('replaces a half-extracted directory that has no marker', async () => {
    const fixture = await makeCifarTarGz(work);
    const archive = join(work, 'c.tar.gz');
    await writeFile(archive, fixture.archive);
    const target = join(work, 'cifar-100-binary');
    await mkdir(target);
    await writeFile(join(target, 'train.bin'), 'half');
    await mkdir(join(work, '.cifar-100-binary.partial-stale'));
    await extractArchive(archive, target);
    await expectFileBytes(join(target, 'train.bin'), fixture.files['train.bin']);
    expect(existsSync(join(work, '.cifar-100-binary.partial-stale'))).toBe(false);
  });

  it('fails on a corrupt tar.gz without leaving a target or temp directory', async () => {
    const fixture = await makeCifarTarGz(work);
    const archive = join(work, 'bad.tar.gz');
    await writeFile(archive, fixture.archive.subarray(0, fixture.archive.length >> 1));
    const data = join(work, 'data');
    await mkdir(data);
    await expect(extractArchive(archive, join(data, 'cifar-100-binary'))).rejects.toThrow(archive);
    expect(await readdir(data)).toEqual([]);
  });

  it('reads zips: deflated, stored, data descriptors, directories, a trailing comment', async () => {
    const big = pseudoRandomBytes(70_000, 3);
    const text = Buffer.from('n01443537\tgoldfish\n'.repeat(50));
    const zip = makeZip(
      [
        { name: 'tiny-imagenet-200/' },
        { name: 'tiny-imagenet-200/words.txt', data: text },
        { name: 'tiny-imagenet-200/train/a.JPEG', data: big, method: 0 },
        { name: 'tiny-imagenet-200/val/b.bin', data: big, dataDescriptor: true },
        { name: 'tiny-imagenet-200/empty.txt', data: Buffer.alloc(0) },
      ],
      { comment: 'made by a test' },
    );
    const archive = join(work, 'tiny-imagenet-200.zip');
    await writeFile(archive, zip);
    const target = join(work, 'tiny-imagenet-200');
    await extractArchive(archive, target, { archiveRoot: 'tiny-imagenet-200' });
    await expectFileBytes(join(target, 'words.txt'), text);
    await expectFileBytes(join(target, 'train', 'a.JPEG'), big);
    await expectFileBytes(join(target, 'val', 'b.bin'), big);
    expect((await readFile(join(target, 'empty.txt'))).length).toBe(0);
    expect(existsSync(join(target, COMPLETE_MARKER))).toBe(true);
  });

  it.skipIf(!hasCommand('zip'))('reads a zip written by Info-ZIP', async () => {
    const src = join(work, 'src', 'tree');
    await mkdir(join(src, 'nested'), { recursive: true });
    const data = pseudoRandomBytes(50_000, 11);
    await writeFile(join(src, 'nested', 'x.bin'), data);
    await writeFile(join(src, 'y.txt'), 'hello\n'.repeat(1000));
    execFileSync('zip', ['-qr', join(work, 'tree.zip'), 'tree'], { cwd: join(work, 'src') });
    const target = join(work, 'out');
    await extractArchive(join(work, 'tree.zip'), target);
    await expectFileBytes(join(target, 'nested', 'x.bin'), data);
    expect(await readFile(join(target, 'y.txt'), 'utf8')).toBe('hello\n'.repeat(1000));
  });

  it.each([
    ['../evil.txt', 'invalid relative path: ../evil.txt'],
    ['tiny-imagenet-200/../../evil.txt', 'invalid relative path: tiny-imagenet-200/../../evil.txt'],
    ['/tmp/evil.txt', 'absolute path: /tmp/evil.txt'],
    ['C:/evil.txt', 'absolute path: C:/evil.txt'],
    // Windows tools write backslashes; they count as separators.
    ['..\\evil.txt', 'invalid relative path: ../evil.txt'],
  ])('rejects the zip-slip entry %s and writes nothing', async (name, message) => {
    const zip = makeZip([
      { name: 'ok/a.txt', data: Buffer.from('a') },
      { name, data: Buffer.from('pwned') },
    ]);
    const archive = join(work, 'slip.zip');
    await writeFile(archive, zip);
    const data = join(work, 'data');
    await mkdir(data);
    await expect(extractArchive(archive, join(data, 'ok'))).rejects.toThrow(message);
    expect(await readdir(data)).toEqual([]);
    expect(existsSync(join(work, 'evil.txt'))).toBe(false);
  });

  it('rejects a CRC mismatch', async () => {
    const archive = join(work, 'crc.zip');
    await writeFile(archive, makeZip([{ name: 'd/a', data: Buffer.from('abc'), badCrc: true }]));
    await expect(extractArchive(archive, join(work, 'd'))).rejects.toThrow(/CRC-32 mismatch/);
  });

  // extractZip leaves this check to yauzl (validateEntrySizes); this pins that it happens.
  it.each([
    [8, 1, /not enough bytes/],
    [8, -1, /too many bytes/],
    [0, 1, /size mismatch for stored file/],
  ] as const)(
    'rejects a method-%i entry whose size is misstated by %i',
    async (method, sizeDelta, message) => {
      const archive = join(work, 'size.zip');
      await writeFile(
        archive,
        makeZip([{ name: 'd/a', data: Buffer.from('abc'.repeat(50)), method, sizeDelta }]),
      );
      await expect(extractArchive(archive, join(work, 'd'))).rejects.toThrow(message);
    },
  );

  it('rejects files that are not zips', async () => {
    const archive = join(work, 'not.zip');
    await writeFile(archive, pseudoRandomBytes(1000, 5));
    await expect(extractArchive(archive, join(work, 'x'))).rejects.toThrow(/not a zip file/);
  });

  it('accepts ordinary relative entry names', () => {
    expect(safeEntryPath('/r', 'a/b..c/d', 'z.zip')).toBe('/r/a/b..c/d');
    expect(() => safeEntryPath('/r', 'C:/x', 'z.zip')).toThrow(/unsafe/);
  });
});

function hasCommand(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
