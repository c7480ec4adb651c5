/** The Encoding Standard's gb18030 decoder, case by case from its algorithm. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeGb18030 } from './gb18030.ts';

const dec = (...bytes: number[]) => decodeGb18030(new Uint8Array(bytes), false);

/** The four bytes of a ranges pointer, as the standard's encoder writes them. */
function fourBytes(pointer: number): number[] {
  return [Math.floor(pointer / 12600) + 0x81, Math.floor((pointer % 12600) / 1260) + 0x30, Math.floor((pointer % 1260) / 10) + 0x81, (pointer % 10) + 0x30];
}

describe('gb18030 decoder', () => {
  it('one byte: ASCII as itself, 0x80 as the euro sign, 0xFF an error', () => {
    assert.equal(dec(0x41, 0x7f), 'A\u007f');
    assert.equal(dec(0x80), '\u20ac');
    assert.equal(dec(0xff, 0x41), '\ufffdA');
  });

  it('two bytes through index gb18030, with the GB18030-2022 mappings out of the Private Use Area', () => {
    assert.equal(dec(0xc4, 0xe3), '你');
    assert.equal(dec(0xa1, 0xa1), '\u3000');
    assert.equal(dec(0xfe, 0x59), '\u9fb4');
    assert.equal(dec(0xa6, 0xd9), '\ufe10');
    assert.equal(dec(0xa6, 0xda, 0xa6, 0xdb), '\ufe12\ufe11');
  });

  it('a bad trail byte is an error; an ASCII trail is read again as itself', () => {
    assert.equal(dec(0x81, 0x28), '\ufffd(');
    assert.equal(dec(0x81, 0x7f), '\ufffd\u007f');
    assert.equal(dec(0x81, 0xff), '\ufffd');
  });

  it('four bytes through index gb18030 ranges, its special pointer, and the supplementary planes', () => {
    assert.equal(dec(...fourBytes(0)), '\u0080');
    assert.equal(dec(...fourBytes(7457)), '\ue7c7');
    assert.equal(dec(...fourBytes(39419)), '\uffff');
    assert.equal(dec(...fourBytes(189000)), '\u{10000}');
    assert.equal(dec(...fourBytes(1237575)), '\u{10ffff}');
  });

  it('pointers the ranges leave unmapped, broken four-byte sequences and a sequence cut by the end are errors', () => {
    assert.equal(dec(...fourBytes(39420)), '\ufffd');
    assert.equal(dec(...fourBytes(1237576)), '\ufffd');
    // a third byte out of range: the second byte and it are read again
    assert.equal(dec(0x81, 0x30, 0xff), '\ufffd0\ufffd');
    assert.equal(dec(0x81, 0x30, 0x81, 0x29), '\ufffd0\ufffd)');
    assert.equal(dec(0x81), '\ufffd');
    assert.equal(dec(0x81, 0x30), '\ufffd');
    assert.equal(dec(0x81, 0x30, 0x81), '\ufffd');
  });

  it('fatal: null at the first error, the text otherwise', () => {
    assert.equal(decodeGb18030(new Uint8Array([0x41, 0xff]), true), null);
    assert.equal(decodeGb18030(new Uint8Array([0x81]), true), null);
    assert.equal(decodeGb18030(new Uint8Array([0xc4, 0xe3]), true), '你');
  });

  it('decodes a long input (more code points than one spread of arguments takes)', () => {
    const bytes = new Uint8Array(300_000).fill(0x41);
    assert.equal(decodeGb18030(bytes, false)?.length, 300_000);
  });
});
