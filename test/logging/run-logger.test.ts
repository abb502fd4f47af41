import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RUN_LOG_ENTRIES, RunLogger } from '../../src/logging/run-logger.js';
import type { RunResults } from '../../src/metrics/run-results.js';
import { syntheticResults } from './fixtures.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nscl-run-logger-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const options = { tensorboard: true, report: true };
const savedResults = () =>
  JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as RunResults;

describe('RunLogger', () => {
  it('writes only the entries it names in RUN_LOG_ENTRIES', () => {
    const logger = new RunLogger(dir, { a: 1 }, options, ['t0', 't1', 't2']);
    logger.results(syntheticResults());
    logger.close();
    expect([...readdirSync(dir)].sort()).toEqual([...RUN_LOG_ENTRIES].sort());
  });

  it('status rewrites only results.json once it has written the result files', () => {
    const results = syntheticResults();
    const logger = new RunLogger(dir, {}, options, ['t0', 't1', 't2']);
    logger.results(results);
    rmSync(join(dir, 'accuracy-matrix.csv'));
    rmSync(join(dir, 'report.html'));
    logger.status({ ...results, status: 'completed' });
    logger.close();
    expect(savedResults()).toEqual(JSON.parse(JSON.stringify({ ...results, status: 'completed' })));
    expect(existsSync(join(dir, 'accuracy-matrix.csv'))).toBe(false);
    expect(existsSync(join(dir, 'report.html'))).toBe(false);
  });

  it('status writes every result file before the logger has written them', () => {
    const logger = new RunLogger(dir, {}, options, ['t0', 't1', 't2']);
    logger.status({ ...syntheticResults(), status: 'interrupted' });
    logger.close();
    expect(savedResults().status).toBe('interrupted');
    expect(existsSync(join(dir, 'accuracy-matrix.csv'))).toBe(true);
    expect(existsSync(join(dir, 'report.html'))).toBe(true);
  });
});
