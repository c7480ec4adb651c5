/**
 * The host side of the Node layer's `net`/`tls`/`dns`: one instance's outbound sockets,
 * opened through the platform's egress guard (spec.connect) and known to the isolate only
 * by number. Bytes cross as copies; what happens on a socket (connected, data, end, error,
 * close) is delivered into the isolate through one function it registered. Every socket is
 * destroyed when its instance goes; an instance may have MAX_SOCKETS open at once.
 *
 * Use is counted for the invocation whose code runs when a socket is opened or written to
 * (`usage()`, the running invocation's counter): it gets the socket's opening, the bytes it
 * writes, and the bytes received until another invocation writes to the socket (a pooled
 * database connection's answer counts for the query's invocation).
 *
 * Each event is delivered with its owner (the number of an invocation, 0 for none): the
 * invocation whose code opened the socket or asked for the lookup, or that last wrote to the
 * socket. The isolate runs the event as that invocation while it is not finished, else as
 * the instance's own code (shim/node-sockets.ts).
 */
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, rootCertificates } from 'node:tls';
import type { DnsRecordType, OutboundConnect, OutboundLookup, OutboundResolve, SocketUsage } from '../port.ts';

export { OP_DNS_LOOKUP, OP_DNS_RESOLVE, OP_SOCKET_DESTROY, OP_SOCKET_END, OP_SOCKET_OPEN, OP_SOCKET_UPGRADE, OP_SOCKET_WRITE } from './node/host-ops.ts';
import { OP_DNS_LOOKUP, OP_DNS_RESOLVE, OP_SOCKET_DESTROY, OP_SOCKET_END, OP_SOCKET_OPEN, OP_SOCKET_UPGRADE, OP_SOCKET_WRITE } from './node/host-ops.ts';

export const MAX_SOCKETS = 32;
export const MAX_WRITE_BYTES = 8 * 1024 * 1024;
/** DNS queries (dns.resolve*) of one instance waiting for their answer at once. */
export const MAX_DNS_QUERIES = 16;
const RECORD_TYPES: ReadonlySet<string> = new Set<DnsRecordType>(['A', 'AAAA', 'MX', 'TXT', 'SRV', 'CNAME', 'NS']);
const MAX_CA_BYTES = 64 * 1024;

/** What the isolate is told: (socket or request number, event, data, owner: an invocation's number or 0). */
export type Deliver = (id: number, event: string, data: unknown, owner: number) => void;

function fail(message: string): never {
  throw new Error(message);
}

function int(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(`${what} must be an integer from ${min} to ${max}`);
  return v;
}

function host(v: unknown): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > 253) fail('host must be a name or an address');
  return v;
}

function ca(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'string' || v.length > MAX_CA_BYTES || !v.includes('-----BEGIN CERTIFICATE-----')) fail('ca must be PEM certificates');
  return v;
}

function rrtype(v: unknown): DnsRecordType {
  if (typeof v !== 'string' || !RECORD_TYPES.has(v)) fail(`the record type must be one of ${[...RECORD_TYPES].join(', ')}`);
  return v as DnsRecordType;
}

