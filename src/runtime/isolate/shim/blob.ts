/** Blob, File and FormData (in memory). */
import { exactBuffer, toBytes, utf8Decode, utf8Encode } from './encoding.ts';
import { type ReadableStream, streamOf } from './streams.ts';

type BlobPart = ArrayBuffer | ArrayBufferView | Blob | string;

export class Blob {
  readonly #bytes: Uint8Array;
  readonly #type: string;

  constructor(parts: Iterable<BlobPart> = [], options: { type?: string; endings?: string } = {}) {
    // WebIDL: a sequence (an iterable object, not a string) and a dictionary (an object or nothing)
    const method = parts === null || (typeof parts !== 'object' && typeof parts !== 'function') ? undefined : (parts as { [Symbol.iterator]?: unknown })[Symbol.iterator];
    if (typeof method !== 'function') throw new TypeError("Failed to construct 'Blob': The provided value cannot be converted to a sequence.");
    // the arguments in order: every part converted (a string part as a USVString), then
    // the dictionary's members in order (endings, then type)
    const converted: Array<string | Uint8Array> = [];
    const iterator = (method as () => Iterator<BlobPart>).call(parts);
    for (const part of { [Symbol.iterator]: () => iterator }) {
      if (part instanceof Blob) converted.push(part.#bytes);
      else if (part instanceof ArrayBuffer || ArrayBuffer.isView(part)) converted.push(toBytes(part));
      else converted.push(String(part));
    }
    if (options !== null && options !== undefined && typeof options !== 'object' && typeof options !== 'function') {
      throw new TypeError("Failed to construct 'Blob': The provided value is not of type 'BlobPropertyBag'.");
    }
    // the dictionary's members in order: endings, then type
    const endingsValue = options?.endings;
    const endings = endingsValue === undefined ? 'transparent' : String(endingsValue);
    if (endings !== 'transparent' && endings !== 'native') throw new TypeError(`Failed to construct 'Blob': '${endings}' is not a valid value for endings`);
    const typeValue = options?.type;
    const t = typeValue === undefined ? '' : String(typeValue);
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (const part of converted) {
      // native line endings are the platform's: \n
      const b = typeof part !== 'string' ? part : utf8Encode(endings === 'native' ? part.replace(/\r\n?/g, '\n') : part);
      chunks.push(b);
      total += b.length;
    }
    const bytes = new Uint8Array(total);
    let p = 0;
    for (const c of chunks) {
      bytes.set(c, p);
      p += c.length;
    }
    this.#bytes = bytes;
    this.#type = /[^\x20-\x7e]/.test(t) ? '' : t.toLowerCase();
  }

  /** internal: the bytes, not copied */
  static _bytes(blob: Blob): Uint8Array {
    return blob.#bytes;
  }

  get size(): number {
    return this.#bytes.length;
  }
  get type(): string {
    return this.#type;
  }
  slice(start = 0, end = this.#bytes.length, contentType = ''): Blob {
    const n = this.#bytes.length;
    const rel = (x: number) => (x < 0 ? Math.max(n + x, 0) : Math.min(x, n));
    return new Blob([this.#bytes.subarray(rel(start), Math.max(rel(start), rel(end)))], { type: contentType });
  }
  async text(): Promise<string> {
    return utf8Decode(this.#bytes).text;
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    return exactBuffer(this.#bytes.slice());
  }
  async bytes(): Promise<Uint8Array> {
    return this.#bytes.slice();
  }
  stream(): ReadableStream {
    return streamOf(this.#bytes.slice());
  }
  get [Symbol.toStringTag](): string {
    return 'Blob';
  }
}

export class File extends Blob {
  readonly name: string;
  readonly lastModified: number;
  constructor(parts: Iterable<BlobPart>, name: string, options: { type?: string; lastModified?: number } = {}) {
    if (arguments.length < 2) throw new TypeError(`Failed to construct 'File': 2 arguments required, but only ${arguments.length} present.`);
    super(parts, options);
    this.name = String(name);
    this.lastModified = options?.lastModified === undefined ? Date.now() : Number(options.lastModified);
  }
  override get [Symbol.toStringTag](): string {
    return 'File';
  }
}

type Entry = [string, string | File];

export class FormData {
  #list: Entry[] = [];

  constructor(form?: unknown) {
    if (form !== undefined) throw new TypeError("Failed to construct 'FormData': no HTML forms here");
  }

  static #value(value: unknown, filename?: string): string | File {
    if (value instanceof Blob) {
      if (value instanceof File && filename === undefined) return value;
      return new File([value], filename ?? (value instanceof File ? value.name : 'blob'), { type: value.type });
    }
    return String(value);
  }
  append(name: string, value: unknown, filename?: string): void {
    this.#list.push([String(name), FormData.#value(value, filename)]);
  }
  set(name: string, value: unknown, filename?: string): void {
    const n = String(name);
    const v = FormData.#value(value, filename);
    const i = this.#list.findIndex(([a]) => a === n);
    if (i < 0) this.#list.push([n, v]);
    else {
      this.#list[i] = [n, v];
      this.#list = this.#list.filter(([a], k) => a !== n || k === i);
    }
  }
  delete(name: string): void {
    const n = String(name);
    this.#list = this.#list.filter(([a]) => a !== n);
  }
  get(name: string): string | File | null {
    const n = String(name);
    return this.#list.find(([a]) => a === n)?.[1] ?? null;
  }
  getAll(name: string): Array<string | File> {
    const n = String(name);
    return this.#list.filter(([a]) => a === n).map(([, v]) => v);
  }
  has(name: string): boolean {
    const n = String(name);
    return this.#list.some(([a]) => a === n);
  }
  forEach(callback: (value: string | File, name: string, form: FormData) => void, thisArg?: unknown): void {
    for (const [n, v] of this.#list.slice()) callback.call(thisArg, v, n, this);
  }
  *entries(): IterableIterator<Entry> {
    for (const [n, v] of this.#list) yield [n, v];
  }
  *keys(): IterableIterator<string> {
    for (const [n] of this.#list) yield n;
  }
  *values(): IterableIterator<string | File> {
    for (const [, v] of this.#list) yield v;
  }
  [Symbol.iterator](): IterableIterator<Entry> {
    return this.entries();
  }
  get [Symbol.toStringTag](): string {
    return 'FormData';
  }
}

const escapeName = (s: string) => s.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');

/** Serialises a FormData as multipart/form-data; returns the bytes and the boundary. */
export function encodeMultipart(form: FormData, boundary: string): Uint8Array {
  const parts: BlobPart[] = [];
  for (const [name, value] of form) {
    parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${escapeName(name)}"`);
    if (typeof value === 'string') parts.push(`\r\n\r\n${value.replace(/\r(?!\n)|(?<!\r)\n/g, '\r\n')}\r\n`);
    else {
      parts.push(`; filename="${escapeName(value.name)}"\r\nContent-Type: ${value.type || 'application/octet-stream'}\r\n\r\n`, value, '\r\n');
    }
  }
  parts.push(`--${boundary}--\r\n`);
  return Blob._bytes(new Blob(parts));
}

function indexOf(hay: Uint8Array, needle: Uint8Array, from: number): number {
  outer: for (let i = from; i <= hay.length - needle.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Parses a multipart/form-data body. */
export function decodeMultipart(bytes: Uint8Array, boundary: string): FormData {
  const form = new FormData();
  const delim = utf8Encode('--' + boundary);
  let pos = indexOf(bytes, delim, 0);
  if (pos < 0) throw new TypeError('Failed to parse multipart body: no boundary');
  for (;;) {
    pos += delim.length;
    if (bytes[pos] === 0x2d && bytes[pos + 1] === 0x2d) break; // closing "--"
    pos += 2; // CRLF
    const headerEnd = indexOf(bytes, utf8Encode('\r\n\r\n'), pos);
    if (headerEnd < 0) throw new TypeError('Failed to parse multipart body: bad part headers');
    const head = utf8Decode(bytes.subarray(pos, headerEnd)).text;
    const next = indexOf(bytes, delim, headerEnd + 4);
    if (next < 0) throw new TypeError('Failed to parse multipart body: unterminated part');
    const content = bytes.subarray(headerEnd + 4, next - 2);
    const disposition = /content-disposition:([^\r\n]*)/i.exec(head)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1] ?? '';
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    const type = /content-type:\s*([^\r\n]*)/i.exec(head)?.[1]?.trim() ?? '';
    if (filename !== undefined) form.append(name, new File([content.slice()], filename, { type }));
    else form.append(name, utf8Decode(content).text);
    pos = next;
  }
  return form;
}
