/**
 * `buffer`: the npm `buffer` package (feross), with what Node 20 adds on top of it:
 * the `base64url` encoding, `isUtf8`/`isAscii`, `Blob`/`File`/`atob`/`btoa` from the
 * globals. Also the global `Buffer` once the layer is in use.
 */
// require(), not import: esbuild would wrap the CommonJS module in an ES namespace copy with a getter per property
// eslint-disable-next-line @typescript-eslint/no-require-imports
const npm = require('buffer') as typeof import('buffer');

type Enc = string | undefined;
const B = npm.Buffer as unknown as {
  from(value: unknown, enc?: unknown, len?: unknown): Uint8Array;
  byteLength(value: unknown, enc?: Enc): number;
  isEncoding(enc: unknown): boolean;
  prototype: {
    toString(this: Uint8Array, enc?: Enc, start?: number, end?: number): string;
    write(this: Uint8Array, s: string, a?: unknown, b?: unknown, c?: unknown): number;
  };
};

function isUrl(enc: unknown): boolean {
  return typeof enc === 'string' && enc.toLowerCase() === 'base64url';
}

const from = B.from;
B.from = function (value: unknown, enc?: unknown, len?: unknown) {
  return from.call(this, value, isUrl(enc) ? 'base64' : enc, len);
};
const byteLength = B.byteLength;
B.byteLength = function (value: unknown, enc?: Enc) {
  return byteLength.call(this, value, isUrl(enc) ? 'base64' : enc);
};
const isEncoding = B.isEncoding;
B.isEncoding = (enc: unknown) => isUrl(enc) || isEncoding(enc);
const toString = B.prototype.toString;
B.prototype.toString = function (this: Uint8Array, enc?: Enc, start?: number, end?: number) {
  if (!isUrl(enc)) return toString.call(this, enc, start, end);
  return toString.call(this, 'base64', start, end).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};
const write = B.prototype.write;
B.prototype.write = function (this: Uint8Array, s: string, a?: unknown, b?: unknown, c?: unknown) {
  return write.call(this, s, isUrl(a) ? 'base64' : a, isUrl(b) ? 'base64' : b, isUrl(c) ? 'base64' : c);
};

// Node's Buffer.prototype also has a `<encoding>Slice(start, end)` and `<encoding>Write(string,
// offset, length)` per encoding; fast parsers call them directly (busboy: `chunk.latin1Slice`).
for (const enc of ['ascii', 'base64', 'base64url', 'latin1', 'hex', 'ucs2', 'utf8']) {
  const proto = B.prototype as unknown as Record<string, unknown>;
  Object.defineProperty(proto, `${enc}Slice`, {
    value(this: Uint8Array, start = 0, end = this.length) {
      return B.prototype.toString.call(this, enc, start, end);
    },
    writable: true,
    configurable: true,
  });
  Object.defineProperty(proto, `${enc}Write`, {
    value(this: Uint8Array, s: string, offset = 0, length = this.length - offset) {
      // UTF-16 is written in whole code units, as Node does (the npm package writes half of one)
      return B.prototype.write.call(this, s, offset, enc === 'ucs2' ? length - (length % 2) : length, enc);
    },
    writable: true,
    configurable: true,
  });
}

export const Buffer = npm.Buffer;
export const SlowBuffer = npm.SlowBuffer;
export const INSPECT_MAX_BYTES = npm.INSPECT_MAX_BYTES;
export const kMaxLength = npm.kMaxLength;
export const kStringMaxLength = 2 ** 29 - 24;
export const constants = Object.freeze({ MAX_LENGTH: kMaxLength, MAX_STRING_LENGTH: kStringMaxLength });

const g = globalThis as unknown as Record<string, unknown>;
export const Blob = g.Blob;
export const File = g.File;
export const atob = g.atob as (s: string) => string;
export const btoa = g.btoa as (s: string) => string;

export function isUtf8(input: ArrayBufferView | ArrayBuffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(input as Uint8Array);
    return true;
  } catch {
    return false;
  }
}

export function isAscii(input: ArrayBufferView | ArrayBuffer): boolean {
  const bytes = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
  for (const b of bytes) if (b > 0x7f) return false;
  return true;
}

if (g.Buffer === undefined) Object.defineProperty(g, 'Buffer', { value: Buffer, writable: true, configurable: true, enumerable: false });

export default { Buffer, SlowBuffer, INSPECT_MAX_BYTES, kMaxLength, kStringMaxLength, constants, Blob, File, atob, btoa, isUtf8, isAscii };
