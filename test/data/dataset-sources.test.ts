import { describe, expect, it } from 'vitest';
import { DATASET_NAMES, DATASET_SOURCES } from '../../src/data/dataset-sources.js';

describe('DATASET_SOURCES', () => {
  it.each(DATASET_NAMES)('%s caps downloads at about 1.5 times the expected size', (name) => {
    const { approxMegabytes, maxMegabytes } = DATASET_SOURCES[name];
    expect(maxMegabytes / approxMegabytes).toBeGreaterThanOrEqual(1.4);
    expect(maxMegabytes / approxMegabytes).toBeLessThanOrEqual(1.6);
  });
});
