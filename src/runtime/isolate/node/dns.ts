/**
 * `dns`: `lookup` and `resolve*` (callback, `dns.promises`, `Resolver`), answered by the host
 * under the egress rules (src/runtime/egress-dns.ts): only addresses functions may reach
 * are given, and names only the host could resolve are refused.
 */
import { OP_DNS_LOOKUP, OP_DNS_RESOLVE } from './host-ops.ts';
import { host } from './host.ts';
import { listen, forget } from './sockets.ts';

interface LookupOptions {
  family?: number | string;
  all?: boolean;
}

function familyOf(o: LookupOptions | number | undefined): 0 | 4 | 6 {
  const f = typeof o === 'number' ? o : o?.family;
  return f === 4 || f === 'IPv4' ? 4 : f === 6 || f === 'IPv6' ? 6 : 0;
}

function ask(hostname: string, family: 0 | 4 | 6): Promise<Array<[string, number]>> {
  return new Promise((resolve, reject) => {
    const id = host(OP_DNS_LOOKUP, hostname, family) as number;
    listen(id, (event, data) => {
      forget(id);
      if (event === 'lookup') resolve(data as Array<[string, number]>);
      else reject(Object.assign(new Error(String(data)), { code: 'ENOTFOUND', hostname }));
    });
  });
}

export function lookup(hostname: string, options: LookupOptions | number | ((...a: unknown[]) => void), cb?: (...a: unknown[]) => void): void {
  const callback = (typeof options === 'function' ? options : cb) as (...a: unknown[]) => void;
  const opts = typeof options === 'function' ? undefined : options;
  ask(hostname, familyOf(opts)).then(
    (list) => {
      if (typeof opts === 'object' && opts?.all) callback(null, list.map(([address, family]) => ({ address, family })));
      else if (list.length === 0) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
      else callback(null, list[0]![0], list[0]![1]);
    },
    (error: unknown) => callback(error),
  );
}

