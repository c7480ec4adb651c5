/**
 * `zlib`: gzip, deflate (raw too) and brotli, computed by the host's zlib (one bounded call
 * per operation) in sync, callback and promise-free stream forms. The stream forms collect
 * their input and compress or decompress it when it ends.
 */
import { Buffer } from './buffer.ts';
import { ab, buf, host, OP_ZLIB } from './host.ts';

type Options = Record<string, unknown> | undefined;
type Callback = (error: Error | null, result?: Buffer) => void;

function run(mode: string, data: unknown, options: Options): Buffer {
  const o = options ?? {};
  const plain: Record<string, unknown> = {};
  for (const k of ['level', 'windowBits', 'memLevel', 'strategy']) if (typeof o[k] === 'number') plain[k] = o[k];
  if (o.params !== null && typeof o.params === 'object') plain.params = { ...(o.params as object) };
  return buf(host(OP_ZLIB, mode, ab(data), plain));
}

function later(mode: string) {
  return (data: unknown, options: Options | Callback, cb?: Callback): void => {
    const callback = (typeof options === 'function' ? options : cb) as Callback;
    const opts = typeof options === 'function' ? undefined : options;
    let result: Buffer;
    try {
      result = run(mode, data, opts);
    } catch (error) {
      queueMicrotask(() => callback(error as Error));
      return;
    }
    queueMicrotask(() => callback(null, result));
  };
}

function streams(): typeof import('./stream.ts') {
  // esbuild turns a require() of an ES module into a lazy init of it
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./stream.ts') as typeof import('./stream.ts');
}

function transform(mode: string) {
  return (options?: Options) => {
    const chunks: Uint8Array[] = [];
    return new (streams().Transform)({
      transform(chunk: Uint8Array, _enc: string, done: (e?: Error | null) => void) {
        chunks.push(chunk);
        done();
      },
      flush(done: (e?: Error | null, data?: Buffer) => void) {
        try {
          done(null, run(mode, Buffer.concat(chunks), options));
        } catch (error) {
          done(error as Error);
        }
      },
    });
  };
}

export const deflateSync = (d: unknown, o?: Options) => run('deflate', d, o);
export const inflateSync = (d: unknown, o?: Options) => run('inflate', d, o);
export const gzipSync = (d: unknown, o?: Options) => run('gzip', d, o);
export const gunzipSync = (d: unknown, o?: Options) => run('gunzip', d, o);
export const deflateRawSync = (d: unknown, o?: Options) => run('deflateRaw', d, o);
export const inflateRawSync = (d: unknown, o?: Options) => run('inflateRaw', d, o);
export const unzipSync = (d: unknown, o?: Options) => run('unzip', d, o);
export const brotliCompressSync = (d: unknown, o?: Options) => run('brotliCompress', d, o);
export const brotliDecompressSync = (d: unknown, o?: Options) => run('brotliDecompress', d, o);
export const deflate = later('deflate');
export const inflate = later('inflate');
export const gzip = later('gzip');
export const gunzip = later('gunzip');
export const deflateRaw = later('deflateRaw');
export const inflateRaw = later('inflateRaw');
export const unzip = later('unzip');
export const brotliCompress = later('brotliCompress');
export const brotliDecompress = later('brotliDecompress');
export const createDeflate = transform('deflate');
export const createInflate = transform('inflate');
export const createGzip = transform('gzip');
export const createGunzip = transform('gunzip');
export const createDeflateRaw = transform('deflateRaw');
export const createInflateRaw = transform('inflateRaw');
export const createUnzip = transform('unzip');
export const createBrotliCompress = transform('brotliCompress');
export const createBrotliDecompress = transform('brotliDecompress');

let table: Uint32Array | undefined;
export function crc32(data: unknown, value = 0): number {
  if (table === undefined) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  const bytes = new Uint8Array(ab(data));
  let crc = (value ^ 0xffffffff) >>> 0;
  for (const b of bytes) crc = (table[(crc ^ b) & 0xff]! ^ (crc >>> 8)) >>> 0;
  return (crc ^ 0xffffffff) >>> 0;
}

export const constants = Object.freeze({
  Z_NO_FLUSH: 0, Z_PARTIAL_FLUSH: 1, Z_SYNC_FLUSH: 2, Z_FULL_FLUSH: 3, Z_FINISH: 4, Z_BLOCK: 5,
  Z_OK: 0, Z_STREAM_END: 1, Z_NEED_DICT: 2, Z_ERRNO: -1, Z_STREAM_ERROR: -2, Z_DATA_ERROR: -3, Z_MEM_ERROR: -4, Z_BUF_ERROR: -5, Z_VERSION_ERROR: -6,
  Z_NO_COMPRESSION: 0, Z_BEST_SPEED: 1, Z_BEST_COMPRESSION: 9, Z_DEFAULT_COMPRESSION: -1,
  Z_FILTERED: 1, Z_HUFFMAN_ONLY: 2, Z_RLE: 3, Z_FIXED: 4, Z_DEFAULT_STRATEGY: 0,
  Z_MIN_WINDOWBITS: 8, Z_MAX_WINDOWBITS: 15, Z_DEFAULT_WINDOWBITS: 15, Z_MIN_LEVEL: -1, Z_MAX_LEVEL: 9, Z_DEFAULT_LEVEL: -1,
  Z_MIN_MEMLEVEL: 1, Z_MAX_MEMLEVEL: 9, Z_DEFAULT_MEMLEVEL: 8, Z_MIN_CHUNK: 64, Z_DEFAULT_CHUNK: 16384,
  BROTLI_OPERATION_PROCESS: 0, BROTLI_OPERATION_FLUSH: 1, BROTLI_OPERATION_FINISH: 2, BROTLI_OPERATION_EMIT_METADATA: 3,
  BROTLI_PARAM_MODE: 0, BROTLI_MODE_GENERIC: 0, BROTLI_MODE_TEXT: 1, BROTLI_MODE_FONT: 2, BROTLI_DEFAULT_MODE: 0,
  BROTLI_PARAM_QUALITY: 1, BROTLI_MIN_QUALITY: 0, BROTLI_MAX_QUALITY: 11, BROTLI_DEFAULT_QUALITY: 11,
  BROTLI_PARAM_LGWIN: 2, BROTLI_MIN_WINDOW_BITS: 10, BROTLI_MAX_WINDOW_BITS: 24, BROTLI_DEFAULT_WINDOW: 22,
  BROTLI_PARAM_LGBLOCK: 3, BROTLI_PARAM_SIZE_HINT: 5, BROTLI_PARAM_LARGE_WINDOW: 6,
});

export default {
  deflateSync, inflateSync, gzipSync, gunzipSync, deflateRawSync, inflateRawSync, unzipSync, brotliCompressSync, brotliDecompressSync,
  deflate, inflate, gzip, gunzip, deflateRaw, inflateRaw, unzip, brotliCompress, brotliDecompress,
  createDeflate, createInflate, createGzip, createGunzip, createDeflateRaw, createInflateRaw, createUnzip, createBrotliCompress,
  createBrotliDecompress, crc32, constants,
};
