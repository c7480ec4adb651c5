/**
 * URL and URLSearchParams after the WHATWG URL standard, compactly: special schemes,
 * relative resolution, dot segments, percent-encoding sets, IPv4/IPv6 hosts, punycode
 * for non-ASCII hosts (lower-casing only; no full IDNA mapping), and live searchParams.
 */
import { utf8Decode, utf8Encode } from './encoding.ts';

const SPECIAL: Record<string, string> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'ftp:': '21', 'file:': '' };
const isSpecial = (protocol: string): boolean => Object.prototype.hasOwnProperty.call(SPECIAL, protocol);

// percent-encode sets, as predicates on a code unit (code points > 0x7e are always encoded)
const C0 = (c: number) => c < 0x20 || c > 0x7e;
const FRAGMENT = (c: number) => C0(c) || c === 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x60;
const QUERY = (c: number) => C0(c) || c === 0x20 || c === 0x22 || c === 0x23 || c === 0x3c || c === 0x3e;
const SPECIAL_QUERY = (c: number) => QUERY(c) || c === 0x27;
const PATH = (c: number) => QUERY(c) || c === 0x3f || c === 0x60 || c === 0x7b || c === 0x7d;
const USERINFO = (c: number) =>
  PATH(c) || c === 0x2f || c === 0x3a || c === 0x3b || c === 0x3d || c === 0x40 || (c >= 0x5b && c <= 0x5e) || c === 0x7c;

const HEX = '0123456789ABCDEF';

function encodeSet(s: string, inSet: (c: number) => boolean): string {
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

function percentDecodeBytes(s: string): Uint8Array {
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

const percentDecode = (s: string): string => (s.includes('%') ? utf8Decode(percentDecodeBytes(s)).text : s);

// ---------------------------------------------------------------- hosts

function invalid(input: string): TypeError {
  const e = new TypeError(`Invalid URL: ${input}`);
  (e as TypeError & { code?: string }).code = 'ERR_INVALID_URL';
  return e;
}

function parseIPv4Number(s: string): number {
  if (s === '') return NaN;
  let radix = 10;
  if (/^0[xX]/.test(s)) {
    s = s.slice(2);
    radix = 16;
  } else if (s.length > 1 && s[0] === '0') {
    s = s.slice(1);
    radix = 8;
  }
  if (s === '') return 0;
  const re = radix === 10 ? /^[0-9]+$/ : radix === 16 ? /^[0-9a-fA-F]+$/ : /^[0-7]+$/;
  return re.test(s) ? parseInt(s, radix) : NaN;
}

function endsInNumber(host: string): boolean {
  const parts = host.split('.');
  if (parts[parts.length - 1] === '') {
    if (parts.length === 1) return false;
    parts.pop();
  }
  const last = parts[parts.length - 1];
  return /^[0-9]+$/.test(last) || !Number.isNaN(parseIPv4Number(last));
}

function parseIPv4(host: string, input: string): string {
  const parts = host.split('.');
  if (parts[parts.length - 1] === '' && parts.length > 1) parts.pop();
  if (parts.length > 4) throw invalid(input);
  const nums = parts.map(parseIPv4Number);
  if (nums.some((n) => Number.isNaN(n))) throw invalid(input);
  for (let i = 0; i < nums.length - 1; i++) if (nums[i] > 255) throw invalid(input);
  if (nums[nums.length - 1] >= 256 ** (5 - nums.length)) throw invalid(input);
  let ipv4 = nums[nums.length - 1];
  for (let i = 0; i < nums.length - 1; i++) ipv4 += nums[i] * 256 ** (3 - i);
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    out.unshift(ipv4 % 256);
    ipv4 = Math.floor(ipv4 / 256);
  }
  return out.join('.');
}

function parseIPv6(s: string, input: string): string {
  const pieces = [0, 0, 0, 0, 0, 0, 0, 0];
  let piece = 0;
  let compress = -1;
  let i = 0;
  if (s[0] === ':') {
    if (s[1] !== ':') throw invalid(input);
    i = 2;
    compress = ++piece;
  }
  while (i < s.length) {
    if (piece === 8) throw invalid(input);
    if (s[i] === ':') {
      if (compress !== -1) throw invalid(input);
      i++;
      compress = ++piece;
      continue;
    }
    let value = 0;
    let len = 0;
    while (len < 4 && i < s.length && /[0-9a-fA-F]/.test(s[i])) {
      value = value * 16 + parseInt(s[i], 16);
      i++;
      len++;
    }
    if (s[i] === '.') {
      if (len === 0 || piece > 6) throw invalid(input);
      i -= len;
      const v4 = parseIPv4(s.slice(i), input).split('.').map(Number);
      if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(s.slice(i))) throw invalid(input);
      pieces[piece++] = v4[0] * 256 + v4[1];
      pieces[piece++] = v4[2] * 256 + v4[3];
      i = s.length;
      break;
    }
    if (s[i] === ':') {
      i++;
      if (i === s.length) throw invalid(input);
    } else if (i < s.length) throw invalid(input);
    pieces[piece++] = value;
  }
  if (compress !== -1) {
    let swaps = piece - compress;
    piece = 7;
    while (piece !== 0 && swaps > 0) {
      const t = pieces[compress + swaps - 1];
      pieces[compress + swaps - 1] = pieces[piece];
      pieces[piece] = t;
      piece--;
      swaps--;
    }
  } else if (piece !== 8) throw invalid(input);
  // serialise, compressing the longest run of zeros (length ≥ 2)
  let best = -1;
  let bestLen = 1;
  for (let a = 0; a < 8; ) {
    if (pieces[a] !== 0) {
      a++;
      continue;
    }
    let b = a;
    while (b < 8 && pieces[b] === 0) b++;
    if (b - a > bestLen) {
      best = a;
      bestLen = b - a;
    }
    a = b;
  }
  let out = '';
  for (let k = 0; k < 8; k++) {
    if (k === best) {
      out += k === 0 ? '::' : ':';
      k += bestLen - 1;
      continue;
    }
    out += pieces[k].toString(16) + (k < 7 ? ':' : '');
  }
  return '[' + out + ']';
}

