/** UTF-8 TextEncoder, TextDecoder (every encoding of the Encoding Standard), atob/btoa, plus the byte helpers the other shims share. */
import { decodeOnHost } from './bridge.ts';

export function utf8Encode(input: string): Uint8Array {
  const n = input.length;
  // ASCII fast path: copied while checked, in one pass
  const ascii = new Uint8Array(n);
  let i0 = 0;
  for (; i0 < n; i0++) {
    const c = input.charCodeAt(i0);
    if (c > 0x7f) break;
    ascii[i0] = c;
  }
  if (i0 === n) return ascii;
  const out = new Uint8Array(n * 3);
  out.set(ascii.subarray(0, i0));
  let p = i0;
  for (let i = i0; i < n; i++) {
    let c = input.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < n ? input.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
      } else c = 0xfffd;
    } else if (c >= 0xdc00 && c <= 0xdfff) c = 0xfffd;
    if (c < 0x80) out[p++] = c;
    else if (c < 0x800) {
      out[p++] = 0xc0 | (c >> 6);
      out[p++] = 0x80 | (c & 63);
    } else if (c < 0x10000) {
      out[p++] = 0xe0 | (c >> 12);
      out[p++] = 0x80 | ((c >> 6) & 63);
      out[p++] = 0x80 | (c & 63);
    } else {
      out[p++] = 0xf0 | (c >> 18);
      out[p++] = 0x80 | ((c >> 12) & 63);
      out[p++] = 0x80 | ((c >> 6) & 63);
      out[p++] = 0x80 | (c & 63);
    }
  }
  return out.slice(0, p);
}

const CHUNK = 8192;

function fromCodes(codes: ArrayLike<number>, start: number, end: number): string {
  // a typed array's chunks go to apply as they are: Array.prototype.slice of one reads it
  // element by element through the generic path, many times slower
  if (ArrayBuffer.isView(codes)) {
    const units = codes as Uint8Array | Uint16Array;
    let s = '';
    for (let i = start; i < end; i += CHUNK) s += String.fromCharCode.apply(null, units.subarray(i, Math.min(end, i + CHUNK)) as unknown as number[]);
    return s;
  }
  let s = '';
  for (let i = start; i < end; i += CHUNK) {
    s += String.fromCharCode.apply(null, Array.prototype.slice.call(codes, i, Math.min(end, i + CHUNK)) as number[]);
  }
  return s;
}

/**
 * Decodes bytes[start, end). Returns the text and how many trailing bytes form an
 * incomplete sequence (only when `stream`), so a streaming decoder can keep them.
 */
export function utf8Decode(bytes: Uint8Array, fatal = false, stream = false): { text: string; rest: number } {
  const n = bytes.length;
  let i = 0;
  while (i < n && bytes[i] < 0x80) i++;
  if (i === n) return { text: fromCodes(bytes, 0, n), rest: 0 };
  // at most one UTF-16 unit a byte: a 4-byte sequence is two units, a bad byte one U+FFFD
  const codes = new Uint16Array(n);
  codes.set(bytes.subarray(0, i));
  let p = i;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      codes[p++] = b;
      i++;
      continue;
    }
    let need = 0;
    let cp = 0;
    let lower = 0x80;
    let upper = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      cp = b & 0x1f;
    } else if (b >= 0xe0 && b <= 0xef) {
      if (b === 0xe0) lower = 0xa0;
      if (b === 0xed) upper = 0x9f;
      need = 2;
      cp = b & 0xf;
    } else if (b >= 0xf0 && b <= 0xf4) {
      if (b === 0xf0) lower = 0x90;
      if (b === 0xf4) upper = 0x8f;
      need = 3;
      cp = b & 0x7;
    } else {
      if (fatal) throw new TypeError('The encoded data was not valid for encoding utf-8');
      codes[p++] = 0xfffd;
      i++;
      continue;
    }
    let j = 1;
    for (; j <= need; j++) {
      if (i + j >= n) break;
      const c = bytes[i + j];
      if (c < lower || c > upper) break;
      lower = 0x80;
      upper = 0xbf;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (j <= need) {
      if (i + j >= n && stream) return { text: fromCodes(codes, 0, p), rest: n - i };
      if (fatal) throw new TypeError('The encoded data was not valid for encoding utf-8');
      codes[p++] = 0xfffd;
      i += j;
      continue;
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      codes[p++] = 0xd800 + (cp >> 10);
      codes[p++] = 0xdc00 + (cp & 0x3ff);
    } else codes[p++] = cp;
    i += need + 1;
  }
  return { text: fromCodes(codes, 0, p), rest: 0 };
}

