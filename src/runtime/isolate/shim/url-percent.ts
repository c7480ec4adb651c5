/** Percent-encoding sets and helpers of the URL standard. */
import { utf8Decode, utf8Encode } from './encoding.ts';

// percent-encode sets, as predicates on a code unit (code points > 0x7e are always encoded)
export const C0 = (c: number) => c < 0x20 || c > 0x7e;
export const FRAGMENT = (c: number) => C0(c) || c === 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x60;
export const QUERY = (c: number) => C0(c) || c === 0x20 || c === 0x22 || c === 0x23 || c === 0x3c || c === 0x3e;
export const SPECIAL_QUERY = (c: number) => QUERY(c) || c === 0x27;
export const PATH = (c: number) => QUERY(c) || c === 0x3f || c === 0x5e || c === 0x60 || c === 0x7b || c === 0x7d;
export const USERINFO = (c: number) =>
  PATH(c) || c === 0x2f || c === 0x3a || c === 0x3b || c === 0x3d || c === 0x40 || (c >= 0x5b && c <= 0x5e) || c === 0x7c;

export const HEX = '0123456789ABCDEF';

export function encodeSet(s: string, inSet: (c: number) => boolean): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!inSet(c)) continue;
    let end = i + 1;
    if (c >= 0xd800 && c <= 0xdbff && end < s.length) end++;
    out += s.slice(last, i);
    for (const b of utf8Encode(s.slice(i, end))) out += '%' + HEX[b >> 4] + HEX[b & 15];
    last = end;
    i = end - 1;
  }
  return last === 0 ? s : out + s.slice(last);
}

export function percentDecodeBytes(s: string): Uint8Array {
  const bytes = utf8Encode(s);
  const out = new Uint8Array(bytes.length);
  let p = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === 0x25 && i + 2 < bytes.length) {
      const h = parseInt(String.fromCharCode(bytes[i + 1], bytes[i + 2]), 16);
      if (!Number.isNaN(h) && /^[0-9a-fA-F]{2}$/.test(String.fromCharCode(bytes[i + 1], bytes[i + 2]))) {
        out[p++] = h;
        i += 2;
        continue;
      }
    }
    out[p++] = b;
  }
  return out.subarray(0, p);
}

export const percentDecode = (s: string): string => (s.includes('%') ? utf8Decode(percentDecodeBytes(s)).text : s);
