/**
 * Where outbound requests made for user code (a function's `fetch`, a workflow's HTTP task)
 * may connect, enforced on real connections with the egress policy (egress-policy.ts):
 * - an address written in the URL is judged before anything is sent;
 * - a name is resolved through a guarded lookup that drops refused addresses;
 * - every socket is judged again on the address it connected to, and destroyed before
 *   the request is written if refused (for https, after the TLS handshake), so no path
 *   around the lookup reaches a refused address.
 * The host's own interface addresses count as refused (a service bound to 0.0.0.0 answers
 * on them). The platform's own event and task-callback endpoints stay reachable: functions
 * publish events and complete workflow callback tasks through them (the token in the
 * request authorises it).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import { rootCertificates, connect as tlsConnect } from 'node:tls';
import { networkInterfaces } from 'node:os';
import type { Agent, RequestInit, Response } from 'undici';
import { NimbusError } from '../core/errors.ts';
import { bare, UNSPECIFIED, type EgressPolicy } from './egress-policy.ts';
import type { ConnectTarget, OutboundConnect, OutboundLookup, OutboundResolve, RemoteSocket } from './port.ts';
import { guardedResolve, type DnsResolver } from './egress-dns.ts';
import { remoteSocket } from './egress-ws.ts';

export interface EgressGuard {
  /**
   * undici's fetch, through the guard: a refused address rejects with
   * NIMBUS_ERR_EGRESS_DENIED (nothing sent); any other failure rejects as fetch does.
   */
  fetch(url: URL, init: Omit<RequestInit, 'dispatcher'>): Promise<Response>;
  /**
   * A TCP (or TLS) connection through the guard: a literal address is judged first, a name
   * through the guarded lookup, and the socket again on the address it connected to
   * (destroyed before any byte is written if refused), as for fetch.
   */
  connect: OutboundConnect;
  /** The addresses of a name user code may reach (a name that only has refused ones is NIMBUS_ERR_EGRESS_DENIED, without them). */
  lookup: OutboundLookup;
  /** dns.resolve* for user code: answers filtered, local names refused (egress-dns.ts). */
  resolve: OutboundResolve;
  /**
   * A WebSocket (ws: or wss:) through the guard, connected; messages past
   * `maxMessageBytes` either way close it with 1009. A refused address rejects with
   * NIMBUS_ERR_EGRESS_DENIED (nothing sent).
   */
  connectWebSocket(url: URL, protocols: readonly string[], maxMessageBytes: number): Promise<RemoteSocket>;
}

export interface EgressGuardOptions {
  readonly policy: EgressPolicy;
  /** Origins of the platform itself (known once it listens), for its callback endpoints. */
  readonly platformOrigins: () => readonly string[];
  /** Clock.monotonic, for how long the host's interface addresses are trusted to stay the same. */
  readonly monotonic: () => number;
  /** The resolver (default dns.lookup) and the host's addresses (default its interfaces'): seams for tests. */
  readonly resolve?: (hostname: string, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;
  readonly hostAddresses?: () => Iterable<string>;
  /** The DNS resolver dns.resolve* asks (default a node:dns Resolver on the host's servers): a seam for tests. */
  readonly dnsResolver?: DnsResolver;
}

const systemResolve: NonNullable<EgressGuardOptions['resolve']> = (hostname, callback) =>
  dnsLookup(hostname, { all: true }, (err, addresses) => callback(err, addresses ?? []));
const interfaceAddresses = () => Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));

/** Platform endpoints user code may call: the token in the request authorises it. */
const PLATFORM_CALLBACK_PATHS = ['/api/v1/events/', '/api/v1/tasks/'];
const LOCAL_ADDRESSES_TTL_MS = 5_000;
const CONNECT_TIMEOUT_MS = 10_000;

export class EgressDenied extends Error {
  constructor(
    readonly address: string,
    readonly why: string,
  ) {
    super(`${address} is ${why}`);
  }
}

function bracketed(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}

