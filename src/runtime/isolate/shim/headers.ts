/**
 * Headers: case-insensitive, multi-valued, Set-Cookie kept apart (getSetCookie). Built
 * lazily from the wire form ("name\nvalue\n…") so a request whose headers are never read
 * costs nothing.
 */
import { HEADER_SEP } from '../protocol.ts';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function normalizeName(name: unknown): string {
  const n = String(name);
  if (!TOKEN.test(n)) throw new TypeError(`Invalid header name: "${n}"`);
  return n.toLowerCase();
}

function normalizeValue(value: unknown): string {
  const v = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
  if (/[\0\r\n]/.test(v)) throw new TypeError(`Invalid header value: "${v}"`);
  return v;
}

export type HeadersInit = Headers | Iterable<readonly [string, string]> | Record<string, string> | string[][];

export class Headers {
  /** lower-case name → values in insertion order */
  #map: Map<string, string[]> | null = null;
  #wire: string | null = null;
  #guard: 'none' | 'immutable' = 'none';

  constructor(init?: HeadersInit | null) {
    if (init === undefined || init === null) return;
    if (init instanceof Headers) {
      for (const [n, vs] of init._entries()) for (const v of vs) this.#add(n, v);
      return;
    }
    if (typeof init !== 'object') throw new TypeError("Failed to construct 'Headers': The provided value is not of type 'HeadersInit'");
    if (typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const pair of init as Iterable<readonly string[]>) {
        const p = [...pair];
        if (p.length !== 2) throw new TypeError("Failed to construct 'Headers': each header pair must be [name, value]");
        this.append(p[0], p[1]);
      }
      return;
    }
    for (const k of Object.keys(init)) this.append(k, (init as Record<string, string>)[k]);
  }

  /** internal: headers from the wire, parsed on first use */
  static _fromWire(wire: string, immutable = false): Headers {
    const h = new Headers();
    h.#wire = wire;
    if (immutable) h.#guard = 'immutable';
    return h;
  }

  /** internal */
  _freeze(): this {
    this.#guard = 'immutable';
    return this;
  }

  #load(): Map<string, string[]> {
    if (this.#map !== null) return this.#map;
    this.#map = new Map();
    const wire = this.#wire;
    this.#wire = null;
    if (wire) {
      const parts = wire.split(HEADER_SEP);
      for (let i = 0; i + 1 < parts.length; i += 2) this.#add(parts[i].toLowerCase(), parts[i + 1]);
    }
    return this.#map;
  }

  #add(lower: string, value: string): void {
    const map = this.#load();
    const list = map.get(lower);
    if (list) list.push(value);
    else map.set(lower, [value]);
  }

  #check(): void {
    if (this.#guard === 'immutable') throw new TypeError('Headers are immutable');
  }

  append(name: string, value: string): void {
    this.#check();
    this.#add(normalizeName(name), normalizeValue(value));
  }
  delete(name: string): void {
    this.#check();
    this.#load().delete(normalizeName(name));
  }
  get(name: string): string | null {
    const list = this.#load().get(normalizeName(name));
    if (list === undefined) return null;
    return list.length === 1 ? list[0] : list.join(', ');
  }
  getSetCookie(): string[] {
    return [...(this.#load().get('set-cookie') ?? [])];
  }
  has(name: string): boolean {
    return this.#load().has(normalizeName(name));
  }
  set(name: string, value: string): void {
    this.#check();
    this.#load().set(normalizeName(name), [normalizeValue(value)]);
  }
  forEach(callback: (value: string, name: string, headers: Headers) => void, thisArg?: unknown): void {
    for (const [n, v] of this.entries()) callback.call(thisArg, v, n, this);
  }
  *entries(): IterableIterator<[string, string]> {
    const map = this.#load();
    const names = [...map.keys()].sort();
    for (const n of names) {
      const list = map.get(n);
      if (list === undefined) continue;
      if (n === 'set-cookie') for (const v of list) yield [n, v];
      else yield [n, list.length === 1 ? list[0] : list.join(', ')];
    }
  }
  *keys(): IterableIterator<string> {
    for (const [n] of this.entries()) yield n;
  }
  *values(): IterableIterator<string> {
    for (const [, v] of this.entries()) yield v;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
  get [Symbol.toStringTag](): string {
    return 'Headers';
  }

  /** internal: raw values per name */
  _entries(): Map<string, string[]> {
    return this.#load();
  }

  /** internal: the wire form, every value on its own (Set-Cookie stays separate) */
  _toWire(): string {
    if (this.#map === null) return this.#wire ?? '';
    let out = '';
    for (const [n, list] of this.#map) {
      for (const v of list) out += (out.length ? HEADER_SEP : '') + n + HEADER_SEP + v;
    }
    return out;
  }
}
