import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlWriter, readJsonl, toJsonLine } from '../../src/logging/jsonl.js';
import { tempDirPerTest } from '../helpers.js';

const tempDir = tempDirPerTest('jsonl-test-');

describe('JsonlWriter', () => {
  it('writes one object per line and appends across writers', () => {
    const path = join(tempDir(), 'log.jsonl');
    const a = new JsonlWriter(path);
    a.write({ type: 'epoch', task: 0, epoch: 0, loss: 0.5, accuracy: 80 });
    a.write({ type: 'eval', task: 0, acc: [91.5, null] });
    a.close();
    const b = new JsonlWriter(path);
    b.write({ type: 'task', task: 0, seconds: 12.5, note: 'line\nbreak' });
    b.flush();
    b.close();
    expect(readFileSync(path, 'utf8')).toBe(
      '{"type":"epoch","task":0,"epoch":0,"loss":0.5,"accuracy":80}\n' +
        '{"type":"eval","task":0,"acc":[91.5,null]}\n' +
        '{"type":"task","task":0,"seconds":12.5,"note":"line\\nbreak"}\n',
    );
    expect(readJsonl(path).map((r) => r.type)).toEqual(['epoch', 'eval', 'task']);
  });

  it('writes non-finite numbers as null so lines stay valid JSON', () => {
    expect(toJsonLine({ type: 'epoch', loss: Number.NaN, x: Number.POSITIVE_INFINITY })).toBe(
      '{"type":"epoch","loss":null,"x":null}',
    );
  });

  it('requires a type and refuses writes after close', () => {
    expect(() => toJsonLine({ type: '' })).toThrow(/type/);
    const w = new JsonlWriter(join(tempDir(), 'x.jsonl'));
    w.close();
    expect(() => w.write({ type: 'epoch' })).toThrow(/closed/);
  });
});

describe('readJsonl', () => {
  it('drops a torn last line but not a broken middle one', () => {
    const path = join(tempDir(), 'torn.jsonl');
    appendFileSync(path, '{"type":"epoch"}\n{"type":"ev');
    expect(readJsonl(path)).toEqual([{ type: 'epoch' }]);
    const bad = join(tempDir(), 'bad.jsonl');
    appendFileSync(bad, '{"type":"epoch"}\n{oops\n{"type":"task"}\n');
    expect(() => readJsonl(bad)).toThrow(/bad\.jsonl:2/);
  });
});
