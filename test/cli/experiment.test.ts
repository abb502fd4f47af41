import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/experiment.js';

const quick = [
  '--backend',
  'cpu',
  '--set',
  'data.trainLimit=100',
  '--set',
  'data.testLimit=50',
  '--set',
  'train.epochs=1',
  '--set',
  'model.mlp.hidden=[16]',
  '--set',
  'log.progress=false',
];

function captureErrors() {
  const lines: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    lines.push(args.join(' '));
  });
  vi.spyOn(console, 'log').mockImplementation(() => {});
  return lines;
}

describe('experiment CLI', () => {
  afterEach(() => vi.restoreAllMocks());

  it('rejects unknown keys and bad values with one line naming them (exit 2)', async () => {
    const errors = captureErrors();
    expect(await main(['--set', 'adam-nscl.bogus=1'])).toBe(2);
    expect(errors.join('\n')).toMatch(/unknown key: adam-nscl\.bogus/);
    expect(await main(['--set', 'model.hidden=[8]'])).toBe(2);
    expect(errors.join('\n')).toMatch(
      /unknown key: model\.hidden \(did you mean model\.mlp\.hidden\?\)/,
    );
    expect(await main(['--set', 'strategy=nope'])).toBe(2);
    expect(errors.join('\n')).toMatch(/strategy: .*adam-nscl/);
    expect(await main(['--set', 'train.epochs=-1'])).toBe(2);
    expect(errors.join('\n')).toMatch(/train\.epochs/);
    expect(await main(['--preset', 'nope'])).toBe(2);
    expect(errors.join('\n')).toMatch(/unknown preset 'nope'/);
    expect(await main(['--frobnicate'])).toBe(2);
  });

  it('runs a preset with a strategy from an imported module and saves the config', async () => {
    captureErrors();
    const out = join(mkdtempSync(join(tmpdir(), 'nscl-cli-')), 'run');
    const code = await main([
      ...quick,
      '--import',
      'examples/custom-strategy.ts',
      '--set',
      'strategy=l2-anchor',
      '--seed',
      '4',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.strategy).toBe('l2-anchor');
    expect(config.seed).toBe(4);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8'));
    expect(results.accMatrix).toHaveLength(5);
    expect(results.backend).toBe('cpu');
    expect(existsSync(join(out, 'report.html'))).toBe(true);
  });
});
