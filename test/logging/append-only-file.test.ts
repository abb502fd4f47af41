import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppendOnlyFile, openAppendOnly } from '../../src/logging/append-only-file.js';

describe('AppendOnlyFile', () => {
  it('appends after what the file held, and refuses appends once closed', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'nscl-append-')), 'log');
    const first = new AppendOnlyFile(path, openSync(path, 'a'));
    first.append(Buffer.from('ab'));
    first.close();
    const second = new AppendOnlyFile(path, openSync(path, 'a'));
    second.append(Buffer.from('cd'));
    second.flush();
    second.close();
    second.close();
    expect(readFileSync(path, 'utf8')).toBe('abcd');
    expect(() => second.append(Buffer.from('e'))).toThrow(/is closed/);
  });
});

describe('openAppendOnly', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'nscl-append-'));

  it('creates the file, or cuts it back to a checkpoint’s length before appending', () => {
    const path = join(dir(), 'log');
    const created = openAppendOnly(path);
    created.append(Buffer.from('abcdef'));
    created.close();
    const resumed = openAppendOnly(path, 3);
    expect(resumed.size).toBe(3);
    resumed.append(Buffer.from('X'));
    resumed.close();
    expect(readFileSync(path, 'utf8')).toBe('abcX');
  });

  it('refuses a file that is missing or shorter than the checkpoint says', () => {
    const path = join(dir(), 'log');
    expect(() => openAppendOnly(path, 0)).toThrow(/is missing/);
    writeFileSync(path, 'ab');
    expect(() => openAppendOnly(path, 3)).toThrow(/2 bytes, fewer than the 3/);
  });
});
