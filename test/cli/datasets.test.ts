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
import { type CliIo, main } from '../../src/cli/datasets.js';

// ---------------------------------------------------------------------------------------------
// Fixtures: a tiny cifar-100-binary tree in the official record layout, served over local HTTP.

function cifarRecords(count: number, seed: number): Buffer {
  const out = Buffer.alloc(count * 3074);
  for (let i = 0; i < count; i++) {
    out[i * 3074] = i % 20; // coarse label
    out[i * 3074 + 1] = (i * 13 + seed) % 100; // fine label
    for (let p = 0; p < 3072; p++) out[i * 3074 + 2 + p] = (p * 31 + i * 7 + seed) & 0xff;
  }
  return out;
}

interface Fixture {
  readonly archive: Buffer;
  readonly files: Readonly<Record<string, Buffer>>;
}

async function makeFixture(work: string, root: string, format: 'tar.gz' | 'zip'): Promise<Fixture> {
  const files = { 'train.bin': cifarRecords(4, 1), 'test.bin': cifarRecords(2, 50) };
  const src = join(work, 'fixture-src');
  await mkdir(join(src, root), { recursive: true });
  for (const [name, data] of Object.entries(files)) await writeFile(join(src, root, name), data);
  const file = join(work, `fixture.${format}`);
  if (format === 'tar.gz') {
    await tar.c({ gzip: true, file, cwd: src, portable: true }, [root]);
  } else {
    execFileSync('zip', ['-qr', file, root], { cwd: src });
  }
  const archive = await readFile(file);
  await rm(src, { recursive: true });
  await rm(file);
  return { archive, files };
}

interface TestServer {
  readonly url: string;
  /** Range header of each request ('' when absent). */
  readonly ranges: string[];
  close(): Promise<void>;
}

