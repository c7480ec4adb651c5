/** `dns`: `lookup` (and `dns/promises`'s), answered by the host under the egress rules: only addresses functions may reach are given. */
import { OP_DNS_LOOKUP } from './host-ops.ts';
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

function notHere(name: string) {
  return () => {
    throw new Error(`dns.${name} is not available in functions: use dns.lookup`);
  };
}

export const promises = {
  async lookup(hostname: string, options?: LookupOptions | number) {
    const list = await ask(hostname, familyOf(options));
    if (typeof options === 'object' && options?.all) return list.map(([address, family]) => ({ address, family }));
    if (list.length === 0) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return { address: list[0]![0], family: list[0]![1] };
  },
};

export const resolve = notHere('resolve');
export const resolve4 = notHere('resolve4');
export const resolve6 = notHere('resolve6');
export const resolveMx = notHere('resolveMx');
export const resolveTxt = notHere('resolveTxt');
export const resolveSrv = notHere('resolveSrv');
export const reverse = notHere('reverse');
export const setServers = notHere('setServers');
export const getServers = (): string[] => [];
export const ADDRCONFIG = 1024;
export const V4MAPPED = 2048;
export const ALL = 256;

export default { lookup, promises, resolve, resolve4, resolve6, resolveMx, resolveTxt, resolveSrv, reverse, setServers, getServers, ADDRCONFIG, V4MAPPED, ALL };
