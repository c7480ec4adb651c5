/** URLSearchParams and application/x-www-form-urlencoded parsing. */
import { utf8Encode } from './encoding.ts';
import { HEX, percentDecode } from './url-percent.ts';

/** What a URL offers its live searchParams. */
export interface QueryOwner {
  _setQueryFromParams(query: string): void;
}

const FORM_SAFE = /[A-Za-z0-9*\-._]/;

function formEncode(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i];
    if (FORM_SAFE.test(ch)) out += ch;
    else if (ch === ' ') out += '+';
    else {
      let end = i + 1;
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && end < s.length) end++;
      for (const b of utf8Encode(s.slice(i, end))) out += '%' + HEX[b >> 4] + HEX[b & 15];
      i = end - 1;
    }
  }
  return out;
}

function formDecode(s: string): string {
  return percentDecode(s.replace(/\+/g, ' '));
}

export function parseForm(query: string): Array<[string, string]> {
  const list: Array<[string, string]> = [];
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq >= 0 ? part.slice(0, eq) : part;
    const value = eq >= 0 ? part.slice(eq + 1) : '';
    list.push([formDecode(name), formDecode(value)]);
  }
  return list;
}

/** WebIDL's USVString conversion: lone surrogates become U+FFFD. */
export const toUSV = (s: unknown): string => String(s).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

export class URLSearchParams {
  #list: Array<[string, string]> = [];
  #url: QueryOwner | null = null;

  constructor(init?: unknown) {
    if (init === undefined || init === null) return;
    if (typeof init === 'object' || typeof init === 'function') {
      const it = (init as Iterable<unknown>)[Symbol.iterator];
      if (typeof it === 'function') {
        for (const pair of init as Iterable<Iterable<unknown>>) {
          const p = [...pair];
          if (p.length !== 2) throw new TypeError("Failed to construct 'URLSearchParams': each pair must have exactly two items");
          this.#list.push([toUSV(p[0]), toUSV(p[1])]);
        }
      } else {
        // a record<USVString, USVString>: keys that become equal as USVStrings (lone
        // surrogates → U+FFFD) are one entry, at the first one's place with the last value
        const index = new Map<string, number>();
        for (const k of Object.keys(init as object)) {
          const name = toUSV(k);
          const value = toUSV((init as Record<string, unknown>)[k]);
          const at = index.get(name);
          if (at === undefined) {
            index.set(name, this.#list.length);
            this.#list.push([name, value]);
          } else this.#list[at][1] = value;
        }
      }
    } else {
      const s = toUSV(init);
      this.#list = parseForm(s.startsWith('?') ? s.slice(1) : s);
    }
  }

  /** internal: bind to a URL whose query mirrors this list */
  static _forURL(url: QueryOwner, query: string | null): URLSearchParams {
    const p = new URLSearchParams();
    p.#list = query ? parseForm(query) : [];
    p.#url = url;
    return p;
  }
  /** internal: the URL's query changed */
  _reset(query: string | null): void {
    this.#list = query ? parseForm(query) : [];
  }
  #update(): void {
    if (this.#url !== null) this.#url._setQueryFromParams(this.toString());
  }

  get size(): number {
    return this.#list.length;
  }
  append(name: string, value: string): void {
    this.#list.push([toUSV(name), toUSV(value)]);
    this.#update();
  }
  delete(name: string, value?: string): void {
    const n = toUSV(name);
    const v = value === undefined ? undefined : toUSV(value);
    this.#list = this.#list.filter(([a, b]) => !(a === n && (v === undefined || b === v)));
    this.#update();
  }
  get(name: string): string | null {
    const n = toUSV(name);
    const hit = this.#list.find(([a]) => a === n);
    return hit ? hit[1] : null;
  }
  getAll(name: string): string[] {
    const n = toUSV(name);
    return this.#list.filter(([a]) => a === n).map(([, b]) => b);
  }
  has(name: string, value?: string): boolean {
    const n = toUSV(name);
    const v = value === undefined ? undefined : toUSV(value);
    return this.#list.some(([a, b]) => a === n && (v === undefined || b === v));
  }
  set(name: string, value: string): void {
    const n = toUSV(name);
    const i = this.#list.findIndex(([a]) => a === n);
    if (i < 0) this.#list.push([n, toUSV(value)]);
    else {
      this.#list[i] = [n, toUSV(value)];
      this.#list = this.#list.filter(([a], k) => a !== n || k === i);
    }
    this.#update();
  }
  sort(): void {
    this.#list = this.#list
      .map((e, i) => [e, i] as const)
      .sort(([a, i], [b, j]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : i - j))
      .map(([e]) => e);
    this.#update();
  }
  forEach(callback: (value: string, name: string, params: URLSearchParams) => void, thisArg?: unknown): void {
    for (const [n, v] of this.#list.slice()) callback.call(thisArg, v, n, this);
  }
  *entries(): IterableIterator<[string, string]> {
    for (let i = 0; i < this.#list.length; i++) yield [this.#list[i][0], this.#list[i][1]];
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
  toString(): string {
    return this.#list.map(([n, v]) => formEncode(n) + '=' + formEncode(v)).join('&');
  }
  get [Symbol.toStringTag](): string {
    return 'URLSearchParams';
  }
}
