/**
 * The host side of a function's outbound `fetch`: the runtime hands over a buffered
 * request, the host performs it with undici and hands back a buffered response, bounded
 * in size and time. Where it may connect is the egress policy's call (egress-policy.ts),
 * checked on the address actually connected to (after DNS), so a name that resolves to a
 * private address is refused too. The platform's own event and task-callback endpoints
 * (what NIMBUS_EVENTS_URL points at) stay reachable: functions publish events and
 * report workflow task results through them.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
import { Agent, fetch, type Response } from 'undici';
import type { Clock } from '../core/clock.ts';
import { NimbusError } from '../core/errors.ts';
import type { EgressPolicy } from './egress-policy.ts';
import type { HttpRequestData, HttpResponseData, OutboundFetch } from './port.ts';

export interface EgressOptions {
  readonly clock: Clock;
  readonly payloadLimitBytes: number;
  readonly policy: EgressPolicy;
  /** Origins of the platform itself (known once it listens), for its callback endpoints. */
  readonly platformOrigins: () => readonly string[];
  /** Upper bound of one outbound request; the function's own timeout usually ends it first. */
  readonly timeoutMs?: number;
}

/** Platform endpoints a function may call: the token in the request authorises it. */
const PLATFORM_CALLBACK_PATHS = ['/api/v1/events/', '/api/v1/tasks/'];

class EgressDenied extends Error {
  constructor(
    readonly address: string,
    readonly why: string,
  ) {
    super(`${address} is ${why}`);
  }
}

function denied(url: URL, address: string, why: string): NimbusError {
  const shown = address.includes(':') ? `[${address}]` : address;
  return new NimbusError(
    'NIMBUS_ERR_EGRESS_DENIED',
    `fetch ${url.origin}: ${shown} is ${why}, which functions may not reach; the platform's operator can allow it with --egress-allow ${address} (NIMBUS_EGRESS_ALLOW)`,
  );
}

/** dns.lookup with the policy applied: refused addresses are dropped; none left is an error. */
function guardedLookup(policy: EgressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as LookupAddress[];
      const allowed = policy.hostAllowed(hostname) ? list : list.filter((a) => policy.refusal(a.address) === null);
      if (allowed.length === 0) {
        const first = list[0];
        return callback(new EgressDenied(first.address, policy.refusal(first.address) ?? 'refused'), '', 0);
      }
      if (options.all) callback(null, allowed, 0);
      else callback(null, allowed[0].address, allowed[0].family);
    });
  };
}

const FORBIDDEN_REQUEST_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade']);

export function createOutboundFetch(options: EgressOptions): OutboundFetch {
  const timeoutMs = options.timeoutMs ?? 900_000;
  const { policy } = options;
  const guarded = new Agent({ connect: { lookup: guardedLookup(policy) } });
  const unguarded = new Agent();
  const isPlatformCallback = (url: URL) =>
    options.platformOrigins().includes(url.origin) && PLATFORM_CALLBACK_PATHS.some((p) => url.pathname.startsWith(p));
  return async (request: HttpRequestData): Promise<HttpResponseData> => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      throw new NimbusError('NIMBUS_ERR_UPSTREAM', `fetch: invalid URL ${request.url}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new NimbusError('NIMBUS_ERR_UPSTREAM', `fetch: only http and https URLs are supported, not ${url.protocol}`);
    }
    // An address in the URL is connected to without a lookup: judge it here.
    const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const trusted = policy.open || isPlatformCallback(url) || policy.hostAllowed(url.hostname);
    if (!trusted && isIP(literal) !== 0) {
      const why = policy.refusal(literal);
      if (why !== null) throw denied(url, literal, why);
    }
    const headers: Array<[string, string]> = [];
    for (const [k, v] of request.headers) if (!FORBIDDEN_REQUEST_HEADERS.has(k.toLowerCase())) headers.push([k, v]);
    let res: Response;
    try {
      res = await fetch(url, {
        method: request.method,
        headers,
        body: request.body && request.method !== 'GET' && request.method !== 'HEAD' ? request.body : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
        dispatcher: trusted ? unguarded : guarded,
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      if (cause instanceof EgressDenied) {
        throw denied(url, cause.address, cause.why);
      }
      throw new NimbusError('NIMBUS_ERR_UPSTREAM', `fetch ${url.origin} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    if (res.body) {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        size += chunk.byteLength;
        if (size > options.payloadLimitBytes) {
          throw new NimbusError('NIMBUS_ERR_UPSTREAM', `fetch ${url.origin}: the response exceeds ${options.payloadLimitBytes} bytes`);
        }
        chunks.push(chunk);
      }
    }
    const body = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.byteLength;
    }
    const outHeaders: Array<[string, string]> = [];
    res.headers.forEach((v, k) => outHeaders.push([k, v]));
    return { status: res.status, statusText: res.statusText, headers: outHeaders, body };
  };
}