/** A resolver error as [code, message]: Node's code when it is one (ENOTFOUND, ENODATA, EACCES…), else ESERVFAIL. */
function dnsError(error: unknown): [string, string] {
  const code = (error as { code?: unknown } | null)?.code;
  return [typeof code === 'string' && /^E[A-Z]{2,20}$/.test(code) ? code : 'ESERVFAIL', message(error)];
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class NodeSockets {
  readonly #connect: OutboundConnect | undefined;
  readonly #resolve: OutboundLookup | undefined;
  readonly #deliver: Deliver;
  readonly #open = new Map<number, Duplex | null>();
  /** Per open socket: the invocation its received bytes count for. */
  readonly #owner = new Map<number, SocketUsage | null>();
  readonly #usage: () => SocketUsage | null;
  /** Per open socket or pending lookup: the invocation its events run as (0: none). */
  readonly #runsAs = new Map<number, number>();
  readonly #running: () => number;
  readonly #dns: OutboundResolve | undefined;
  #dnsPending = 0;
  #next = 1;
  #closed = false;
  /** Sockets opened over the instance's life (a count for its owner to read). */
  opened = 0;

  /** `running`: the number of the invocation whose code runs now (0: none). */
  constructor(
    connect: OutboundConnect | undefined,
    resolve: OutboundLookup | undefined,
    deliver: Deliver,
    usage: () => SocketUsage | null = () => null,
    dns?: OutboundResolve,
    running: () => number = () => 0,
  ) {
    this.#usage = usage;
    this.#running = running;
    this.#dns = dns;
    this.#connect = connect;
    this.#resolve = resolve;
    this.#deliver = deliver;
  }

  /** A socket call from the isolate; returns synchronously, results come through deliver. */
  call(op: number, a: unknown, b: unknown, c: unknown, d: unknown, e?: unknown): unknown {
    if (this.#closed) fail('the instance has ended');
    switch (op) {
      case OP_SOCKET_OPEN:
        return this.#openSocket(host(a), int(b, 'port', 1, 65535), c === true, d === null || d === undefined ? undefined : host(d), ca(e));
      case OP_SOCKET_WRITE: {
        const socket = this.#socket(a);
        if (!(b instanceof ArrayBuffer)) fail('data must be bytes');
        if (b.byteLength > MAX_WRITE_BYTES) fail(`a write is limited to ${MAX_WRITE_BYTES} bytes`);
        const writer = this.#running();
        if (writer !== 0) this.#runsAs.set(a as number, writer);
        const usage = this.#usage() ?? this.#owner.get(a as number) ?? null;
        if (usage !== null) {
          usage.bytesOut += b.byteLength;
          this.#owner.set(a as number, usage);
        }
        return socket.write(Buffer.from(b));
      }
      case OP_SOCKET_END: {
        // Ending a socket the peer has closed already (its close not yet delivered) does nothing, as in Node.
        this.#open.get(int(a, 'socket', 1, 2 ** 31))?.end();
        return undefined;
      }
      case OP_SOCKET_DESTROY: {
        const id = int(a, 'socket', 1, 2 ** 31);
        this.#open.get(id)?.destroy();
        this.#open.delete(id);
        this.#owner.delete(id);
        this.#runsAs.delete(id);
        return undefined;
      }
      case OP_SOCKET_UPGRADE:
        return this.#upgrade(int(a, 'socket', 1, 2 ** 31), host(b), ca(c));
      case OP_DNS_LOOKUP:
        return this.#lookup(host(a), b === 4 || b === 6 ? b : 0);
      case OP_DNS_RESOLVE:
        return this.#query(host(a), rrtype(b));
      default:
        return fail('unknown socket operation');
    }
  }

  #socket(id: unknown): Duplex {
    const socket = this.#open.get(int(id, 'socket', 1, 2 ** 31));
    if (!socket) fail('the socket is not open');
    return socket;
  }

  #openSocket(hostname: string, port: number, tls: boolean, servername: string | undefined, extraCa: string | undefined): number {
    if (this.#connect === undefined) fail('outbound sockets are not available on this platform');
    if (this.#open.size >= MAX_SOCKETS) fail(`an instance may have ${MAX_SOCKETS} sockets open at once`);
    const id = this.#next++;
    this.#open.set(id, null);
    this.opened++;
    const usage = this.#usage();
    if (usage !== null) usage.opened++;
    this.#owner.set(id, usage);
    this.#runsAs.set(id, this.#running());
    this.#connect({ host: hostname, port, tls, ...(servername ? { servername } : {}), ...(extraCa ? { ca: extraCa } : {}) }).then(
      (socket) => {
        if (this.#closed || !this.#open.has(id)) {
          socket.destroy();
          return;
        }
        this.#adopt(id, socket);
        this.#send(id, 'connect', [socket.remoteAddress ?? '', socket.remotePort ?? port]);
      },
      (error: unknown) => {
        if (this.#closed) return;
        const owner = this.#runsAs.get(id) ?? 0;
        this.#open.delete(id);
        this.#owner.delete(id);
        this.#runsAs.delete(id);
        this.#deliver(id, 'error', message(error), owner);
        this.#deliver(id, 'close', null, owner);
      },
    );
    return id;
  }

  /** Makes `socket` the one behind `id`, its events delivered to the isolate. */
  #adopt(id: number, socket: Duplex): void {
    this.#open.set(id, socket);
    socket.on('data', (chunk: Buffer) => {
      const usage = this.#owner.get(id);
      if (usage) usage.bytesIn += chunk.byteLength;
      const copy = new Uint8Array(chunk.byteLength);
      copy.set(chunk);
      this.#send(id, 'data', copy.buffer);
    });
    socket.on('end', () => this.#send(id, 'end', null));
    socket.on('error', (error: Error) => this.#send(id, 'error', message(error)));
    socket.on('close', () => {
      if (this.#open.get(id) !== socket) return;
      const owner = this.#runsAs.get(id) ?? 0;
      this.#open.delete(id);
      this.#owner.delete(id);
      this.#runsAs.delete(id);
      this.#deliver(id, 'close', null, owner);
    });
  }

  /** An event of socket or lookup `id`, for its owner. */
  #send(id: number, event: string, data: unknown): void {
    this.#deliver(id, event, data, this.#runsAs.get(id) ?? 0);
  }

  /**
   * TLS over an open socket (STARTTLS, a database's SSL request): the address was judged
   * when it connected; the certificate is checked against `servername`.
   */
  #upgrade(id: number, servername: string, extraCa: string | undefined): undefined {
    const plain = this.#socket(id);
    plain.removeAllListeners('data');
    plain.removeAllListeners('end');
    plain.removeAllListeners('error');
    plain.on('error', () => undefined);
    const secure = tlsConnect({ socket: plain as import('node:net').Socket, servername, ...(extraCa ? { ca: [...rootCertificates, extraCa] } : {}) });
    this.#adopt(id, secure);
    secure.once('secureConnect', () => this.#send(id, 'secure', null));
    return undefined;
  }

  /** dns.lookup for the isolate, through the egress rules (spec.lookup), answered through deliver. */
  #lookup(hostname: string, family: 0 | 4 | 6): number {
    if (this.#resolve === undefined) fail('name lookups are not available on this platform');
    const id = this.#next++;
    const owner = this.#running();
    this.#resolve(hostname, family).then(
      (list) => {
        if (!this.#closed) this.#deliver(id, 'lookup', list, owner);
      },
      (error: unknown) => {
        if (!this.#closed) this.#deliver(id, 'error', message(error), owner);
      },
    );
    return id;
  }

  /** dns.resolve* for the isolate (spec.resolve), answered through deliver: 'answer' with the records, or 'dnserror' with [code, message]. */
  #query(hostname: string, type: DnsRecordType): number {
    if (this.#dns === undefined) fail('DNS queries are not available on this platform');
    if (this.#dnsPending >= MAX_DNS_QUERIES) fail(`an instance may wait for ${MAX_DNS_QUERIES} DNS answers at once`);
    const id = this.#next++;
    const owner = this.#running();
    this.#dnsPending++;
    this.#dns(hostname, type).then(
      (records) => {
        this.#dnsPending--;
        if (!this.#closed) this.#deliver(id, 'answer', records, owner);
      },
      (error: unknown) => {
        this.#dnsPending--;
        if (!this.#closed) this.#deliver(id, 'dnserror', dnsError(error), owner);
      },
    );
    return id;
  }

  /** The instance has gone: every socket goes with it. */
  closeAll(): void {
    this.#closed = true;
    for (const socket of this.#open.values()) socket?.destroy();
    this.#open.clear();
    this.#owner.clear();
    this.#runsAs.clear();
  }
}
