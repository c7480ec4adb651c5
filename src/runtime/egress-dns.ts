/**
 * `dns.resolve*` for user code (the Node layer's dns), under the egress rules:
 * - A and AAAA answers keep only the addresses user code may reach (a name whose every
 *   address is refused is an EACCES error that names none of them), as the guarded lookup;
 * - names the host alone can resolve are refused: one label (the host's search domains
 *   would complete it), `localhost`, the local and private-use suffixes (`.local`,
 *   `.internal`, `.lan`, `.home.arpa`, …) and the reverse zones, unless the operator allowed
 *   the name with --egress-allow (or `*`);
 * - every name is asked as absolute (a trailing dot), so no search domain is tried;
 * - MX, TXT, SRV, CNAME and NS answers are names and text: given as they are (connecting
 *   to a name they give is judged again by the guard).
 * Allowed names (and `*`) are answered in full.
 */
import { Resolver } from 'node:dns/promises';
import type { EgressPolicy } from './egress-policy.ts';
import type { DnsRecordType, OutboundResolve } from './port.ts';

export const DNS_RECORD_TYPES: readonly DnsRecordType[] = ['A', 'AAAA', 'MX', 'TXT', 'SRV', 'CNAME', 'NS'];

/** Suffixes of names only a local resolver answers (RFC 6761, 6762, 8375, ICANN's `.internal`, and common private ones). */
const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.intranet', '.lan', '.home', '.corp', '.private', '.home.arpa', '.in-addr.arpa', '.ip6.arpa'];
const LABEL = /^(?!-)[a-z0-9_-]{1,63}$/;

/** What the resolver is asked (node:dns/promises Resolver's methods): a seam for tests. */
export type DnsResolver = Pick<Resolver, 'resolve4' | 'resolve6' | 'resolveMx' | 'resolveTxt' | 'resolveSrv' | 'resolveCname' | 'resolveNs'>;

/** An error user code sees: Node's shape (`code`, `hostname`), the message saying why. */
export class DnsRefused extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The name as asked (lower case, no trailing dot), or an EBADNAME error. */
export function dnsName(hostname: string): string {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name.length === 0 || name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) throw new DnsRefused('EBADNAME', `"${hostname.slice(0, 64)}" is not a DNS name`);
  return name;
}

/** True for a name only the host's own resolver could answer. */
export function isLocalName(name: string): boolean {
  return !name.includes('.') || LOCAL_SUFFIXES.some((s) => `.${name}`.endsWith(s));
}

export function guardedResolve(policy: EgressPolicy, refusal: (address: string) => string | null, resolver: DnsResolver = new Resolver({ timeout: 5_000, tries: 2 })): OutboundResolve {
  return async (hostname, rrtype) => {
    const name = dnsName(hostname);
    const allowed = policy.open || policy.hostAllowed(name);
    if (!allowed && isLocalName(name)) {
      throw new DnsRefused('EACCES', `${name} is a local name, which user code may not look up; the platform's operator can allow it with --egress-allow ${name} (NIMBUS_EGRESS_ALLOW)`);
    }
    const absolute = `${name}.`;
    const addresses = (list: Array<{ address: string; ttl: number }>) => {
      const kept = allowed ? list : list.filter((a) => refusal(a.address) === null);
      if (list.length > 0 && kept.length === 0) {
        throw new DnsRefused('EACCES', `${name} resolves only to addresses user code may not reach; the platform's operator can allow it with --egress-allow ${name} (NIMBUS_EGRESS_ALLOW)`);
      }
      return kept.map((a) => [a.address, a.ttl]);
    };
    switch (rrtype) {
      case 'A':
        return addresses(await resolver.resolve4(absolute, { ttl: true }));
      case 'AAAA':
        return addresses(await resolver.resolve6(absolute, { ttl: true }));
      case 'MX':
        return (await resolver.resolveMx(absolute)).map((r) => ({ exchange: String(r.exchange), priority: Number(r.priority) }));
      case 'TXT':
        return (await resolver.resolveTxt(absolute)).map((chunks) => chunks.map(String));
      case 'SRV':
        return (await resolver.resolveSrv(absolute)).map((r) => ({ name: String(r.name), port: Number(r.port), priority: Number(r.priority), weight: Number(r.weight) }));
      case 'CNAME':
        return (await resolver.resolveCname(absolute)).map(String);
      case 'NS':
        return (await resolver.resolveNs(absolute)).map(String);
      default:
        throw new DnsRefused('EINVAL', `record type ${String(rrtype)} is not one functions may ask for (${DNS_RECORD_TYPES.join(', ')})`);
    }
  };
}
