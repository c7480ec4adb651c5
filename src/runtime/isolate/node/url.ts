/**
 * `url`: the WHATWG URL (the isolate's global), file URL helpers, domain helpers, and the
 * legacy `parse`/`format`/`resolve` (Node's Url objects) that older packages still call.
 */
import * as punycode from './punycode.ts';
import { parse as parseQuery, stringify as stringifyQuery } from './querystring.ts';

export const URL = globalThis.URL;
export const URLSearchParams = globalThis.URLSearchParams;

export function fileURLToPath(url: string | URL): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'file:') throw Object.assign(new TypeError('The URL must be of scheme file'), { code: 'ERR_INVALID_URL_SCHEME' });
  if (u.hostname !== '') throw Object.assign(new TypeError('File URL host must be "localhost" or empty on linux'), { code: 'ERR_INVALID_FILE_URL_HOST' });
  if (/%2f/i.test(u.pathname)) throw Object.assign(new TypeError('File URL path must not include encoded / characters'), { code: 'ERR_INVALID_FILE_URL_PATH' });
  return decodeURIComponent(u.pathname);
}

export function pathToFileURL(path: string): URL {
  const abs = path.startsWith('/') ? path : '/' + path;
  return new URL('file://' + abs.split('/').map((s) => encodeURIComponent(s)).join('/'));
}

export function domainToASCII(domain: string): string {
  try {
    return new URL(`http://${domain}`).hostname;
  } catch {
    return '';
  }
}

export function domainToUnicode(domain: string): string {
  return punycode.toUnicode(domainToASCII(domain));
}

export function urlToHttpOptions(url: URL): Record<string, unknown> {
  return {
    protocol: url.protocol,
    hostname: url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname,
    hash: url.hash,
    search: url.search,
    pathname: url.pathname,
    path: `${url.pathname}${url.search}`,
    href: url.href,
    ...(url.port !== '' ? { port: Number(url.port) } : {}),
    ...(url.username || url.password ? { auth: `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}` } : {}),
  };
}

/** Node's legacy Url object. */
export class Url {
  protocol: string | null = null;
  slashes: boolean | null = null;
  auth: string | null = null;
  host: string | null = null;
  port: string | null = null;
  hostname: string | null = null;
  hash: string | null = null;
  search: string | null = null;
  query: string | Record<string, string | string[]> | null = null;
  pathname: string | null = null;
  path: string | null = null;
  href = '';
}

const SLASHED = new Set(['http:', 'https:', 'ftp:', 'gopher:', 'file:', 'ws:', 'wss:']);

export function parse(input: string, parseQueryString = false, slashesDenoteHost = false): Url {
  if (typeof input !== 'string') throw new TypeError('The "url" argument must be of type string');
  const u = new Url();
  let rest = input.trim().replace(/\\/g, '/');
  const hashAt = rest.indexOf('#');
  if (hashAt >= 0) {
    u.hash = rest.slice(hashAt);
    rest = rest.slice(0, hashAt);
  }
  const qAt = rest.indexOf('?');
  if (qAt >= 0) {
    u.search = rest.slice(qAt);
    u.query = rest.slice(qAt + 1);
    rest = rest.slice(0, qAt);
  } else if (parseQueryString) {
    u.search = '';
    u.query = {};
  }
  const proto = /^([a-z0-9.+-]+:)/i.exec(rest);
  if (proto) {
    u.protocol = proto[1]!.toLowerCase();
    rest = rest.slice(proto[1]!.length);
  }
  if (rest.startsWith('//') && (slashesDenoteHost || proto === null || SLASHED.has(u.protocol ?? '') || !/^[a-z]+:$/.test(u.protocol ?? ''))) {
    if (!(u.protocol === 'javascript:')) {
      u.slashes = true;
      rest = rest.slice(2);
      const end = rest.search(/[/?#]/);
      let authority = end >= 0 ? rest.slice(0, end) : rest;
      rest = end >= 0 ? rest.slice(end) : '';
      const at = authority.lastIndexOf('@');
      if (at >= 0) {
        u.auth = decodeURIComponent(authority.slice(0, at));
        authority = authority.slice(at + 1);
      }
      const portMatch = /:(\d*)$/.exec(authority);
      if (portMatch) {
        if (portMatch[1] !== '') u.port = portMatch[1]!;
        authority = authority.slice(0, -portMatch[0].length);
      }
      let hostname = authority.toLowerCase();
      if (hostname.startsWith('[') && hostname.endsWith(']')) hostname = hostname.slice(1, -1);
      else if (/[^\x00-\x7f]/.test(hostname)) hostname = punycode.toASCII(hostname);
      u.hostname = hostname;
      u.host = (authority.startsWith('[') ? `[${hostname}]` : hostname) + (u.port !== null ? `:${u.port}` : '');
      if (rest === '' && SLASHED.has(u.protocol ?? '')) rest = '/';
    }
  }
  u.pathname = rest === '' ? (u.slashes && SLASHED.has(u.protocol ?? '') ? '/' : null) : rest;
  if (parseQueryString && typeof u.query === 'string') u.query = parseQuery(u.query);
  u.path = (u.pathname ?? '') + (u.search ?? '') || null;
  u.href = format(u);
  return u;
}

export function format(obj: string | URL | Partial<Url> | null | undefined, options?: { auth?: boolean; fragment?: boolean; search?: boolean; unicode?: boolean }): string {
  if (typeof obj === 'string') return format(parse(obj));
  if (obj instanceof URL) {
    const u = new URL(obj.href);
    if (options?.auth === false) {
      u.username = '';
      u.password = '';
    }
    if (options?.fragment === false) u.hash = '';
    if (options?.search === false) u.search = '';
    return u.href;
  }
  if (obj === null || typeof obj !== 'object') throw new TypeError('The "urlObject" argument must be one of type object or string');
  let protocol = obj.protocol ?? '';
  if (protocol !== '' && !protocol.endsWith(':')) protocol += ':';
  let auth = obj.auth ? encodeURIComponent(obj.auth).replace(/%3A/i, ':') + '@' : '';
  let host = '';
  if (obj.host) host = auth + obj.host;
  else if (obj.hostname) host = auth + (obj.hostname.includes(':') ? `[${obj.hostname}]` : obj.hostname) + (obj.port ? `:${obj.port}` : '');
  auth = '';
  let pathname = obj.pathname ?? '';
  let search = obj.search ?? '';
  if (search === '' && obj.query && typeof obj.query === 'object' && Object.keys(obj.query).length > 0) search = '?' + stringifyQuery(obj.query);
  if (search !== '' && !search.startsWith('?')) search = '?' + search;
  let hash = obj.hash ?? '';
  if (hash !== '' && !hash.startsWith('#')) hash = '#' + hash;
  if (obj.slashes || SLASHED.has(protocol) ? host !== '' || protocol === 'file:' : false) {
    host = '//' + host;
    if (pathname !== '' && !pathname.startsWith('/')) pathname = '/' + pathname;
  }
  pathname = pathname.replace(/[?#]/g, encodeURIComponent);
  search = search.replace('#', '%23');
  return protocol + host + pathname + search + hash;
}

export function resolve(from: string, to: string): string {
  try {
    return new URL(to, new URL(from, 'resolve://')).href.replace(/^resolve:\/\/\/?/, from.startsWith('/') ? '/' : '');
  } catch {
    return to;
  }
}

export default { URL, URLSearchParams, Url, parse, format, resolve, fileURLToPath, pathToFileURL, domainToASCII, domainToUnicode, urlToHttpOptions };
