/** The door for multi-byte legacy decoding: what it decodes, and what it refuses. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_LEGACY_DECODE_BYTES, legacyDecode } from './legacy-decode.ts';

const buf = (...bytes: number[]) => new Uint8Array(bytes).buffer;

describe('legacyDecode', () => {
  it('decodes the multi-byte legacy encodings', () => {
    assert.equal(legacyDecode('shift_jis', buf(0x82, 0xa0, 0x41), false), 'あA');
    assert.equal(legacyDecode('euc-jp', buf(0xa4, 0xa2), false), 'あ');
    assert.equal(legacyDecode('iso-2022-jp', buf(0x1b, 0x24, 0x42, 0x24, 0x22, 0x1b, 0x28, 0x42, 0x41), false), 'あA');
    assert.equal(legacyDecode('gbk', buf(0xc4, 0xe3), false), '你');
    assert.equal(legacyDecode('gb18030', buf(0x81, 0x30, 0x81, 0x30), false), '\u0080');
    assert.equal(legacyDecode('big5', buf(0xa4, 0x40), false), '一');
    assert.equal(legacyDecode('euc-kr', buf(0xb0, 0xa1), false), '가');
  });

  it('answers null for invalid bytes under fatal, U+FFFD without', () => {
    assert.equal(legacyDecode('shift_jis', buf(0x82), true), null);
    assert.equal(legacyDecode('shift_jis', buf(0x82), false), '\ufffd');
  });

  it('refuses anything but its fixed encodings, an ArrayBuffer within the bound, a boolean', () => {
    const bad: Array<[unknown, unknown, unknown]> = [
      ['utf-8', buf(0x41), false],
      ['__proto__', buf(0x41), false],
      ['constructor', buf(0x41), false],
      [{ toString: () => 'shift_jis' }, buf(0x41), false],
      ['SHIFT_JIS', buf(0x41), false],
      ['shift_jis', new Uint8Array([0x41]), false],
      ['shift_jis', new SharedArrayBuffer(1), false],
      ['shift_jis', 'A', false],
      ['shift_jis', new ArrayBuffer(MAX_LEGACY_DECODE_BYTES + 1), false],
      ['shift_jis', buf(0x41), 1],
      ['shift_jis', buf(0x41), 'true'],
    ];
    for (const [encoding, bytes, fatal] of bad) {
      assert.throws(() => legacyDecode(encoding, bytes, fatal), /bad decode call/, `${String(encoding)}`);
    }
    assert.equal(legacyDecode('shift_jis', new ArrayBuffer(MAX_LEGACY_DECODE_BYTES), false)?.length, MAX_LEGACY_DECODE_BYTES);
  });
});