/** Any BufferSource as a Uint8Array view (no copy). */
export function toBytes(input: unknown): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  if (typeof SharedArrayBuffer !== 'undefined' && input instanceof SharedArrayBuffer) return new Uint8Array(input);
  throw new TypeError('The provided value is not of type (ArrayBuffer or ArrayBufferView)');
}

/** A tight ArrayBuffer holding exactly these bytes (copies only when needed). */
export function exactBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) {
    return bytes.buffer;
  }
  return bytes.slice().buffer as ArrayBuffer;
}

export class TextEncoder {
  get encoding(): string {
    return 'utf-8';
  }
  encode(input: string = ''): Uint8Array {
    return utf8Encode(String(input));
  }
  encodeInto(source: string, destination: Uint8Array): { read: number; written: number } {
    if (!(destination instanceof Uint8Array)) throw new TypeError("Failed to execute 'encodeInto': parameter 2 is not of type 'Uint8Array'");
    const s = String(source);
    let read = 0;
    let written = 0;
    for (let i = 0; i < s.length; ) {
      const cp = s.codePointAt(i) as number;
      const units = cp > 0xffff ? 2 : 1;
      const bytes = utf8Encode(s.slice(i, i + units));
      if (written + bytes.length > destination.length) break;
      destination.set(bytes, written);
      written += bytes.length;
      read += units;
      i += units;
    }
    return { read, written };
  }
  get [Symbol.toStringTag](): string {
    return 'TextEncoder';
  }
}

/** The Encoding Standard's encodings, each as `name:other labels` (names in lower case). */
const ENCODING_LABELS = [
  'utf-8:unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf8 x-unicode20utf8',
  'ibm866:866 cp866 csibm866',
  'iso-8859-2:csisolatin2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2',
  'iso-8859-3:csisolatin3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3',
  'iso-8859-4:csisolatin4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4',
  'iso-8859-5:csisolatincyrillic cyrillic iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988',
  'iso-8859-6:arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6-e iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987',
  'iso-8859-7:csisolatingreek ecma-118 elot_928 greek greek8 iso-ir-126 iso8859-7 iso88597 iso_8859-7 iso_8859-7:1987 sun_eu_greek',
  'iso-8859-8:csiso88598e csisolatinhebrew hebrew iso-8859-8-e iso-ir-138 iso8859-8 iso88598 iso_8859-8 iso_8859-8:1988 visual',
  'iso-8859-8-i:csiso88598i logical',
  'iso-8859-10:csisolatin6 iso-ir-157 iso8859-10 iso885910 l6 latin6',
  'iso-8859-13:iso8859-13 iso885913',
  'iso-8859-14:iso8859-14 iso885914',
  'iso-8859-15:csisolatin9 iso8859-15 iso885915 iso_8859-15 l9',
  'iso-8859-16:',
  'koi8-r:cskoi8r koi koi8 koi8_r',
  'koi8-u:koi8-ru',
  'macintosh:csmacintosh mac x-mac-roman',
  'windows-874:dos-874 iso-8859-11 iso8859-11 iso885911 tis-620',
  'windows-1250:cp1250 x-cp1250',
  'windows-1251:cp1251 x-cp1251',
  'windows-1252:ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii x-cp1252',
  'windows-1253:cp1253 x-cp1253',
  'windows-1254:cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 latin5 x-cp1254',
  'windows-1255:cp1255 x-cp1255',
  'windows-1256:cp1256 x-cp1256',
  'windows-1257:cp1257 x-cp1257',
  'windows-1258:cp1258 x-cp1258',
  'x-mac-cyrillic:x-mac-ukrainian',
  'gbk:chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 iso-ir-58 x-gbk',
  'gb18030:',
  'big5:big5-hkscs cn-big5 csbig5 x-x-big5',
  'euc-jp:cseucpkdfmtjapanese x-euc-jp',
  'iso-2022-jp:csiso2022jp',
  'shift_jis:csshiftjis ms932 ms_kanji shift-jis sjis windows-31j x-sjis',
  'euc-kr:cseuckr csksc56011987 iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 windows-949',
  'replacement:csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr',
  'utf-16be:unicodefffe',
  'utf-16le:csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16',
  'x-user-defined:',

];

