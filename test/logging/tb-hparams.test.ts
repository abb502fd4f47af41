import { describe, expect, it } from 'vitest';
import {
  decodeHparamsPluginData,
  encodeHparamsPluginData,
  type HparamsPluginData,
  sweepHparams,
} from '../../src/logging/tb-hparams.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

// Expected bytes: the same messages built with tensorboard 2.21's plugin_data_pb2 / api_pb2 and
// serialised by the Python protobuf runtime.
describe('HParamsPluginData', () => {
  it('encodes session_start_info as TensorBoard does', () => {
    const data: HparamsPluginData = {
      kind: 'sessionStart',
      hparams: { lr: 0.5 },
      group: 'g',
      startTimeSecs: 2,
    };
    expect(hex(encodeHparamsPluginData(data))).toBe(
      '1a1d0a0f0a026c72120911000000000000e03f220167290000000000000040',
    );
  });

  it('encodes session_end_info as TensorBoard does', () => {
    const data: HparamsPluginData = { kind: 'sessionEnd', status: 'success', endTimeSecs: 3 };
    expect(hex(encodeHparamsPluginData(data))).toBe('220b0801110000000000000840');
  });

  it('encodes the experiment as TensorBoard does, false written and differs set', () => {
    const data: HparamsPluginData = {
      kind: 'experiment',
      timeCreatedSecs: 1,
      experiment: {
        hparams: [
          { name: 'on', type: 'bool', values: [false, true] },
          { name: 's', type: 'string', values: ['x'] },
        ],
        metrics: [{ tag: 'continual/ACC', displayName: 'ACC' }],
      },
    };
    expect(hex(encodeHparamsPluginData(data))).toBe(
      '124319000000000000f03f22120a026f6e20022a080a0220000a0220013801220c0a017320012a050a031a01782a160a0f120d636f6e74696e75616c2f4143431a03414343',
    );
  });

  it('round-trips every kind and value type', () => {
    const all: HparamsPluginData[] = [
      {
        kind: 'experiment',
        timeCreatedSecs: 1_704_067_200.5,
        experiment: {
          hparams: [
            { name: 'a', type: 'float64', values: [0, 10, 30], displayName: 'a (λ ≤ a·λmin)' },
            { name: 'strategy', type: 'string', values: ['', 'ewc'], description: 'method' },
            { name: 'free', type: 'string' },
          ],
          metrics: [{ tag: 'continual/ACC' }, { tag: 'continual/BWT', description: 'pp' }],
        },
      },
      {
        kind: 'sessionStart',
        hparams: { a: 0, strategy: '', flag: false, lr: -1e-3 },
        group: '',
        startTimeSecs: 5,
      },
      { kind: 'sessionEnd', status: 'failure', endTimeSecs: 9 },
      { kind: 'sessionEnd', status: 'running', endTimeSecs: 9 },
    ];
    for (const data of all)
      expect(decodeHparamsPluginData(encodeHparamsPluginData(data))).toEqual(data);
  });

  it('rejects non-finite values, domains of the wrong type and empty plugin data', () => {
    const start = (v: number): HparamsPluginData => ({
      kind: 'sessionStart',
      hparams: { a: v },
      group: '',
      startTimeSecs: 0,
    });
    expect(() => encodeHparamsPluginData(start(Number.NaN))).toThrow(/finite/);
    const experiment: HparamsPluginData = {
      kind: 'experiment',
      timeCreatedSecs: 0,
      experiment: { hparams: [{ name: 'a', type: 'float64', values: ['10'] }], metrics: [] },
    };
    expect(() => encodeHparamsPluginData(experiment)).toThrow(TypeError);
    expect(() => decodeHparamsPluginData(new Uint8Array(0))).toThrow(/no experiment/);
  });
});

describe('sweepHparams', () => {
  it('types each hparam from all runs and lists its sorted distinct values', () => {
    const { infos, runs } = sweepHparams([
      { a: 30, strategy: 'ewc', hidden: [64], bn: true },
      { a: 10, strategy: 'adam-nscl', hidden: [32, 32], bn: false },
      { a: 10, strategy: 'ewc', hidden: 64, bn: undefined },
    ]);
    expect(infos).toEqual([
      { name: 'a', type: 'float64', values: [10, 30] },
      { name: 'strategy', type: 'string', values: ['adam-nscl', 'ewc'] },
      { name: 'hidden', type: 'string', values: ['[32,32]', '[64]', '64'] },
      { name: 'bn', type: 'bool', values: [false, true] },
    ]);
    expect(runs).toEqual([
      { a: 30, strategy: 'ewc', hidden: '[64]', bn: true },
      { a: 10, strategy: 'adam-nscl', hidden: '[32,32]', bn: false },
      { a: 10, strategy: 'ewc', hidden: '64' },
    ]);
  });

  it('makes a name with mixed types a string everywhere', () => {
    const { infos, runs } = sweepHparams([{ x: 1 }, { x: 'auto' }, { x: true }]);
    expect(infos).toEqual([{ name: 'x', type: 'string', values: ['1', 'auto', 'true'] }]);
    expect(runs).toEqual([{ x: '1' }, { x: 'auto' }, { x: 'true' }]);
  });
});
