import { describe, expect, it } from 'vitest';
import { crc32c, maskCrc, maskedCrc32c, unmaskCrc } from '../../src/logging/crc32c.js';

const ascii = (s: string) => new TextEncoder().encode(s);

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(ascii('123456789'))).toBe(0xe3069283);
  });

  it('matches the RFC 3720 (iSCSI) test vectors', () => {
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('is 0 for empty input and can continue over split input', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    const whole = ascii('hello, tensorboard');
    expect(crc32c(whole.subarray(7), crc32c(whole.subarray(0, 7)))).toBe(crc32c(whole));
  });

  it('masks as TFRecord does and unmasks back', () => {
    const crc = 0xe3069283;
    const expected = ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) % 2 ** 32;
    expect(maskCrc(crc)).toBe(expected);
    expect(maskedCrc32c(ascii('123456789'))).toBe(expected);
    for (const v of [0, 1, 0xffffffff, 0x80000000, crc]) expect(unmaskCrc(maskCrc(v))).toBe(v);
  });
});