let labelIndex: Map<string, string> | null = null;

/** The encoding a label names (the Encoding Standard's "get an encoding"), or undefined. */
export function encodingForLabel(label: string): string | undefined {
  const l = label.replace(/^[\t\n\f\r ]+|[\t\n\f\r ]+$/g, '').toLowerCase();
  if (l === 'utf-8' || l === 'utf8') return 'utf-8';
  if (labelIndex === null) {
    labelIndex = new Map();
    for (const entry of ENCODING_LABELS) {
      const colon = entry.indexOf(':');
      const name = entry.slice(0, colon);
      labelIndex.set(name, name);
      for (const other of entry.slice(colon + 1).split(' ')) if (other !== '') labelIndex.set(other, name);
    }
  }
  return labelIndex.get(l);
}

/** Inlined by the shim's bundler (shim-source.ts): each single-byte encoding's bytes 0x80–0xFF, as runs. */
declare const __NIMBUS_SINGLE_BYTE_TABLES__: Record<string, string>;
let singleByteRuns: Record<string, string> | null = null;
const singleByteDecoded = new Map<string, string>();

/** The 128 code points of an encoding's bytes 0x80–0xFF, decoded from runs on first use. */
function singleByteTable(name: string): string | undefined {
  const cached = singleByteDecoded.get(name);
  if (cached !== undefined) return cached;
  singleByteRuns ??= __NIMBUS_SINGLE_BYTE_TABLES__;
  if (!Object.prototype.hasOwnProperty.call(singleByteRuns, name)) return undefined;
  let table = '';
  for (const run of singleByteRuns[name].split(',')) {
    const plus = run.indexOf('+');
    const start = parseInt(plus < 0 ? run : run.slice(0, plus), 16);
    const count = plus < 0 ? 1 : parseInt(run.slice(plus + 1), 16);
    for (let k = 0; k < count; k++) table += String.fromCharCode(start + k);
  }
  singleByteDecoded.set(name, table);
  return table;
}

/** The multi-byte legacy encodings, decoded by the host (legacy-decode.ts) at most this many bytes a call. */
const MULTI_BYTE = new Set(['gbk', 'gb18030', 'big5', 'euc-jp', 'iso-2022-jp', 'shift_jis', 'euc-kr']);
const MAX_HOST_DECODE_BYTES = 1024 * 1024;

function decodingError(encoding: string): TypeError {
  return new TypeError(`The encoded data was not valid for encoding ${encoding}`);
}

function singleByteDecode(bytes: Uint8Array, table: string, fatal: boolean, encoding: string): string {
  const codes = new Uint16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b < 0x80) codes[i] = b;
    else {
      const c = table.charCodeAt(b - 0x80);
      if (c === 0xfffd && fatal) throw decodingError(encoding);
      codes[i] = c;
    }
  }
  return fromCodes(codes, 0, codes.length);
}

/** UTF-16LE/BE decoding state carried between `stream` calls: an odd byte, a lead surrogate. */
interface Utf16State {
  byte: number;
  lead: number;
}

function utf16Decode(bytes: Uint8Array, bigEndian: boolean, state: Utf16State, fatal: boolean, stream: boolean, encoding: string): string {
  const codes: number[] = [];
  const error = () => {
    if (fatal) {
      state.byte = -1;
      state.lead = -1;
      throw decodingError(encoding);
    }
    codes.push(0xfffd);
  };
  let i = 0;
  while (i < bytes.length) {
    let unit: number;
    if (state.byte >= 0) {
      unit = bigEndian ? (state.byte << 8) | bytes[i] : state.byte | (bytes[i] << 8);
      state.byte = -1;
      i += 1;
    } else if (i + 1 < bytes.length) {
      unit = bigEndian ? (bytes[i] << 8) | bytes[i + 1] : bytes[i] | (bytes[i + 1] << 8);
      i += 2;
    } else {
      state.byte = bytes[i];
      i += 1;
      break;
    }
    if (state.lead >= 0) {
      const lead = state.lead;
      state.lead = -1;
      if (unit >= 0xdc00 && unit <= 0xdfff) {
        codes.push(lead, unit);
        continue;
      }
      error();
    }
    if (unit >= 0xd800 && unit <= 0xdbff) state.lead = unit;
    else if (unit >= 0xdc00 && unit <= 0xdfff) error();
    else codes.push(unit);
  }
  if (!stream && (state.byte >= 0 || state.lead >= 0)) {
    state.byte = -1;
    state.lead = -1;
    error();
  }
  return fromCodes(codes, 0, codes.length);
}