function punycode(label: string): string {
  const cps = Array.from(label, (ch) => ch.codePointAt(0) as number);
  let out = cps.filter((c) => c < 0x80).map((c) => String.fromCharCode(c)).join('');
  const basic = out.length;
  let h = basic;
  if (basic > 0) out += '-';
  let n = 128;
  let delta = 0;
  let bias = 72;
  const digit = (d: number) => String.fromCharCode(d + 22 + 75 * (d < 26 ? 1 : 0));
  const adapt = (d: number, numPoints: number, first: boolean) => {
    let k = 0;
    d = first ? Math.floor(d / 700) : d >> 1;
    d += Math.floor(d / numPoints);
    for (; d > 455; k += 36) d = Math.floor(d / 35);
    return Math.floor(k + (36 * d) / (d + 38));
  };
  while (h < cps.length) {
    const m = Math.min(...cps.filter((c) => c >= n));
    delta += (m - n) * (h + 1);
    n = m;
    for (const c of cps) {
      if (c < n) delta++;
      if (c === n) {
        let q = delta;
        for (let k = 36; ; k += 36) {
          const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
          if (q < t) break;
          out += digit(t + ((q - t) % (36 - t)));
          q = Math.floor((q - t) / (36 - t));
        }
        out += digit(q);
        bias = adapt(delta, h + 1, h === basic);
        delta = 0;
        h++;
      }
    }
    delta++;
    n++;
  }
  return out;
}

/** RFC 3492 decoding; null when `input` is not valid punycode. */
function punydecode(input: string): number[] | null {
  const out: number[] = [];
  const dash = input.lastIndexOf('-');
  for (let j = 0; j < Math.max(0, dash); j++) {
    const c = input.charCodeAt(j);
    if (c >= 0x80) return null;
    out.push(c);
  }
  let n = 128;
  let bias = 72;
  let i = 0;
  for (let idx = dash > 0 ? dash + 1 : 0; idx < input.length; ) {
    const old = i;
    let w = 1;
    for (let k = 36; ; k += 36) {
      if (idx >= input.length) return null;
      const c = input.charCodeAt(idx++);
      const digit = c - 48 < 10 ? c - 22 : c - 65 < 26 ? c - 65 : c - 97 < 26 ? c - 97 : 36;
      if (digit >= 36) return null;
      i += digit * w;
      const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
      if (digit < t) break;
      w *= 36 - t;
      if (i > 0x10ffff * 64) return null;
    }
    const len = out.length + 1;
    let delta = old === 0 ? Math.floor((i - old) / 700) : (i - old) >> 1;
    delta += Math.floor(delta / len);
    let k = 0;
    for (; delta > 455; k += 36) delta = Math.floor(delta / 35);
    bias = Math.floor(k + (36 * delta) / (delta + 38));
    n += Math.floor(i / len);
    i %= len;
    if (n > 0x10ffff) return null;
    out.splice(i++, 0, n);
  }
  return out;
}

