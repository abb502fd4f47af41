import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeAtomic } from '../../src/util/write-atomic.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nscl-atomic-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('writeAtomic', () => {
  it('replaces the file with text or bytes and leaves no temporary file', () => {
    const path = join(dir, 'out.json');
    writeAtomic(path, 'first');
    writeAtomic(path, new Uint8Array([0x68, 0x69]));
    expect(readFileSync(path, 'utf8')).toBe('hi');
    writeAtomic(path, 'again', join(dir, '.other.tmp'));
    expect(readFileSync(path, 'utf8')).toBe('again');
    expect(readdirSync(dir)).toEqual(['out.json']);
  });

  it('removes its temporary file when the rename fails', () => {
    // A directory in the way makes the rename fail after the temporary file is written.
    const path = join(dir, 'taken');
    mkdirSync(join(path, 'child'), { recursive: true });
    expect(() => writeAtomic(path, 'text')).toThrow();
    expect(readdirSync(dir)).toEqual(['taken']);
  });
});