const isLead = (b: number) => b >= 0x81 && b <= 0xfe;
const isDigit = (b: number) => b >= 0x30 && b <= 0x39;

/**
 * How many leading bytes of `bytes` leave the Encoding Standard's decoder of `encoding` back
 * in its first state, so they decode alike whatever follows. A lead byte takes the next
 * byte whatever it is (a bad trail that is ASCII is read again in the first state);
 * EUC-JP's 0x8F takes two after it when the first is a lead; gb18030's four-byte sequences
 * are followed as its decoder reads them. ISO-2022-JP: 0 (its modes have no such point).
 */
export function completeLength(encoding: string, bytes: Uint8Array): number {
  if (encoding === 'iso-2022-jp') return 0;
  const n = bytes.length;
  let i = 0;
  let done = 0;
  while (i < n) {
    const b = bytes[i];
    let take: number;
    if (encoding === 'shift_jis') take = (b >= 0x81 && b <= 0x9f) || (b >= 0xe0 && b <= 0xfc) ? 2 : 1;
    else if (encoding === 'euc-jp') take = b === 0x8f ? (i + 1 < n && bytes[i + 1] >= 0xa1 && bytes[i + 1] <= 0xfe ? 3 : 2) : b === 0x8e || (b >= 0xa1 && b <= 0xfe) ? 2 : 1;
    else if (encoding === 'gbk' || encoding === 'gb18030') {
      if (!isLead(b)) take = 1;
      else if (i + 1 < n && isDigit(bytes[i + 1])) take = i + 2 < n && !isLead(bytes[i + 2]) ? 3 : 4;
      else take = 2;
    } else take = isLead(b) ? 2 : 1; // big5, euc-kr
    if (i + take > n) break;
    i += take;
    done = i;
  }
  return done;
}

export class TextDecoder {
  readonly #encoding: string;
  readonly #table: string | undefined;
  readonly #fatal: boolean;
  readonly #ignoreBOM: boolean;
  #pending: Uint8Array | null = null;
  readonly #utf16: Utf16State = { byte: -1, lead: -1 };
  #bomSeen = false;