const lookupPromises = {
  async lookup(hostname: string, options?: LookupOptions | number) {
    const list = await ask(hostname, familyOf(options));
    if (typeof options === 'object' && options?.all) return list.map(([address, family]) => ({ address, family }));
    if (list.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return { address: list[0]![0], family: list[0]![1] };
  },
};

type RecordType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'SRV' | 'CNAME' | 'NS';
const SYSCALL: Record<RecordType, string> = { A: 'queryA', AAAA: 'queryAaaa', MX: 'queryMx', TXT: 'queryTxt', SRV: 'querySrv', CNAME: 'queryCname', NS: 'queryNs' };

function dnsError(code: string, syscall: string, hostname: string, why?: string): Error {
  return Object.assign(new Error(why !== undefined && code === 'EACCES' ? `${syscall} EACCES ${hostname}: ${why}` : `${syscall} ${code} ${hostname}`), { code, errno: undefined, syscall, hostname });
}

/** One query through the host: A/AAAA come as [address, ttl]. */
function query(hostname: unknown, type: RecordType): Promise<unknown[]> {
  if (typeof hostname !== 'string') return Promise.reject(Object.assign(new TypeError('The "name" argument must be of type string'), { code: 'ERR_INVALID_ARG_TYPE' }));
  return new Promise((resolve, reject) => {
    let id: number;
    try {
      id = host(OP_DNS_RESOLVE, hostname, type) as number;
    } catch (error) {
      return reject(dnsError('ESERVFAIL', SYSCALL[type], hostname, (error as Error).message));
    }
    listen(id, (event, data) => {
      forget(id);
      if (event === 'answer') resolve(data as unknown[]);
      else {
        const [code, why] = Array.isArray(data) ? (data as [string, string]) : ['ESERVFAIL', String(data)];
        reject(dnsError(code, SYSCALL[type], hostname, why));
      }
    });
  });
}

interface TtlOption {
  ttl?: boolean;
}

function addresses(type: 'A' | 'AAAA', hostname: unknown, options?: TtlOption): Promise<Array<string | { address: string; ttl: number }>> {
  return query(hostname, type).then((list) =>
    (list as Array<[string, number]>).map(([address, ttl]) => (options?.ttl ? { address, ttl } : address)),
  );
}

const TYPES: ReadonlySet<string> = new Set(['A', 'AAAA', 'MX', 'TXT', 'SRV', 'CNAME', 'NS']);

function resolveAny(hostname: unknown, rrtype: unknown = 'A'): Promise<unknown[]> {
  if (typeof rrtype !== 'string' || !TYPES.has(rrtype)) {
    return Promise.reject(Object.assign(new TypeError(`The argument 'rrtype' is invalid or not available in functions (A, AAAA, MX, TXT, SRV, CNAME, NS). Received ${String(rrtype)}`), { code: 'ERR_INVALID_ARG_VALUE' }));
  }
  return rrtype === 'A' || rrtype === 'AAAA' ? addresses(rrtype, hostname) : query(hostname, rrtype as RecordType);
}

/** The promise forms (`dns.promises`, `dns/promises`, and `Resolver` of each). */
const asked = {
  resolve: resolveAny,
  resolve4: (hostname: unknown, options?: TtlOption) => addresses('A', hostname, options),
  resolve6: (hostname: unknown, options?: TtlOption) => addresses('AAAA', hostname, options),
  resolveMx: (hostname: unknown) => query(hostname, 'MX'),
  resolveTxt: (hostname: unknown) => query(hostname, 'TXT'),
  resolveSrv: (hostname: unknown) => query(hostname, 'SRV'),
  resolveCname: (hostname: unknown) => query(hostname, 'CNAME'),
  resolveNs: (hostname: unknown) => query(hostname, 'NS'),
};

type Callback = (error: unknown, result?: unknown) => void;

/** The callback form of a promise form: the callback is the last argument. */
function callbackForm<A extends unknown[]>(fn: (...args: A) => Promise<unknown>) {
  return (...args: unknown[]): void => {
    const callback = args.pop();
    if (typeof callback !== 'function') throw Object.assign(new TypeError('The "callback" argument must be of type function'), { code: 'ERR_INVALID_ARG_TYPE' });
    fn(...(args as A)).then(
      (result) => (callback as Callback)(null, result),
      (error: unknown) => (callback as Callback)(error),
    );
  };
}

function notHere(name: string) {
  return () => {
    throw new Error(`dns.${name} is not available in functions: the platform's resolver answers, under its egress rules`);
  };
}

export const resolve = callbackForm(resolveAny);
export const resolve4 = callbackForm(asked.resolve4);
export const resolve6 = callbackForm(asked.resolve6);
export const resolveMx = callbackForm(asked.resolveMx);
export const resolveTxt = callbackForm(asked.resolveTxt);
export const resolveSrv = callbackForm(asked.resolveSrv);
export const resolveCname = callbackForm(asked.resolveCname);
export const resolveNs = callbackForm(asked.resolveNs);
export const reverse = notHere('reverse');
export const setServers = notHere('setServers');
export const getServers = (): string[] => [];

/** `new dns.Resolver()`: the same queries (its own servers cannot be set). */
export class Resolver {
  resolve = resolve;
  resolve4 = resolve4;
  resolve6 = resolve6;
  resolveMx = resolveMx;
  resolveTxt = resolveTxt;
  resolveSrv = resolveSrv;
  resolveCname = resolveCname;
  resolveNs = resolveNs;
  reverse = reverse;
  setServers = setServers;
  getServers = getServers;
  cancel(): void {}
  setLocalAddress(): void {}
}

class PromiseResolver {
  resolve = asked.resolve;
  resolve4 = asked.resolve4;
  resolve6 = asked.resolve6;
  resolveMx = asked.resolveMx;
  resolveTxt = asked.resolveTxt;
  resolveSrv = asked.resolveSrv;
  resolveCname = asked.resolveCname;
  resolveNs = asked.resolveNs;
  reverse = notHere('promises.reverse');
  setServers = setServers;
  getServers = getServers;
  cancel(): void {}
  setLocalAddress(): void {}
}

export const promises = { ...lookupPromises, ...asked, reverse: notHere('promises.reverse'), setServers, getServers, Resolver: PromiseResolver };

export const ADDRCONFIG = 1024;
export const V4MAPPED = 2048;
export const ALL = 256;
export const NODATA = 'ENODATA';
export const FORMERR = 'EFORMERR';
export const SERVFAIL = 'ESERVFAIL';
export const NOTFOUND = 'ENOTFOUND';
export const NOTIMP = 'ENOTIMP';
export const REFUSED = 'EREFUSED';
export const BADNAME = 'EBADNAME';
export const TIMEOUT = 'ETIMEOUT';
export const CONNREFUSED = 'ECONNREFUSED';
export const CANCELLED = 'ECANCELLED';

export default {
  lookup, promises, resolve, resolve4, resolve6, resolveMx, resolveTxt, resolveSrv, resolveCname, resolveNs, reverse, setServers, getServers, Resolver,
  ADDRCONFIG, V4MAPPED, ALL, NODATA, FORMERR, SERVFAIL, NOTFOUND, NOTIMP, REFUSED, BADNAME, TIMEOUT, CONNREFUSED, CANCELLED,
};
