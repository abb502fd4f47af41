import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  BackendUnavailableError,
  describeBackend,
  parseBackendName,
  selectBackend,
} from '../../src/backend/select-backend.js';

describe('backend selection', () => {
  it('selects wasm and reports SIMD and threads', async () => {
    const info = await selectBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(describeBackend(info)).toMatch(
      /^backend: wasm \(tfjs 'wasm' 4\.\d+\.\d+, SIMD (on|off), threads \d+\)$/,
    );
  });

  it('selects cpu by name and through NSCL_BACKEND', async () => {
    process.env.NSCL_BACKEND = 'cpu';
    try {
      expect((await selectBackend()).name).toBe('cpu');
      expect(tf.getBackend()).toBe('cpu');
    } finally {
      delete process.env.NSCL_BACKEND;
    }
  });

  it('a missing native backend is one clear line naming the package to install', async () => {
    // Native tfjs cannot install offline; where it is installed this test has nothing to check.
    const pkg = '@tensorflow/tfjs-node';
    const installed = await import(pkg).then(
      () => true,
      () => false,
    );
    if (installed) return;
    const err = await selectBackend('node').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect((err as Error).message).toMatch(/install it with: npm install @tensorflow\/tfjs-node$/);
    expect((err as Error).message).not.toContain('\n');
  });

  it('rejects unknown names', () => {
    expect(() => parseBackendName('tpu')).toThrow(
      /unknown backend 'tpu': choose one of gpu, node, wasm, cpu/,
    );
  });
});
