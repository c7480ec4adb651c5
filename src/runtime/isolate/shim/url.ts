/**
 * URL after the WHATWG URL standard, compactly: special schemes, relative resolution, dot
 * segments, percent-encoding sets, IPv4/IPv6 hosts, punycode for non-ASCII hosts (NFKC
 * mapping, not full IDNA), Windows drive letters in file URLs, and live searchParams.
 * Checked against Node's URL by differential fuzzing.
 */
import { invalid, parseHost } from './url-host.ts';
import { C0, FRAGMENT, PATH, QUERY, SPECIAL_QUERY, USERINFO, encodeSet } from './url-percent.ts';
import { URLSearchParams, toUSV } from './url-search-params.ts';

export { URLSearchParams, parseForm } from './url-search-params.ts';

const SPECIAL: Record<string, string> = { 'http:': '80', 'https:': '443', 'ws:': '80', 'wss:': '443', 'ftp:': '21', 'file:': '' };
const isSpecial = (protocol: string): boolean => Object.prototype.hasOwnProperty.call(SPECIAL, protocol);

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
    // file URLs have a host only: no credentials, no port; file://C:/ is a drive letter, no host
    if (DRIVE.test(auth)) {
      r.host = '';
      return rest;
    }
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
    } else {
      r.path = encodeSet(before, C0);
      if ((query !== null || fragment !== null) && r.path.endsWith(' ')) r.path = r.path.slice(0, -1) + '%20';
    }
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
    r.path = before === '' && !special ? [] : parsePath(before.replace(slash, ''), special, [], r.protocol === 'file:');
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

/** The basic URL parser drops every tab and newline of its input (setters included). */
const stripTabs = (s: string): string => s.replace(/[\t\n\r]/g, '');

/**
 * The host and hostname setters: the host state (and the port state after it) of the basic
 * URL parser with a state override. An invalid host leaves the URL as it was; a port that
 * does not parse leaves the port, the host already set.
 */
function setHost(r: Record_, value: string, hostnameOnly: boolean): void {
  if (typeof r.path === 'string') return;
  const special = isSpecial(r.protocol);
  const file = r.protocol === 'file:';
  const s = stripTabs(value);
  let i = 0;
  let brackets = false;
  for (; i < s.length; i++) {
    const c = s[i];
    if (c === '/' || c === '?' || c === '#' || (special && c === '\\')) break;
    if (c === ':' && !brackets && !file) break;
    if (c === '[') brackets = true;
    else if (c === ']') brackets = false;
  }
  const buffer = s.slice(0, i);
  if (file) {
    let host = '';
    if (buffer !== '') {
      try {
        host = parseHost(buffer, true, value);
      } catch {
        return;
      }
    }
    r.host = host === 'localhost' ? '' : host;
    return;
  }
  const colon = s[i] === ':';
  if (colon && (buffer === '' || hostnameOnly)) return;
  if (!colon) {
    if (buffer === '' && (special || r.username !== '' || r.password !== '' || r.port !== '')) return;
  }
  let host: string;
  try {
    host = buffer === '' ? '' : parseHost(buffer, special, value);
  } catch {
    return;
  }
  r.host = host;
  if (!colon) return;
  const digits = /^[0-9]*/.exec(s.slice(i + 1))![0];
  if (digits === '') return;
  const n = parseInt(digits, 10);
  if (n > 65535) return;
  r.port = String(n) === SPECIAL[r.protocol] ? '' : String(n);
}

// ---------------------------------------------------------------- URL

export class URL {
  #r: Record_;
  #params: URLSearchParams | null = null;

  constructor(url: unknown, base?: unknown) {
    if (arguments.length === 0) throw new TypeError("Failed to construct 'URL': 1 argument required");
    const b = base === undefined ? undefined : parseURL(toUSV(base));
    this.#r = parseURL(toUSV(url), b);
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
    this.#r = parseURL(toUSV(value));
    this.#params?._reset(this.#r.query);
  }
  get origin(): string {
    const r = this.#r;
    if (r.protocol === 'blob:' && typeof r.path === 'string') {
      try {
        const inner = new URL(r.path);
        return inner.protocol === 'http:' || inner.protocol === 'https:' ? inner.origin : 'null';
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
    // the scheme state with the value and a ':' appended: anything but a scheme before the
    // first ':' leaves the URL as it was
    const m = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(stripTabs(String(value)) + ':');
    if (!m) return;
    const p = m[1].toLowerCase() + ':';
    const r = this.#r;
    if (isSpecial(p) !== isSpecial(r.protocol)) return;
    if (p === 'file:' && (r.username || r.password || r.port)) return;
    if (r.protocol === 'file:' && r.host === '') return;
    r.protocol = p;
    if (r.port === SPECIAL[p]) r.port = '';
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
    setHost(this.#r, String(value), false);
  }
  get hostname(): string {
    return this.#r.host ?? '';
  }
  set hostname(value: string) {
    setHost(this.#r, String(value), true);
  }
  get port(): string {
    return this.#r.port;
  }
  set port(value: string) {
    if (this.#r.host === null || this.#r.host === '' || this.#r.protocol === 'file:') return;
    const s = stripTabs(String(value));
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
    const s = stripTabs(String(value));
    // a non-special URL with a host can have no path at all
    if (!special && s === '' && this.#r.host !== null) {
      this.#r.path = [];
      return;
    }
    this.#r.path = parsePath(special ? s.replace(/^[/\\]/, '') : s.replace(/^\//, ''), special, []);
  }
  get search(): string {
    return this.#r.query ? '?' + this.#r.query : '';
  }
  set search(value: string) {
    const s = stripTabs(String(value));
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
    const s = stripTabs(String(value));
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
