import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomic } from '../../src/util/write-atomic.js';
import { tempDirPerTest } from '../helpers.js';

const tempDir = tempDirPerTest('nscl-atomic-');

describe('writeAtomic', () => {
  it('replaces the file with text or bytes and leaves no temporary file', () => {
    const path = join(tempDir(), 'out.json');
    writeAtomic(path, 'first');
    writeAtomic(path, new Uint8Array([0x68, 0x69]));
    expect(readFileSync(path, 'utf8')).toBe('hi');
    writeAtomic(path, 'again', join(tempDir(), '.other.tmp'));
    expect(readFileSync(path, 'utf8')).toBe('again');
    expect(readdirSync(tempDir())).toEqual(['out.json']);
  });

  it('removes its temporary file when the rename fails', () => {
    // A directory in the way makes the rename fail after the temporary file is written.
    const path = join(tempDir(), 'taken');
    mkdirSync(join(path, 'child'), { recursive: true });
    expect(() => writeAtomic(path, 'text')).toThrow();
    expect(readdirSync(tempDir())).toEqual(['taken']);
  });
});
