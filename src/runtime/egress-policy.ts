/**
 * Which addresses a function's outbound fetch may connect to. By default only public ones:
 * loopback, private, link-local (cloud metadata lives at 169.254.169.254), shared (CGNAT),
 * unspecified, multicast and reserved ranges are refused, so a function cannot reach the
 * host's own services or its network (SSRF). The operator opens named hosts, addresses or
 * ranges with `--egress-allow`; `*` opens everything. IPv6 forms that carry an IPv4 address
 * (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, compatible `::a.b.c.d`) are judged by it.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface EgressPolicy {
  /** True when every connection is allowed (`--egress-allow '*'`). */
  readonly open: boolean;
  /** A host the operator allowed by name: connections to it skip the address check. */
  hostAllowed(hostname: string): boolean;
  /** Why this address may not be reached ("a loopback address"), or null when it may. */
  refusal(address: string): string | null;
}

const REFUSED: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'an unspecified address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a reserved address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
  ['::', 128, 'an unspecified address'],
  ['::1', 128, 'a loopback address'],
  ['fc00::', 7, 'a private address'],
  ['fe80::', 10, 'a link-local address'],
  ['ff00::', 8, 'a multicast address'],
];

const refusedRanges = REFUSED.map(([net, prefix, why]) => {
  const list = new BlockList();
  const family = isIPv4(net) ? 'ipv4' : 'ipv6';
  list.addSubnet(net, prefix, family);
  return { list, family, why } as const;
});

type Family = 'ipv4' | 'ipv6';

/** A bare address: without IPv6 brackets or a zone (`fe80::1%eth0`). */
function bare(address: string): string {
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = a.indexOf('%');
  return (zone >= 0 ? a.slice(0, zone) : a).toLowerCase();
}

/** The eight 16-bit groups of an IPv6 address (already known to be valid). */
function groups(v6: string): number[] {
  let text = v6;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split('.').map(Number);
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array<string>(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16));
}

/** The IPv4 address an IPv6 one stands for, if it is one of the forms that carry it. */
function embeddedIPv4(v6: string): string | null {
  const g = groups(v6);
  const zeros = (n: number) => g.slice(0, n).every((x) => x === 0);
  const mapped = zeros(5) && g[5] === 0xffff;
  const nat64 = g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  const compatible = zeros(6) && (g[6] !== 0 || g[7] > 1);
  if (!mapped && !nat64 && !compatible) return null;
  return `${g[6] >> 8}.${g[6] & 255}.${g[7] >> 8}.${g[7] & 255}`;
}

function defaultRefusal(address: string, family: Family): string | null {
  if (family === 'ipv6') {
    const v4 = embeddedIPv4(address);
    if (v4 !== null) return defaultRefusal(v4, 'ipv4');
  }
  for (const r of refusedRanges) if (r.family === family && r.list.check(address, family)) return r.why;
  return null;
}

interface AllowEntries {
  readonly all: boolean;
  readonly names: ReadonlySet<string>;
  /** `*.example.com` entries, kept as `.example.com`. */
  readonly suffixes: readonly string[];
  readonly ranges: BlockList;
}

/**
 * Parses the operator's allow list: comma-separated `*`, host names (`db.internal`,
 * `*.corp.example`), addresses (`127.0.0.1`, `::1`) and ranges (`10.0.0.0/8`, `fd00::/8`).
 * Throws an Error that names the entry it cannot read.
 */
export function parseEgressAllow(raw: string): AllowEntries {
  const names = new Set<string>();
  const suffixes: string[] = [];
  const ranges = new BlockList();
  let all = false;
  for (const entry of raw.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '')) {
    if (entry === '*') {
      all = true;
      continue;
    }
    const slash = entry.indexOf('/');
    const address = bare(slash >= 0 ? entry.slice(0, slash) : entry);
    const family: Family | null = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
    if (family !== null) {
      const max = family === 'ipv4' ? 32 : 128;
      const prefix = slash >= 0 ? Number(entry.slice(slash + 1)) : max;
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > max || (slash >= 0 && entry.slice(slash + 1) === '')) {
        throw new Error(`"${entry}" has no valid prefix length (0 to ${max})`);
      }
      ranges.addSubnet(address, prefix, family);
      continue;
    }
    if (slash >= 0) throw new Error(`"${entry}" is not an address range (e.g. 10.0.0.0/8)`);
    const wildcard = entry.startsWith('*.');
    const name = wildcard ? entry.slice(2) : entry;
    if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/.test(name)) {
      throw new Error(`"${entry}" is neither a host name, an address nor a range`);
    }
    if (wildcard) suffixes.push(`.${name}`);
    else names.add(name);
  }
  return { all, names, suffixes, ranges };
}

export function egressPolicy(allow: string): EgressPolicy {
  const entries = parseEgressAllow(allow);
  return {
    open: entries.all,
    hostAllowed(hostname) {
      if (entries.all) return true;
      const h = bare(hostname).replace(/\.$/, '');
      return entries.names.has(h) || entries.suffixes.some((s) => h.endsWith(s));
    },
    refusal(address) {
      if (entries.all) return null;
      const a = bare(address);
      const family: Family | null = isIPv4(a) ? 'ipv4' : isIPv6(a) ? 'ipv6' : null;
      if (family === null) return 'not an IP address';
      if (entries.ranges.check(a, family)) return null;
      if (family === 'ipv6') {
        const v4 = embeddedIPv4(a);
        if (v4 !== null && entries.ranges.check(v4, 'ipv4')) return null;
      }
      return defaultRefusal(a, family);
    },
  };
}
