/**
 * The Encoding Standard's gb18030 decoder, which GBK decodes with too: the standard's
 * algorithm over its two indexes, index-gb18030 (GB18030-2022's two-byte mappings) and
 * index-gb18030-ranges. Node's ICU decoder differs from the standard in what it does
 * with invalid bytes and in the mappings GB18030-2022 changed, so these two encodings are
 * decoded here. The indexes come from the iconv-lite package, built at first use: its
 * ranges table is the standard's, and its two-byte table is the standard's before
 * GB18030-2022, so the 18 mappings that standard moved out of the Private Use Area are
 * applied over it (whatwg/encoding#336, from Unicode's L2/23-003r recommendation).
 */
import { createRequire } from 'node:module';
import iconv from 'iconv-lite';

const POINTERS = 126 * 190;

/** GB18030-2022's two-byte mappings that replaced Private Use Area code points: [bytes, code point]. */
const GB18030_2022: ReadonlyArray<readonly [number, number]> = [
  [0xa6d9, 0xfe10], [0xa6da, 0xfe12], [0xa6db, 0xfe11], [0xa6dc, 0xfe13], [0xa6dd, 0xfe14],
  [0xa6de, 0xfe15], [0xa6df, 0xfe16], [0xa6ec, 0xfe17], [0xa6ed, 0xfe18], [0xa6f3, 0xfe19],
  [0xfe59, 0x9fb4], [0xfe61, 0x9fb5], [0xfe66, 0x9fb6], [0xfe67, 0x9fb7], [0xfe6d, 0x9fb8],
  [0xfe7e, 0x9fb9], [0xfe90, 0x9fba], [0xfea0, 0x9fbb],
];

function pointerOf(lead: number, trail: number): number {
  return (lead - 0x81) * 190 + (trail - (trail < 0x7f ? 0x40 : 0x41));
}

let twoByte: Uint32Array | null = null;
let rangePointers: readonly number[] = [];
let rangeCodes: readonly number[] = [];

function indexes(): Uint32Array {
  if (twoByte !== null) return twoByte;
  const table = new Uint32Array(POINTERS);
  const pair = Buffer.alloc(2);
  for (let pointer = 0; pointer < POINTERS; pointer++) {
    const trail = pointer % 190;
    pair[0] = Math.floor(pointer / 190) + 0x81;
    pair[1] = trail + (trail < 0x3f ? 0x40 : 0x41);
    const text = iconv.decode(pair, 'gb18030');
    const code = text.codePointAt(0) ?? 0xfffd;
    // 0 marks a pointer the index does not map (no two-byte sequence decodes to U+0000)
    table[pointer] = text.length === 1 && code !== 0xfffd ? code : 0;
  }
  for (const [bytes, code] of GB18030_2022) table[pointerOf(bytes >> 8, bytes & 0xff)] = code;
  const ranges = createRequire(import.meta.url)('iconv-lite/encodings/tables/gb18030-ranges.json') as { uChars: number[]; gbChars: number[] };
  rangePointers = ranges.gbChars;
  rangeCodes = ranges.uChars;
  twoByte = table;
  return table;
}

/** The standard's "index gb18030 ranges code point": null for pointers it leaves unmapped. */
function rangesCodePoint(pointer: number): number | null {
  if ((pointer > 39419 && pointer < 189000) || pointer > 1237575) return null;
  if (pointer === 7457) return 0xe7c7;
  if (pointer >= 189000) return 0x10000 + pointer - 189000;
  let lo = 0;
  let hi = rangePointers.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (rangePointers[mid] <= pointer) lo = mid;
    else hi = mid - 1;
  }
  return rangeCodes[lo] + pointer - rangePointers[lo];
}

/** Decodes a whole input; null under `fatal` at the first error. */
export function decodeGb18030(bytes: Uint8Array, fatal: boolean): string | null {
  const index = indexes();
  const out: number[] = [];
  // bytes the algorithm "prepends to the queue" are read again before the rest of the input
  const queue: number[] = [];
  let first = 0;
  let second = 0;
  let third = 0;
  let i = 0;
  const next = (): number => (queue.length > 0 ? queue.shift()! : bytes[i++]);
  const error = (): boolean => {
    if (fatal) return false;
    out.push(0xfffd);
    return true;
  };
  while (queue.length > 0 || i < bytes.length) {
    const byte = next();
    if (third !== 0) {
      if (byte < 0x30 || byte > 0x39) {
        queue.unshift(second, third, byte);
        first = second = third = 0;
        if (!error()) return null;
        continue;
      }
      const code = rangesCodePoint((first - 0x81) * 12600 + (second - 0x30) * 1260 + (third - 0x81) * 10 + byte - 0x30);
      first = second = third = 0;
      if (code === null) {
        if (!error()) return null;
      } else out.push(code);
      continue;
    }
    if (second !== 0) {
      if (byte >= 0x81 && byte <= 0xfe) {
        third = byte;
        continue;
      }
      queue.unshift(second, byte);
      first = second = 0;
      if (!error()) return null;
      continue;
    }
    if (first !== 0) {
      if (byte >= 0x30 && byte <= 0x39) {
        second = byte;
        continue;
      }
      const lead = first;
      first = 0;
      const pointer = (byte >= 0x40 && byte <= 0x7e) || (byte >= 0x80 && byte <= 0xfe) ? pointerOf(lead, byte) : null;
      const code = pointer === null ? 0 : index[pointer];
      if (code !== 0) {
        out.push(code);
        continue;
      }
      if (byte < 0x80) queue.unshift(byte);
      if (!error()) return null;
      continue;
    }
    if (byte < 0x80) out.push(byte);
    else if (byte === 0x80) out.push(0x20ac);
    else if (byte <= 0xfe) first = byte;
    else if (!error()) return null;
  }
  // end of input inside a sequence
  if ((first !== 0 || second !== 0 || third !== 0) && !error()) return null;
  let text = '';
  for (let k = 0; k < out.length; k += 8192) text += String.fromCodePoint(...out.slice(k, k + 8192));
  return text;
}
