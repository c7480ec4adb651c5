/**
 * Which addresses a function's outbound fetch may connect to. By default only public ones:
 * loopback, private, link-local (cloud metadata lives at 169.254.169.254), shared (CGNAT),
 * unspecified, multicast and reserved ranges are refused, so a function cannot reach the
 * host's own services or its network (SSRF). The operator opens named hosts, addresses or
 * ranges with `--egress-allow`; `*` opens everything. IPv6 forms that carry an IPv4 address
 * (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::/96`, compatible `::a.b.c.d`, 6to4 `2002::/16`)
 * are judged by it. The host's own interface addresses are refused too (the caller passes
 * them): a service bound to 0.0.0.0 answers on them.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export interface EgressPolicy {
  /** True when every connection is allowed (`--egress-allow '*'`). */
  readonly open: boolean;
  /** A host the operator allowed by name: connections to it skip the address check. */
  hostAllowed(hostname: string): boolean;
  /**
   * Why this address may not be reached ("a loopback address"), or null when it may.
   * `local`: the host's own interface addresses, refused unless allowed explicitly.
   */
  refusal(address: string, local?: ReadonlySet<string>): string | null;
}

/** The reason for 0.0.0.0/8 and `::`: this host, every service of it; never allowed on its own. */
export const UNSPECIFIED = 'an unspecified address (this host)';

const REFUSED: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, UNSPECIFIED],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved address'],
  ['192.0.2.0', 24, 'a documentation address'],
  ['192.88.99.0', 24, 'a reserved address'],
  ['198.51.100.0', 24, 'a documentation address'],
  ['203.0.113.0', 24, 'a documentation address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a reserved address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
  ['::', 128, UNSPECIFIED],
  ['::1', 128, 'a loopback address'],
  ['64:ff9b:1::', 48, 'a private address'],
  ['100::', 64, 'a reserved address'],
  ['2001:db8::', 32, 'a documentation address'],
  ['fc00::', 7, 'a private address'],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a site-local address'],
  ['ff00::', 8, 'a multicast address'],
];

type Family = 'ipv4' | 'ipv6';

const HOST = 'an address of this host';

function familyOf(address: string): Family | null {
  return isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
}

const refusedRanges = REFUSED.map(([net, prefix, why]) => {
  const list = new BlockList();
  const family = familyOf(net) as Family;
  list.addSubnet(net, prefix, family);
  return { list, family, why } as const;
});

/** A bare address: without IPv6 brackets or a zone (`fe80::1%eth0`), lower case. */
export function bare(address: string): string {
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
  const quad = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  if (g[0] === 0x2002) return quad(g[1], g[2]); // 6to4
  if (!mapped && !nat64 && !compatible) return null;
  return quad(g[6], g[7]);
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
  /** One list per family: an IPv4 address is never judged by an IPv6 range (`::/0` is not "all of IPv4"). */
  readonly ranges: { readonly ipv4: BlockList; readonly ipv6: BlockList };
}

const HOST_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/**
 * Parses the operator's allow list: comma-separated `*`, host names (`db.internal`,
 * `*.corp.example`), addresses (`127.0.0.1`, `::1`) and ranges (`10.0.0.0/8`, `fd00::/8`).
 * Throws an Error that names the entry it cannot read or will not take.
 */
export function parseEgressAllow(raw: string): AllowEntries {
  const names = new Set<string>();
  const suffixes: string[] = [];
  const ranges = { ipv4: new BlockList(), ipv6: new BlockList() };
  let all = false;
  for (const entry of raw.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '')) {
    if (entry === '*') {
      all = true;
      continue;
    }
    if (entry.includes('%')) throw new Error(`"${entry}": zone ids are not supported; write the address without %zone`);
    const slash = entry.indexOf('/');
    const unbracketed = bare(slash >= 0 ? entry.slice(0, slash) : entry);
    const family = familyOf(unbracketed);
    if (family !== null) {
      const max = family === 'ipv4' ? 32 : 128;
      const text = slash >= 0 ? entry.slice(slash + 1) : String(max);
      const prefix = Number(text);
      if (!/^\d{1,3}$/.test(text) || prefix > max) throw new Error(`"${entry}" has no valid prefix length (0 to ${max})`);
      const narrow = family === 'ipv4' ? prefix >= 8 : prefix === 128;
      if (narrow && defaultRefusal(unbracketed, family) === UNSPECIFIED) {
        throw new Error(`"${entry}" is the unspecified address, which reaches every service of this host: allow 127.0.0.1 (or the service's own address) instead`);
      }
      ranges[family].addSubnet(unbracketed, prefix, family);
      continue;
    }
    if (slash >= 0) throw new Error(`"${entry}" is not an address range (e.g. 10.0.0.0/8)`);
    const wildcard = entry.startsWith('*.');
    const labels = (wildcard ? entry.slice(2) : entry).split('.');
    if (!labels.every((l) => HOST_LABEL.test(l))) throw new Error(`"${entry}" is neither a host name, an address nor a range`);
    // A URL host whose last label is a number is an IPv4 address (127.1, 2130706433), never a name.
    if (/^\d+$/.test(labels[labels.length - 1])) throw new Error(`"${entry}" is not a host name (its last label is a number); write an address like 127.0.0.1 or a range`);
    if (wildcard) suffixes.push(`.${labels.join('.')}`);
    else names.add(labels.join('.'));
  }
  return { all, names, suffixes, ranges };
}

export function egressPolicy(allow: string): EgressPolicy {
  const entries = parseEgressAllow(allow);
  /** Allowed first, then the default ranges, then the host's own; an IPv6 form carrying an IPv4 address is judged by it. */
  const judge = (a: string, family: Family, local: ReadonlySet<string> | undefined): string | null => {
    const v4 = family === 'ipv6' ? embeddedIPv4(a) : null;
    if (v4 !== null ? entries.ranges.ipv4.check(v4, 'ipv4') : entries.ranges[family].check(a, family)) return null;
    return defaultRefusal(a, family) ?? (local?.has(a) || (v4 !== null && local?.has(v4)) ? HOST : null);
  };
  return {
    open: entries.all,
    hostAllowed(hostname) {
      if (entries.all) return true;
      const h = bare(hostname).replace(/\.$/, '');
      if (isIPv4(h) || isIPv6(h)) return false;
      return entries.names.has(h) || entries.suffixes.some((s) => h.endsWith(s));
    },
    refusal(address, local) {
      if (entries.all) return null;
      const a = bare(address);
      const family = familyOf(a);
      return family === null ? 'not an IP address' : judge(a, family, local);
    },
  };
}
