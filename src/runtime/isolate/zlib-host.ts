/**
 * CompressionStream / DecompressionStream for one instance, computed by the host's
 * node:zlib. The shim holds only a number per stream; the zlib objects live in this
 * per-instance store, bounded in count and dropped with the instance. Every call is
 * bounded: its input (the shim sends at most 64 KB at a time) and its output (a
 * decompression that would produce more than the function's memory limit fails: a
 * decompression bomb costs the host no more than the function could hold), and zlib work
 * of all instances together goes through a gate on the shared thread pool.
 */
import zlib from 'node:zlib';
import { CryptoGate, POOL_BOUNDS } from './crypto-pool.ts';

/** zlib work of all instances on libuv's pool, within POOL_BOUNDS, through a gate of its own. */
export const ZLIB_GATE = new CryptoGate(POOL_BOUNDS);

type Engine = zlib.Gzip | zlib.Gunzip | zlib.Deflate | zlib.Inflate | zlib.DeflateRaw | zlib.InflateRaw | zlib.BrotliCompress | zlib.BrotliDecompress;
type Make = () => Engine;
// brotli at quality 5, not its default 11 (several times the CPU for a few % less output):
// what servers use for compressing on the fly
const brotliCompress = () => zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
const MAKERS: Readonly<Record<string, readonly [Make, Make]>> = {
  gzip: [zlib.createGzip, zlib.createGunzip],
  deflate: [zlib.createDeflate, zlib.createInflate],
  'deflate-raw': [zlib.createDeflateRaw, zlib.createInflateRaw],
  brotli: [brotliCompress, zlib.createBrotliDecompress],
};

/**
 * What a write or end answers: the output, or, when decompressed data ended before its
 * input did, the output up to its end and the error that ends the stream (the standard
 * hands over what was decompressed, then errors).
 */
export type ZlibReply = ArrayBuffer | [ArrayBuffer, string];

interface Op {
  resolve(reply: ZlibReply): void;
  reject(error: Error): void;
}

interface Entry {
  readonly z: Engine;
  readonly decompress: boolean;
  readonly out: Buffer[];
  size: number;
  /** Bytes given to the engine, and whether it has ended (a decompressor ends at its data's end). */
  written: number;
  ended: boolean;
  op: Op | null;
  failed: Error | null;
}

function typeError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TypeError' });
}

function concat(chunks: Buffer[], size: number): ArrayBuffer {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  chunks.length = 0;
  return out.buffer;
}

export class ZlibStore {
  readonly #entries = new Map<number, Entry>();
  #next = 1;

  constructor(
    private readonly maxOpen: number,
    /** Largest output of one call (the function's memory limit). */
    private readonly maxOutputBytes: number,
    private readonly gate: CryptoGate = ZLIB_GATE,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  /** A new (de)compressor; returns its number. */
  open(format: unknown, decompress: unknown): number {
    const make = typeof format === 'string' && Object.hasOwn(MAKERS, format) ? MAKERS[format] : undefined;
    if (make === undefined) throw typeError(`Unsupported compression format: '${String(format)}'`);
    if (this.#entries.size >= this.maxOpen) {
      throw Object.assign(new Error(`more than ${this.maxOpen} compression streams open in one instance`), { name: 'QuotaExceededError' });
    }
    const z = make[decompress === true ? 1 : 0]();
    const id = this.#next++;
    const entry: Entry = { z, decompress: decompress === true, out: [], size: 0, written: 0, ended: false, op: null, failed: null };
    z.on('end', () => {
      entry.ended = true;
      this.#settle(entry);
    });
    z.on('data', (chunk: Buffer) => {
      entry.size += chunk.byteLength;
      entry.out.push(chunk);
      if (entry.size > this.maxOutputBytes) this.#fail(entry, Object.assign(new Error(`the decompressed output passed ${this.maxOutputBytes} bytes (the function's memory limit)`), { name: 'RangeError' }));
    });
    z.on('error', (error: Error) => this.#fail(entry, typeError(`The compressed data is not valid: ${error.message}`)));
    this.#entries.set(id, entry);
    return id;
  }

  /**
   * Feeds `data`; resolves with the output it produced (possibly empty). `charge` is told
   * how long the work took once it ran (not counting its wait at the gate).
   */
  write(idIn: unknown, data: unknown, charge: (ms: number) => void): Promise<ZlibReply> {
    if (!(data instanceof ArrayBuffer)) return Promise.reject(typeError('a chunk must be bytes'));
    const entry = this.#take(idIn);
    return this.gate.run(
      this,
      () =>
        this.#run(entry, charge, () => {
          entry.written += data.byteLength;
          entry.z.write(new Uint8Array(data), (error) => error ?? this.#settle(entry));
        }),
      data.byteLength,
    );
  }

  /** Ends the input; resolves with the rest of the output and frees the stream. */
  end(idIn: unknown, charge: (ms: number) => void): Promise<ZlibReply> {
    const id = Number(idIn);
    const entry = this.#take(idIn);
    // settled by the engine's 'end' (see open), at once if it has ended already
    return this.gate.run(this, () => this.#run(entry, charge, () => (entry.ended ? this.#settle(entry) : entry.z.end()))).finally(() => this.free(id));
  }

  free(idIn: unknown): void {
    const id = Number(idIn);
    const entry = this.#entries.get(id);
    if (entry === undefined) return;
    this.#entries.delete(id);
    entry.z.destroy();
  }

  clear(): void {
    for (const id of [...this.#entries.keys()]) this.free(id);
    this.gate.cancel(this);
  }

  #take(idIn: unknown): Entry {
    const entry = typeof idIn === 'number' ? this.#entries.get(idIn) : undefined;
    if (entry === undefined) throw typeError('the compression stream is not known to this instance');
    if (entry.op !== null) throw typeError('a compression stream takes one call at a time');
    return entry;
  }

  #run(entry: Entry, charge: (ms: number) => void, start: () => void): Promise<ZlibReply> {
    if (entry.failed !== null) return Promise.reject(entry.failed);
    const began = performance.now();
    return new Promise<ZlibReply>((resolve, reject) => {
      entry.op = { resolve, reject };
      start();
    }).finally(() => charge(performance.now() - began));
  }

  #settle(entry: Entry): void {
    const op = entry.op;
    if (op === null || entry.failed !== null) return;
    // the compressed data ended before the input did: what follows is junk (the standard's error)
    const junk = entry.decompress && entry.ended && entry.z.bytesWritten < entry.written;
    entry.op = null;
    const size = entry.size;
    entry.size = 0;
    const out = concat(entry.out, size);
    if (junk) {
      const error = typeError('The compressed data is not valid: bytes after its end');
      this.#fail(entry, error);
      op.resolve([out, error.message]);
      return;
    }
    op.resolve(out);
  }

  #fail(entry: Entry, error: Error): void {
    if (entry.failed !== null) return;
    entry.failed = error;
    entry.out.length = 0;
    entry.z.destroy();
    const op = entry.op;
    entry.op = null;
    op?.reject(error);
  }
}
