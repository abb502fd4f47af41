import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AppendOnlyFile } from '../../src/logging/append-only-file.js';

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
