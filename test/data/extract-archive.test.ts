import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { COMPLETE_MARKER, extractArchive, isExtracted } from '../../src/data/extract-archive.js';
import { makeZip, type ZipFixtureEntry, type ZipOptions } from './zip-writer.js';

// More than a 16-bit count holds, like the ~120,000 entries of tiny-imagenet-200.zip.
const MANY = 70_000;

/** Small stored files spread over 200 class folders, each with its index as content. */
function manyEntries(count: number): ZipFixtureEntry[] {
  return Array.from({ length: count }, (_, i) => ({
    name: entryName(i),
    data: Buffer.from(`entry ${i}\n`),
    method: 0,
  }));
}

function entryName(i: number): string {
  return `many/n${i % 200}/f${i}.txt`;
}

let work: string;
let data: string;

beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'nscl-extract-'));
  data = join(work, 'data');
  await mkdir(data);
});

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

async function writeZip(entries: readonly ZipFixtureEntry[], options?: ZipOptions) {
  const archive = join(work, 'many.zip');
  await writeFile(archive, makeZip(entries, options));
  return archive;
}

/** Refused, and neither a target nor a temporary directory is left next to it. */
async function expectRefused(archive: string, message: RegExp): Promise<void> {
  const target = join(data, 'many');
  const error = await extractArchive(archive, target).catch((e: Error) => e);
  expect(error).toBeInstanceOf(Error);
  expect((error as Error).message).toContain(archive);
  expect((error as Error).message).toMatch(message);
  expect(await isExtracted(target)).toBe(false);
  expect(await readdir(data)).toEqual([]);
}

describe('extractArchive completeness', () => {
  it(`extracts all ${MANY} entries of a ZIP64 archive`, async () => {
    const archive = await writeZip(manyEntries(MANY), { zip64: true });
    const target = join(data, 'many');
    expect(await extractArchive(archive, target)).toEqual({ dir: target, skipped: false });
    const files = (await readdir(target, { recursive: true })).filter((p) => p.endsWith('.txt'));
    expect(files).toHaveLength(MANY);
    const samples = [0, 1, 199, 200, 4463, 4464, 65_535, 65_536, MANY - 1];
    for (const i of samples) {
      const path = join(data, entryName(i));
      expect(await readFile(path, 'utf8')).toBe(`entry ${i}\n`);
    }
    expect(await isExtracted(target)).toBe(true);
    expect((await readdir(data)).sort()).toEqual(['many']);
  });

  it('refuses an archive whose 16-bit entry count wrapped, marking nothing complete', async () => {
    // 70,000 mod 65,536 = 4,464 entries are all the end record admits to.
    const archive = await writeZip(manyEntries(MANY));
    await expectRefused(archive, /lists 4464 entries.*central directory/);
  });

  it('refuses a central directory with bytes after its last listed entry', async () => {
    const archive = await writeZip(manyEntries(3));
    const zip = await readFile(archive);
    // Count the entries one short; every size and offset stays consistent otherwise.
    zip.writeUInt16LE(2, zip.length - 14);
    zip.writeUInt16LE(2, zip.length - 12);
    await writeFile(archive, zip);
    await expectRefused(archive, /lists 2 entries/);
  });

  it('refuses symlinks and encrypted entries', async () => {
    const link = await writeZip([
      { name: 'many/ok.txt', data: Buffer.from('ok') },
      { name: 'many/link', data: Buffer.from('/etc/passwd'), method: 0, mode: 0o120777 },
    ]);
    await expectRefused(link, /'many\/link' is a symlink/);
    const locked = await writeZip([
      { name: 'many/a.txt', data: Buffer.from('a'), encrypted: true },
    ]);
    await expectRefused(locked, /'many\/a\.txt' is encrypted/);
  });

  it('refuses archives without entries', async () => {
    await expectRefused(await writeZip([]), /has no entries/);
    const tarGz = join(work, 'empty.tar.gz');
    // Two zero blocks: a tar that ends before any entry, which node-tar refuses by itself.
    await writeFile(tarGz, gzipSync(Buffer.alloc(1024)));
    await expectRefused(tarGz, /Unrecognized archive format/);
  });

  it('extracts a small ZIP64 archive with directories and a data descriptor', async () => {
    const archive = await writeZip(
      [
        { name: 'many/' },
        { name: 'many/a.txt', data: Buffer.from('deflated '.repeat(100)) },
        { name: 'many/b.txt', data: Buffer.from('described'), dataDescriptor: true },
      ],
      { zip64: true, comment: 'made by a test' },
    );
    const target = join(data, 'many');
    await extractArchive(archive, target);
    expect(await readFile(join(target, 'a.txt'), 'utf8')).toBe('deflated '.repeat(100));
    expect(await readFile(join(target, 'b.txt'), 'utf8')).toBe('described');
    expect((await readdir(target)).sort()).toEqual([COMPLETE_MARKER, 'a.txt', 'b.txt']);
  });
});
