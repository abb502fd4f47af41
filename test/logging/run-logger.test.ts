import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_LOG_ENTRIES, RunLogger } from '../../src/logging/run-logger.js';
import type { RunResults } from '../../src/metrics/run-results.js';
import { tempDirPerTest } from '../helpers.js';
import { syntheticResults } from './fixtures.js';

const tempDir = tempDirPerTest('nscl-run-logger-');

const options = { tensorboard: true, report: true };
const savedResults = () =>
  JSON.parse(readFileSync(join(tempDir(), 'results.json'), 'utf8')) as RunResults;

describe('RunLogger', () => {
  it('writes only the entries it names in RUN_LOG_ENTRIES', () => {
    const logger = new RunLogger(tempDir(), { a: 1 }, options, ['t0', 't1', 't2']);
    logger.results(syntheticResults());
    logger.close();
    expect([...readdirSync(tempDir())].sort()).toEqual([...RUN_LOG_ENTRIES].sort());
  });

  it('status rewrites only results.json once it has written the result files', () => {
    const results = syntheticResults();
    const logger = new RunLogger(tempDir(), {}, options, ['t0', 't1', 't2']);
    logger.results(results);
    rmSync(join(tempDir(), 'accuracy-matrix.csv'));
    rmSync(join(tempDir(), 'report.html'));
    logger.status({ ...results, status: 'completed' });
    logger.close();
    expect(savedResults()).toEqual(JSON.parse(JSON.stringify({ ...results, status: 'completed' })));
    expect(existsSync(join(tempDir(), 'accuracy-matrix.csv'))).toBe(false);
    expect(existsSync(join(tempDir(), 'report.html'))).toBe(false);
  });

  it('status writes every result file before the logger has written them', () => {
    const logger = new RunLogger(tempDir(), {}, options, ['t0', 't1', 't2']);
    logger.status({ ...syntheticResults(), status: 'interrupted' });
    logger.close();
    expect(savedResults().status).toBe('interrupted');
    expect(existsSync(join(tempDir(), 'accuracy-matrix.csv'))).toBe(true);
    expect(existsSync(join(tempDir(), 'report.html'))).toBe(true);
  });
});