/** An "xn--" label must decode to something that needed encoding. */
function validAceLabel(label: string): boolean {
  if (!label.startsWith('xn--')) return true;
  const cps = punydecode(label.slice(4));
  return cps !== null && cps.some((c) => c >= 0x80);
}

const FORBIDDEN_HOST = /[\0\t\n\r #/:<>?@[\\\]^|]/;
const FORBIDDEN_DOMAIN = /[\0-\x1f\t\n\r #%/:<>?@[\\\]^|\x7f]/;

function parseHost(raw: string, special: boolean, input: string): string {
  if (raw.startsWith('[')) {
    if (!raw.endsWith(']')) throw invalid(input);
    return parseIPv6(raw.slice(1, -1), input);
  }
  if (!special) {
    if (FORBIDDEN_HOST.test(raw)) throw invalid(input);
    return encodeSet(raw, C0);
  }
  let domain = percentDecode(raw).toLowerCase();
  if (/[^\x00-\x7f]/.test(domain)) {
    // UTS 46 maps roughly as NFKC + case folding (full width letters, ligatures...)
    domain = domain
      .normalize('NFKC')
      .toLowerCase()
      .replace(/[\u3002\uff0e\uff61]/g, '.')
      .split('.')
      .map((l) => (/[^\x00-\x7f]/.test(l) ? 'xn--' + punycode(l) : l))
      .join('.');
  }
  if (domain === '' || FORBIDDEN_DOMAIN.test(domain) || !domain.split('.').every(validAceLabel)) throw invalid(input);
  return endsInNumber(domain) ? parseIPv4(domain, input) : domain;
}

// ---------------------------------------------------------------- records

interface Record_ {
  protocol: string;
  username: string;
  password: string;
  host: string | null;
  port: string;
  path: string[] | string; // a string is an opaque path
  query: string | null;
  fragment: string | null;
}

const SINGLE_DOT = /^(\.|%2e)$/i;
const DOUBLE_DOT = /^(\.|%2e)(\.|%2e)$/i;

const DRIVE = /^[A-Za-z][:|]$/;

function parsePath(raw: string, special: boolean, into: string[], file = false): string[] {
  const segments = raw.split(special ? /[/\\]/ : '/');
  const path = into.slice();
  for (let i = 0; i < segments.length; i++) {
    let seg = segments[i];
    // file:///C|/x is file:///C:/x
    if (file && path.length === 0 && DRIVE.test(seg)) seg = seg[0] + ':';
    const last = i === segments.length - 1;
    if (DOUBLE_DOT.test(seg)) {
      if (path.length > 0 && !(path.length === 1 && /^[A-Za-z]:$/.test(path[0]))) path.pop();
      if (last) path.push('');
    } else if (SINGLE_DOT.test(seg)) {
      if (last) path.push('');
    } else path.push(encodeSet(seg, PATH));
  }
  return path;
}

function splitTail(s: string): { before: string; query: string | null; fragment: string | null } {
  let fragment: string | null = null;
  const h = s.indexOf('#');
  if (h >= 0) {
    fragment = s.slice(h + 1);
    s = s.slice(0, h);
  }
  let query: string | null = null;
  const q = s.indexOf('?');
  if (q >= 0) {
    query = s.slice(q + 1);
    s = s.slice(0, q);
  }
  return { before: s, query, fragment };
}

function finishTail(r: Record_, query: string | null, fragment: string | null): Record_ {
  r.query = query === null ? null : encodeSet(query, isSpecial(r.protocol) ? SPECIAL_QUERY : QUERY);
  r.fragment = fragment === null ? null : encodeSet(fragment, FRAGMENT);
  return r;
}

function parseAuthority(r: Record_, rest: string, input: string): string {
  const special = isSpecial(r.protocol);
  const m = special ? /[/\\?#]/.exec(rest) : /[/?#]/.exec(rest);
  const end = m ? m.index : rest.length;
  let auth = rest.slice(0, end);
  if (r.protocol === 'file:') {
    // file URLs have a host only: no credentials, no port
    r.host = auth === '' ? '' : parseHost(auth, true, input);
    if (r.host === 'localhost') r.host = '';
    return rest.slice(end);
  }
  const at = auth.lastIndexOf('@');
  if (at >= 0) {
    const info = auth.slice(0, at);
    auth = auth.slice(at + 1);
    const colon = info.indexOf(':');
    r.username = encodeSet(colon >= 0 ? info.slice(0, colon) : info, USERINFO);
    r.password = colon >= 0 ? encodeSet(info.slice(colon + 1), USERINFO) : '';
    if (auth === '') throw invalid(input);
  }
  const portMatch = /:([^\]:]*)$/.exec(auth);
  let hostRaw = auth;
  if (portMatch && !(auth.startsWith('[') && !auth.slice(0, portMatch.index).endsWith(']'))) {
    hostRaw = auth.slice(0, portMatch.index);
    const port = portMatch[1];
    if (!/^[0-9]*$/.test(port)) throw invalid(input);
    if (port !== '') {
      const n = parseInt(port, 10);
      if (n > 65535) throw invalid(input);
      r.port = String(n) === SPECIAL[r.protocol] ? '' : String(n);
    }
  }
  if (hostRaw === '') {
    if (special || at >= 0 || portMatch !== null) throw invalid(input);
    r.host = '';
  } else {
    r.host = parseHost(hostRaw, special, input);
    if (r.protocol === 'file:' && r.host === 'localhost') r.host = '';
  }
  return rest.slice(end);
}

function parseURL(input: string, base?: Record_): Record_ {
  const s = input.replace(/^[\0-\x20]+|[\0-\x20]+$/g, '').replace(/[\t\n\r]/g, '');
  const m = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(s);
  if (m) {
    const protocol = m[1].toLowerCase() + ':';
    let rest = s.slice(m[0].length);
    const special = isSpecial(protocol);
    const r: Record_ = { protocol, username: '', password: '', host: null, port: '', path: [], query: null, fragment: null };
    if (special) {
      if (base && base.protocol === protocol && !/^[/\\]{2}/.test(rest)) {
        return relative(rest, base, input);
      }
      if (protocol === 'file:') {
        if (/^[/\\]{2}/.test(rest)) rest = parseAuthority(r, rest.slice(2), input);
        else r.host = '';
      } else rest = parseAuthority(r, rest.replace(/^[/\\]*/, ''), input);
      const { before, query, fragment } = splitTail(rest);
      r.path = parsePath(before.replace(/^[/\\]/, ''), true, [], protocol === 'file:');
      return finishTail(r, query, fragment);
    }
    if (rest.startsWith('//')) rest = parseAuthority(r, rest.slice(2), input);
    const { before, query, fragment } = splitTail(rest);
    if (r.host !== null || before.startsWith('/')) {
      r.path = before === '' ? [] : parsePath(before.slice(1), false, []);
    } else r.path = encodeSet(before, C0);
    return finishTail(r, query, fragment);
  }
  if (base === undefined) throw invalid(input);
  return relative(s, base, input);
}

function relative(s: string, base: Record_, input: string): Record_ {
  const special = isSpecial(base.protocol);
  const r: Record_ = {
    protocol: base.protocol,
    username: base.username,
    password: base.password,
    host: base.host,
    port: base.port,
    path: typeof base.path === 'string' ? base.path : base.path.slice(),
    query: base.query,
    fragment: null,
  };
  if (typeof base.path === 'string') {
    if (!s.startsWith('#')) throw invalid(input);
    return finishTail(r, base.query, s.slice(1));
  }
  const slash = special ? /^[/\\]/ : /^\//;
  const dslash = special ? /^[/\\]{2}/ : /^\/\//;
  if (dslash.test(s)) {
    r.username = r.password = r.port = '';
    const rest = parseAuthority(r, special && r.protocol !== 'file:' ? s.replace(/^[/\\]+/, '') : s.slice(2), input);
    const { before, query, fragment } = splitTail(rest);
    r.path = before === '' && !special ? [] : parsePath(before.replace(slash, ''), special, []);
    return finishTail(r, query, fragment);
  }
  const { before, query, fragment } = splitTail(s);
  const file = base.protocol === 'file:';
  if (slash.test(before) || (file && /^[A-Za-z][:|]([/\\?#]|$)/.test(before))) {
    r.path = parsePath(slash.test(before) ? before.slice(1) : before, special, [], file);
    // file:///C:/x + "/y" stays on drive C:
    const drive = (base.path as string[])[0];
    if (file && slash.test(before) && drive !== undefined && /^[A-Za-z]:$/.test(drive) && !/^[A-Za-z]:$/.test(r.path[0] ?? '')) {
      r.path = [drive, ...r.path];
    }
    return finishTail(r, query, fragment);
  }
  if (before === '') {
    return finishTail(r, query === null ? base.query : query, fragment);
  }
  const dir = (r.path as string[]).slice(0, -1);
  r.path = parsePath(before, special, dir, file);
  return finishTail(r, query, fragment);
}

function pathString(r: Record_): string {
  if (typeof r.path === 'string') return r.path;
  if (r.path.length === 0) return isSpecial(r.protocol) ? '/' : '';
  return '/' + r.path.join('/');
}

function serialize(r: Record_, excludeFragment = false): string {
  let out = r.protocol;
  const path = pathString(r);
  if (r.host !== null) {
    out += '//';
    if (r.username !== '' || r.password !== '') out += r.username + (r.password !== '' ? ':' + r.password : '') + '@';
    out += r.host + (r.port !== '' ? ':' + r.port : '');
  } else if (typeof r.path !== 'string' && r.path.length > 1 && r.path[0] === '') out += '/.';
  out += path;
  if (r.query !== null) out += '?' + r.query;
  if (!excludeFragment && r.fragment !== null) out += '#' + r.fragment;
  return out;
}

// ---------------------------------------------------------------- URLSearchParams

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

const toUSV = (s: unknown): string => String(s).replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

export class URLSearchParams {
  #list: Array<[string, string]> = [];
  #url: URL | null = null;

  constructor(init?: unknown) {
    if (init === undefined || init === null) return;
    if (init instanceof URLSearchParams) {
      this.#list = init.#list.map(([n, v]) => [n, v]);
    } else if (typeof init === 'object' || typeof init === 'function') {
      const it = (init as Iterable<unknown>)[Symbol.iterator];
      if (typeof it === 'function') {
        for (const pair of init as Iterable<Iterable<unknown>>) {
          const p = [...pair];
          if (p.length !== 2) throw new TypeError("Failed to construct 'URLSearchParams': each pair must have exactly two items");
          this.#list.push([toUSV(p[0]), toUSV(p[1])]);
        }
      } else {
        for (const k of Object.keys(init as object)) this.#list.push([toUSV(k), toUSV((init as Record<string, unknown>)[k])]);
      }
    } else {
      const s = toUSV(init);
      this.#list = parseForm(s.startsWith('?') ? s.slice(1) : s);
    }
  }

  /** internal: bind to a URL whose query mirrors this list */
  static _forURL(url: URL, query: string | null): URLSearchParams {
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

// ---------------------------------------------------------------- URL

export class URL {
  #r: Record_;
  #params: URLSearchParams | null = null;

  constructor(url: unknown, base?: unknown) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'URL': 1 argument required");
    const b = base === undefined ? undefined : base instanceof URL ? base.#r : parseURL(String(base));
    this.#r = parseURL(String(url), b);
  }

  static canParse(url: unknown, base?: unknown): boolean {
    try {
      new URL(url, base);
      return true;
    } catch {
      return false;
    }
  }
  static parse(url: unknown, base?: unknown): URL | null {
    try {
      return new URL(url, base);
    } catch {
      return null;
    }
  }

  /** internal */
  _setQueryFromParams(query: string): void {
    this.#r.query = query === '' ? null : query;
  }

  get href(): string {
    return serialize(this.#r);
  }
  set href(value: string) {
    this.#r = parseURL(String(value));
    this.#params?._reset(this.#r.query);
  }
  get origin(): string {
    const r = this.#r;
    if (r.protocol === 'blob:' && typeof r.path === 'string') {
      try {
        return new URL(r.path).origin;
      } catch {
        return 'null';
      }
    }
    if (!isSpecial(r.protocol) || r.protocol === 'file:') return 'null';
    return r.protocol + '//' + r.host + (r.port ? ':' + r.port : '');
  }
  get protocol(): string {
    return this.#r.protocol;
  }
  set protocol(value: string) {
    const m = /^([A-Za-z][A-Za-z0-9+\-.]*)/.exec(String(value));
    if (!m) return;
    const p = m[1].toLowerCase() + ':';
    if (isSpecial(p) !== isSpecial(this.#r.protocol)) return;
    if (p === 'file:' && (this.#r.username || this.#r.password || this.#r.port)) return;
    this.#r.protocol = p;
    if (this.#r.port === SPECIAL[p]) this.#r.port = '';
  }
  get username(): string {
    return this.#r.username;
  }
  set username(value: string) {
    if (this.#r.host === null || this.#r.host === '' || this.#r.protocol === 'file:') return;
    this.#r.username = encodeSet(String(value), USERINFO);
  }
  get password(): string {
    return this.#r.password;
  }
  set password(value: string) {
    if (this.#r.host === null || this.#r.host === '' || this.#r.protocol === 'file:') return;
    this.#r.password = encodeSet(String(value), USERINFO);
  }
  get host(): string {
    const r = this.#r;
    return r.host === null ? '' : r.host + (r.port ? ':' + r.port : '');
  }
  set host(value: string) {
    if (typeof this.#r.path === 'string') return;
    try {
      const probe = parseURL(this.#r.protocol + '//' + String(value).replace(/[/?#\\].*$/, ''));
      if (probe.host === '' && isSpecial(this.#r.protocol)) return;
      this.#r.host = probe.host;
      if (/:/.test(String(value).replace(/^\[[^\]]*\]/, ''))) this.#r.port = probe.port;
    } catch {
      /* invalid host: ignored, as the standard says */
    }
  }
  get hostname(): string {
    return this.#r.host ?? '';
  }
  set hostname(value: string) {
    if (typeof this.#r.path === 'string') return;
    try {
      const probe = parseURL(this.#r.protocol + '//' + String(value).replace(/[:/?#\\].*$/, ''));
      if (probe.host === '' && isSpecial(this.#r.protocol)) return;
      this.#r.host = probe.host;
    } catch {
      /* ignored */
    }
  }
  get port(): string {
    return this.#r.port;
  }
  set port(value: string) {
    if (this.#r.host === null || this.#r.host === '' || this.#r.protocol === 'file:') return;
    const s = String(value);
    if (s === '') {
      this.#r.port = '';
      return;
    }
    const m = /^[0-9]+/.exec(s);
    if (!m) return;
    const n = parseInt(m[0], 10);
    if (n > 65535) return;
    this.#r.port = String(n) === SPECIAL[this.#r.protocol] ? '' : String(n);
  }
  get pathname(): string {
    return pathString(this.#r);
  }
  set pathname(value: string) {
    if (typeof this.#r.path === 'string') return;
    const special = isSpecial(this.#r.protocol);
    const s = String(value);
    this.#r.path = parsePath(special ? s.replace(/^[/\\]/, '') : s.replace(/^\//, ''), special, []);
  }
  get search(): string {
    return this.#r.query ? '?' + this.#r.query : '';
  }
  set search(value: string) {
    const s = String(value);
    const q = s.startsWith('?') ? s.slice(1) : s;
    this.#r.query = s === '' ? null : encodeSet(q, isSpecial(this.#r.protocol) ? SPECIAL_QUERY : QUERY);
    this.#params?._reset(this.#r.query);
  }
  get searchParams(): URLSearchParams {
    if (this.#params === null) this.#params = URLSearchParams._forURL(this, this.#r.query);
    return this.#params;
  }
  get hash(): string {
    return this.#r.fragment ? '#' + this.#r.fragment : '';
  }
  set hash(value: string) {
    const s = String(value);
    this.#r.fragment = s === '' ? null : encodeSet(s.startsWith('#') ? s.slice(1) : s, FRAGMENT);
  }
  toString(): string {
    return this.href;
  }
  toJSON(): string {
    return this.href;
  }
  get [Symbol.toStringTag](): string {
    return 'URL';
  }
}