/** The error user code sees. A name's address is not shown: it would map internal DNS. */
function denied(url: URL, address: string, why: string): NimbusError {
  const literal = isIP(bare(url.hostname)) !== 0;
  const subject = literal ? `${bracketed(address)} is` : `${url.hostname} resolves to`;
  const allow = why === UNSPECIFIED
    ? 'it cannot be allowed on its own (it reaches every service of the host): use the address of the service and allow that'
    : `the platform's operator can allow it with --egress-allow ${literal ? address : url.hostname} (NIMBUS_EGRESS_ALLOW)`;
  return new NimbusError('NIMBUS_ERR_EGRESS_DENIED', `fetch ${url.origin}: ${subject} ${why}, which user code may not reach; ${allow}`);
}

export function createEgressGuard(options: EgressGuardOptions): EgressGuard {
  const { policy } = options;
  let local: ReadonlySet<string> = new Set();
  let localAt = -Infinity;
  const localAddresses = (): ReadonlySet<string> => {
    const now = options.monotonic();
    if (now - localAt >= LOCAL_ADDRESSES_TTL_MS) {
      local = new Set([...(options.hostAddresses ?? interfaceAddresses)()].map(bare));
      localAt = now;
    }
    return local;
  };
  const refusal = (address: string) => policy.refusal(address, localAddresses());

  const resolve = options.resolve ?? systemResolve;
  const resolve_ = resolve;
  const lookup: LookupFunction = (hostname, lookupOptions, callback) => {
    resolve(hostname, (err, list) => {
      if (err) return callback(err, '', 0);
      const family = lookupOptions.family === 'IPv4' ? 4 : lookupOptions.family === 'IPv6' ? 6 : lookupOptions.family;
      if (family === 4 || family === 6) list = list.filter((a) => a.family === family);
      if (list.length === 0) return callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
      const allowed = policy.hostAllowed(hostname) ? list : list.filter((a) => refusal(a.address) === null);
      if (allowed.length === 0) {
        const first = list[0];
        return callback(new EgressDenied(first.address, refusal(first.address) ?? 'refused'), '', 0);
      }
      if (lookupOptions.all) callback(null, allowed, 0);
      else callback(null, allowed[0].address, allowed[0].family);
    });
  };
  // undici is loaded with the first outbound fetch: a platform whose functions fetch nothing never loads it.
  let agents: Promise<{ fetch: typeof import('undici').fetch; guarded: Agent; unguarded: Agent }> | null = null;
  const loadAgents = () =>
    (agents ??= import('undici').then(({ Agent, buildConnector, fetch }) => {
      const connect = buildConnector({ lookup });
      const guarded = new Agent({
        connect(connectOptions, callback) {
          connect(connectOptions, (err, socket) => {
            if (err !== null) return callback(err, null);
            const address = socket.remoteAddress ?? '';
            const why = policy.hostAllowed(connectOptions.hostname) ? null : refusal(address);
            if (why === null) return callback(null, socket);
            socket.destroy();
            callback(new EgressDenied(address, why), null);
          });
        },
      });
      return { fetch, guarded, unguarded: new Agent() };
    }));
  const platformOrigins = () => options.platformOrigins().map((o) => new URL(o).origin);
  const isPlatformCallback = (url: URL) => platformOrigins().includes(url.origin) && PLATFORM_CALLBACK_PATHS.some((p) => url.pathname.startsWith(p));

  /** Whether the request goes through the guard; a literal address the policy refuses throws. */
  const isGuarded = (url: URL): boolean => {
    if (policy.open || isPlatformCallback(url)) return false;
    const literal = bare(url.hostname);
    if (isIP(literal) !== 0) {
      const why = refusal(literal);
      if (why !== null) throw denied(url, literal, why);
    }
    return true;
  };

  const socketDenied = (target: ConnectTarget, address: string, why: string): NimbusError => {
    const literal = isIP(bare(target.host)) !== 0;
    const subject = literal ? `${bracketed(address)} is` : `${target.host} resolves to`;
    const allow = why === UNSPECIFIED
      ? 'it cannot be allowed on its own: use the address of the service and allow that'
      : `the platform's operator can allow it with --egress-allow ${literal ? address : target.host} (NIMBUS_EGRESS_ALLOW)`;
    return new NimbusError('NIMBUS_ERR_EGRESS_DENIED', `connect ${target.host}:${target.port}: ${subject} ${why}, which user code may not reach; ${allow}`);
  };

  const connect: OutboundConnect = (target) =>
    new Promise((resolve, reject) => {
      const guard = !policy.open && !policy.hostAllowed(target.host);
      const literal = bare(target.host);
      if (guard && isIP(literal) !== 0) {
        const why = refusal(literal);
        if (why !== null) return reject(socketDenied(target, literal, why));
      }
      const socket: Socket = netConnect({ host: target.host, port: target.port, ...(guard ? { lookup } : {}) });
      const fail = (error: unknown) => {
        socket.destroy();
        reject(error instanceof EgressDenied ? socketDenied(target, error.address, error.why) : error);
      };
      socket.once('error', fail);
      socket.setTimeout(CONNECT_TIMEOUT_MS, () => fail(Object.assign(new Error(`connect ${target.host}:${target.port} timed out`), { code: 'ETIMEDOUT' })));
      socket.once('connect', () => {
        const address = socket.remoteAddress ?? '';
        const why = guard ? refusal(address) : null;
        if (why !== null) return fail(new EgressDenied(address, why));
        socket.setTimeout(0);
        if (!target.tls) {
          socket.off('error', fail);
          return resolve(socket);
        }
        const servername = target.servername ?? (isIP(literal) === 0 ? target.host : undefined);
        const secure = tlsConnect({ socket, ...(servername ? { servername } : {}), ...(target.ca ? { ca: [...rootCertificates, target.ca] } : {}) });
        secure.once('error', fail);
        secure.once('secureConnect', () => {
          socket.off('error', fail);
          secure.off('error', fail);
          resolve(secure);
        });
      });
    });

  const userLookup: OutboundLookup = (hostname, family) =>
    new Promise((resolve, reject) => {
      const guarded = !policy.open && !policy.hostAllowed(hostname);
      const literal = bare(hostname);
      if (isIP(literal) !== 0) {
        const why = guarded ? refusal(literal) : null;
        return why === null ? resolve([[literal, isIP(literal)]]) : reject(socketDenied({ host: hostname, port: 0, tls: false }, literal, why));
      }
      const done = (err: NodeJS.ErrnoException | null, list: LookupAddress[]) => {
        if (err instanceof EgressDenied) return reject(new NimbusError('NIMBUS_ERR_EGRESS_DENIED', `lookup ${hostname}: ${hostname} resolves only to addresses user code may not reach`));
        if (err) return reject(err);
        resolve(list.filter((a) => family === 0 || a.family === family).map((a) => [a.address, a.family]));
      };
      if (guarded) lookup(hostname, { all: true, ...(family === 0 ? {} : { family }) }, (err, list) => done(err, (list as unknown as LookupAddress[]) ?? []));
      else resolve_(hostname, done);
    });

  return {
    connect,
    lookup: userLookup,
    resolve: guardedResolve(policy, refusal, options.dnsResolver),
    async connectWebSocket(url, protocols, maxMessageBytes) {
      if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new NimbusError('NIMBUS_ERR_BAD_REQUEST', `a WebSocket URL is ws: or wss:, not ${url.protocol}`);
      const asHttp = new URL(url.href.replace(/^ws/, 'http'));
      const guard = isGuarded(asHttp);
      try {
        return await remoteSocket(url, protocols, maxMessageBytes, guard ? lookup : undefined, (address, hostname) =>
          !guard || policy.hostAllowed(hostname) ? null : refusal(address),
        );
      } catch (error) {
        if (error instanceof EgressDenied) throw denied(asHttp, error.address, error.why);
        throw error;
      }
    },
    async fetch(url, init) {
      const guard = isGuarded(url);
      const { fetch, guarded, unguarded } = await loadAgents();
      try {
        return await fetch(url, { ...init, dispatcher: guard ? guarded : unguarded });
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause;
        throw cause instanceof EgressDenied ? denied(url, cause.address, cause.why) : error;
      }
    },
  };
}