  constructor(label: unknown = 'utf-8', options: { fatal?: boolean; ignoreBOM?: boolean } | null = {}) {
    const encoding = encodingForLabel(String(label));
    if (encoding === undefined || encoding === 'replacement') {
      throw new RangeError(`The "${String(label)}" encoding is not supported`);
    }
    this.#encoding = encoding;
    this.#table = singleByteTable(encoding);
    this.#fatal = Boolean(options?.fatal);
    this.#ignoreBOM = Boolean(options?.ignoreBOM);
  }
  get encoding(): string {
    return this.#encoding;
  }
  get fatal(): boolean {
    return this.#fatal;
  }
  get ignoreBOM(): boolean {
    return this.#ignoreBOM;
  }
  decode(input?: unknown, options: { stream?: boolean } | null = {}): string {
    const stream = Boolean(options?.stream);
    let bytes = input === undefined || input === null ? new Uint8Array(0) : toBytes(input);
    let text: string;
    if (this.#table !== undefined) {
      text = singleByteDecode(bytes, this.#table, this.#fatal, this.#encoding);
    } else if (this.#encoding === 'utf-16le' || this.#encoding === 'utf-16be') {
      text = utf16Decode(bytes, this.#encoding === 'utf-16be', this.#utf16, this.#fatal, stream, this.#encoding);
      if (!stream) this.#utf16.byte = this.#utf16.lead = -1;
    } else if (MULTI_BYTE.has(this.#encoding)) {
      text = this.#decodeMultiByte(bytes, stream);
    } else {
      if (this.#pending !== null) {
        const joined = new Uint8Array(this.#pending.length + bytes.length);
        joined.set(this.#pending);
        joined.set(bytes, this.#pending.length);
        bytes = joined;
        this.#pending = null;
      }
      let result: { text: string; rest: number };
      try {
        result = utf8Decode(bytes, this.#fatal, stream);
      } catch (error) {
        this.#bomSeen = false;
        throw error;
      }
      if (result.rest > 0) this.#pending = bytes.slice(bytes.length - result.rest);
      text = result.text;
    }
    // UTF-8 and UTF-16 drop a byte order mark at the start of the stream (unless ignoreBOM)
    if (this.#table === undefined && !this.#ignoreBOM && !this.#bomSeen && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      this.#bomSeen = true;
    }
    if (!stream) {
      this.#bomSeen = false;
      this.#pending = null;
    }
    return text;
  }
  /**
   * The host decodes whole inputs only: in streaming mode the complete sequences are
   * decoded now and an incomplete one at the end waits for the next call (ISO-2022-JP's
   * modes last across any number of bytes, so its bytes wait for the call that ends the
   * stream: the text is the same, it comes at the end).
   */
  #decodeMultiByte(bytes: Uint8Array, stream: boolean): string {
    const pending = this.#pending ?? new Uint8Array(0);
    if (pending.length + bytes.length > MAX_HOST_DECODE_BYTES) {
      this.#pending = null;
      throw new RangeError(`TextDecoder: ${this.#encoding} decodes at most ${MAX_HOST_DECODE_BYTES} bytes a call (or a stream)`);
    }
    const joined = new Uint8Array(pending.length + bytes.length);
    joined.set(pending);
    joined.set(bytes, pending.length);
    const ready = stream ? completeLength(this.#encoding, joined) : joined.length;
    this.#pending = ready < joined.length ? joined.slice(ready) : null;
    if (ready === 0) return '';
    const text = decodeOnHost(this.#encoding, ready === joined.length ? joined.buffer : joined.slice(0, ready).buffer, this.#fatal);
    if (text === null) {
      this.#pending = null;
      throw decodingError(this.#encoding);
    }
    if (typeof text !== 'string') throw new TypeError(`TextDecoder: the ${this.#encoding} decoder is unavailable`);
    return text;
  }
  get [Symbol.toStringTag](): string {
    return 'TextDecoder';
  }
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) B64_INDEX[B64.charCodeAt(i)] = i;

export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64[n >> 18] + B64[(n >> 12) & 63] + B64[(n >> 6) & 63] + B64[n & 63];
  }
  if (i < bytes.length) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += B64[n >> 18] + B64[(n >> 12) & 63] + (i + 1 < bytes.length ? B64[(n >> 6) & 63] : '=') + '=';
  }
  return out;
}

function invalidCharacter(message: string): Error {
  // DOMException lives in events.ts; avoid the import cycle by constructing lazily
  const D = (globalThis as unknown as { DOMException?: new (m: string, n: string) => Error }).DOMException;
  return D ? new D(message, 'InvalidCharacterError') : new Error(message);
}

export function btoa(data: unknown): string {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'btoa': 1 argument required");
  const s = String(data);
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255) throw invalidCharacter('Invalid character: btoa takes Latin-1 text only');
    bytes[i] = c;
  }
  return bytesToBase64(bytes);
}

export function base64ToBytes(input: string): Uint8Array {
  let s = input.replace(/[\t\n\f\r ]/g, '');
  if (s.length % 4 === 0) s = s.replace(/==?$/, '');
  if (s.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(s)) {
    throw invalidCharacter('The string to be decoded is not correctly encoded.');
  }
  const out = new Uint8Array(Math.floor((s.length * 3) / 4));
  let bits = 0;
  let acc = 0;
  let p = 0;
  for (let i = 0; i < s.length; i++) {
    acc = (acc << 6) | B64_INDEX[s.charCodeAt(i)];
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[p++] = (acc >> bits) & 0xff;
    }
  }
  return out.subarray(0, p);
}

export function atob(data: unknown): string {
  if (arguments.length === 0) throw new TypeError("Failed to execute 'atob': 1 argument required");
  const bytes = base64ToBytes(String(data));
  return fromCodes(bytes, 0, bytes.length);
}
