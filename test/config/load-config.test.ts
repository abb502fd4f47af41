import { describe, expect, it } from 'vitest';
import { applyOverrides, ConfigError } from '../../src/config/load-config.js';
import { loadPreset, presetNames } from '../../src/config/presets.js';
import type { ExperimentConfig } from '../../src/config/schema.js';
import { parseConfig } from '../../src/registry/experiment-config.js';
import type { AdamNsclSettings } from '../../src/strategies/adam-nscl.js';

const nscl = (c: ExperimentConfig) => c['adam-nscl'] as AdamNsclSettings;

describe('config', () => {
  it('fills defaults and keeps given values', () => {
    const c = parseConfig({ seed: 3, 'adam-nscl': { a: 30 } }, 'test');
    expect(c.seed).toBe(3);
    expect(nscl(c).a).toBe(30);
    expect(nscl(c).rule).toBe('relative');
    expect(c.train.lr.head).toBe(1e-3);
  });

  it('rejects unknown keys, naming them', () => {
    expect(() => parseConfig({ 'adam-nscl': { aa: 1 } }, 'test')).toThrow(
      /unknown key: adam-nscl\.aa/,
    );
    expect(() => parseConfig({ bogus: 1 }, 'test')).toThrow(/unknown key: bogus/);
  });

  it('rejects bad values, naming the key', () => {
    expect(() => parseConfig({ train: { epochs: 0 } }, 'test')).toThrow(/train\.epochs/);
    expect(() => parseConfig({ model: { type: 'vgg' } }, 'test')).toThrow(/model\.type/);
    expect(() => parseConfig({ 'adam-nscl': { a: 0.5 } }, 'test')).toThrow(ConfigError);
  });

  it('--set parses JSON values, dotted paths and aliases', () => {
    const o = applyOverrides({}, [
      'a=30',
      'train.milestones=[30,60]',
      'strategy=ewc',
      'data.dir=/x/y',
      'log.report=false',
    ]);
    const c = parseConfig(o, 'test');
    expect(nscl(c).a).toBe(30);
    expect(c.train.milestones).toEqual([30, 60]);
    expect(c.strategy).toBe('ewc');
    expect(c.data.dir).toBe('/x/y');
    expect(c.log.report).toBe(false);
    expect(() => applyOverrides({}, ['novalue'])).toThrow(/key=value/);
  });

  it('every preset validates; the paper presets carry the paper’s hyper-parameters', () => {
    for (const name of presetNames())
      expect(() => parseConfig(loadPreset(name), name)).not.toThrow();
    const c10 = parseConfig(loadPreset('cifar100-10'), 'p');
    const c20 = parseConfig(loadPreset('cifar100-20'), 'p');
    const tin = parseConfig(loadPreset('tinyimagenet-25'), 'p');
    expect([nscl(c10).a, nscl(c20).a, nscl(tin).a]).toEqual([10, 30, 10]);
    expect([c10.train.batchSize, c20.train.batchSize, tin.train.batchSize]).toEqual([32, 16, 16]);
    expect(c10.train.epochs).toBe(80);
    expect(c10.train.milestones).toEqual([30, 60]);
    expect(c10.train.lr).toEqual({ backboneFirstTask: 1e-4, backbone: 5e-5, head: 1e-3, bn: 5e-4 });
    expect(c10.train.weightDecay).toBe(5e-5);
    expect(nscl(c10).bnEwc).toBe(100);
    expect(() => loadPreset('nope')).toThrow(/unknown preset 'nope'/);
  });
});
