/**
 * The host's half of TextDecoder for the Encoding Standard's multi-byte legacy encodings
 * (Shift_JIS, EUC-JP, ISO-2022-JP, GBK, gb18030, Big5, EUC-KR): their index tables are too
 * big to put in every isolate, so the shim hands the bytes to Node's TextDecoder (full
 * ICU; GBK and gb18030 by gb18030.ts) through one narrow synchronous door (`__nb_decode`, prepare.ts). Everything that
 * crosses is checked here: an encoding from a fixed list, an ArrayBuffer of at most
 * MAX_LEGACY_DECODE_BYTES, a boolean; the answer is a string, or null for invalid input
 * under `fatal` (no host object or host error ever crosses).
 */

import { TextDecoder } from 'node:util';
import { decodeGb18030 } from './gb18030.ts';

export const MULTI_BYTE_ENCODINGS: ReadonlySet<string> = new Set(['gbk', 'gb18030', 'big5', 'euc-jp', 'iso-2022-jp', 'shift_jis', 'euc-kr']);

/** Bytes decoded in one call: the call runs on the platform's thread, so it stays short. */
export const MAX_LEGACY_DECODE_BYTES = 1024 * 1024;

const decoders = new Map<string, TextDecoder>();

function decoderFor(encoding: string, fatal: boolean): TextDecoder {
  const key = `${encoding}/${fatal}`;
  let decoder = decoders.get(key);
  if (decoder === undefined) {
    decoder = new TextDecoder(encoding, { fatal });
    decoders.set(key, decoder);
  }
  return decoder;
}

/** Decodes bytes the isolate sent; throws (a host-side refusal) when the call is malformed. */
export function legacyDecode(encoding: unknown, bytes: unknown, fatal: unknown): string | null {
  if (typeof encoding !== 'string' || !MULTI_BYTE_ENCODINGS.has(encoding)) throw new Error('bad decode call: encoding');
  if (!(bytes instanceof ArrayBuffer) || bytes.byteLength > MAX_LEGACY_DECODE_BYTES) throw new Error('bad decode call: bytes');
  if (typeof fatal !== 'boolean') throw new Error('bad decode call: fatal');
  if (encoding === 'gbk' || encoding === 'gb18030') return decodeGb18030(new Uint8Array(bytes), fatal);
  try {
    return decoderFor(encoding, fatal).decode(new Uint8Array(bytes));
  } catch {
    // only `fatal` decoding throws, for invalid input
    return null;
  }
}