/** Serves one file at /archive with Range support; every other path is a 404. */
async function serve(body: Buffer): Promise<TestServer> {
  const ranges: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/archive') {
      res.writeHead(404).end();
      return;
    }
    ranges.push(req.headers.range ?? '');
    const start = Number(/^bytes=(\d+)-$/.exec(req.headers.range ?? '')?.[1] ?? 0);
    if (start === 0) {
      res.writeHead(200, { 'content-length': body.length }).end(body);
      return;
    }
    res.writeHead(206, {
      'content-length': body.length - start,
      'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
    });
    res.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/archive`,
    ranges,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Captured {
  readonly io: CliIo;
  readonly out: string[];
  readonly err: string[];
}

function capture(): Captured {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (l) => out.push(l), err: (l) => err.push(l), progress: () => {} },
    out,
    err,
  };
}

const MIB = 1024 * 1024;

const digest = (algorithm: string, data: Buffer) =>
  createHash(algorithm).update(data).digest('hex');

async function expectSameFiles(dir: string, files: Readonly<Record<string, Buffer>>) {
  for (const [name, bytes] of Object.entries(files)) {
    expect((await readFile(join(dir, name))).equals(bytes)).toBe(true);
  }
}

function hasZip(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v zip'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------

let work: string;
let dataDir: string;
let fixture: Fixture;
let server: TestServer;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'nscl-datasets-cli-'));
  dataDir = join(work, 'data');
  fixture = await makeFixture(work, 'cifar-100-binary', 'tar.gz');
  server = await serve(fixture.archive);
});

afterEach(async () => {
  await server.close();
  await rm(work, { recursive: true, force: true });
});

describe('datasets CLI', () => {
  it('downloads, verifies and extracts CIFAR-100, then skips on a re-run', async () => {
    const sha = digest('sha256', fixture.archive);
    const args = ['cifar100', '--dir', dataDir, '--url', server.url, '--sha256', sha];
    const run = capture();
    expect(await main(args, run.io)).toBe(0);
    const target = join(dataDir, 'cifar-100-binary');
    await expectSameFiles(target, fixture.files);
    expect((await readdir(dataDir)).sort()).toEqual(['cifar-100-binary']);
    expect(run.out).toContain(`use it in experiments with: --set data.dir=${target}`);
    expect(run.err.some((l) => l.startsWith('datasets:'))).toBe(false);

    const again = capture();
    expect(await main(args, again.io)).toBe(0);
    expect(server.ranges).toHaveLength(1);
    expect(again.err.join('\n')).toMatch(/already extracted/);
    expect(again.out.join('\n')).toContain(target);
  });

  it('resumes a .part left by an interrupted run', async () => {
    await mkdir(dataDir, { recursive: true });
    const half = fixture.archive.length >> 1;
    await writeFile(
      join(dataDir, 'cifar-100-binary.tar.gz.part'),
      fixture.archive.subarray(0, half),
    );
    const sha = digest('sha256', fixture.archive);
    // Exactly the archive's size: a limit is inclusive.
    const limit = String(fixture.archive.length / MIB);
    const run = capture();
    const code = await main(
      [
        'cifar100',
        '--dir',
        dataDir,
        '--url',
        server.url,
        '--sha256',
        sha,
        '--max-megabytes',
        limit,
      ],
      run.io,
    );
    expect(code).toBe(0);
    expect(server.ranges).toEqual([`bytes=${half}-`]);
    await expectSameFiles(join(dataDir, 'cifar-100-binary'), fixture.files);
  });

  it('keeps the archive with --keep-archive and reuses it offline after the data is lost', async () => {
    const md5 = digest('md5', fixture.archive);
    const args = [
      'cifar100',
      '--dir',
      dataDir,
      '--url',
      server.url,
      '--md5',
      md5,
      '--keep-archive',
    ];
    expect(await main(args, capture().io)).toBe(0);
    const archive = join(dataDir, 'cifar-100-binary.tar.gz');
    expect((await readFile(archive)).equals(fixture.archive)).toBe(true);

    await rm(join(dataDir, 'cifar-100-binary'), { recursive: true });
    await server.close();
    const run = capture();
    expect(await main(args, run.io)).toBe(0);
    expect(run.err.join('\n')).toContain(`using existing ${archive}`);
    await expectSameFiles(join(dataDir, 'cifar-100-binary'), fixture.files);
  });

  it('fails with exit 1 and one clean line on a checksum mismatch, leaving no files', async () => {
    const run = capture();
    const wrong = 'b'.repeat(64);
    const code = await main(
      ['cifar100', '--dir', dataDir, '--url', server.url, '--sha256', wrong],
      run.io,
    );
    expect(code).toBe(1);
    const errors = run.err.filter((l) => l.startsWith('datasets:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/checksum mismatch/);
    expect(errors[0]).toContain(wrong);
    expect(run.err.join('\n')).not.toMatch(/\n\s+at /);
    expect(await readdir(dataDir)).toEqual([]);
  });

  it('refuses a download over --max-megabytes with a hint, leaving no files', async () => {
    const limit = (fixture.archive.length - 1) / MIB;
    const run = capture();
    const code = await main(
      ['cifar100', '--dir', dataDir, '--url', server.url, '--max-megabytes', String(limit)],
      run.io,
    );
    expect(code).toBe(1);
    expect(run.err.at(-1)).toBe(
      `datasets: download of ${server.url} refused: the server announces ` +
        `${fixture.archive.length} bytes, more than the limit of ${fixture.archive.length - 1}; ` +
        `the limit is ${limit} MB, pass --max-megabytes N to change it`,
    );
    expect(await readdir(dataDir)).toEqual([]);
  });

  it("limits a download to the data set's maxMegabytes by default", async () => {
    // Announces a 251 MB CIFAR-100 archive and never sends it.
    const oversize = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': 251 * MIB });
      res.flushHeaders();
    });
    await new Promise<void>((resolve) => oversize.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(oversize.address() as AddressInfo).port}/archive`;
    try {
      const run = capture();
      expect(await main(['cifar100', '--dir', dataDir, '--url', url], run.io)).toBe(1);
      expect(run.err.at(-1)).toMatch(/announces 263192576 bytes.*the limit is 250 MB/);
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      oversize.closeAllConnections();
      await new Promise((resolve) => oversize.close(resolve));
    }
  });

  it('applies the official checksum to a --url mirror unless overridden', async () => {
    const run = capture();
    const code = await main(['cifar100', '--dir', dataDir, '--url', server.url], run.io);
    expect(code).toBe(1);
    expect(run.err.join('\n')).toMatch(/expected md5 03b5dce01913d631647c71ecec9e9cb8/);
  });

  it('reports HTTP errors with the status and exit 1', async () => {
    const run = capture();
    const url = server.url.replace('/archive', '/nope');
    expect(await main(['cifar100', '--dir', dataDir, '--url', url], run.io)).toBe(1);
    expect(run.err.at(-1)).toMatch(/^datasets: .*\/nope.*HTTP 404/);
  });

  it.skipIf(!hasZip())('extracts a Tiny ImageNet style zip', async () => {
    const zip = await makeFixture(work, 'tiny-imagenet-200', 'zip');
    const zipServer = await serve(zip.archive);
    try {
      const sha = digest('sha256', zip.archive);
      const args = ['tinyimagenet', '--dir', dataDir, '--url', zipServer.url, '--sha256', sha];
      expect(await main(args, capture().io)).toBe(0);
      await expectSameFiles(join(dataDir, 'tiny-imagenet-200'), zip.files);
    } finally {
      await zipServer.close();
    }
  });

  it.each([
    ['no arguments', []],
    ['missing --dir', ['cifar100']],
    ['unknown data set', ['mnist', '--dir', 'x']],
    ['two data sets', ['cifar100', 'tinyimagenet', '--dir', 'x']],
    ['unknown option', ['cifar100', '--dir', 'x', '--frobnicate']],
    ['bad sha256', ['cifar100', '--dir', 'x', '--sha256', 'xyz']],
    [
      'both digests',
      ['cifar100', '--dir', 'x', '--sha256', 'a'.repeat(64), '--md5', 'a'.repeat(32)],
    ],
    ['non-http url', ['cifar100', '--dir', 'x', '--url', 'ftp://example.org/a.tar.gz']],
    ['zero --max-megabytes', ['cifar100', '--dir', 'x', '--max-megabytes', '0']],
    ['non-numeric --max-megabytes', ['cifar100', '--dir', 'x', '--max-megabytes', 'lots']],
  ])('exits 2 on a usage error: %s', async (_label, argv) => {
    const run = capture();
    expect(await main(argv, run.io)).toBe(2);
    expect(run.err[0]).toMatch(/^datasets: /);
    expect(run.err.join('\n')).not.toMatch(/\n\s+at /);
    expect(existsSync('x')).toBe(false);
  });

  it('prints usage for --help', async () => {
    const run = capture();
    expect(await main(['--help'], run.io)).toBe(0);
    expect(run.out.join('\n')).toMatch(/usage: nullspace-cl datasets <cifar100\|tinyimagenet>/);
  });
});
