/**
 * `cloudflare:sockets`: the Workers `connect()` API over the same host sockets as `net`
 * (egress rules, per-instance cap, closed with the instance). `readable` is a
 * ReadableStream of Uint8Array chunks; `writable` a WritableStream (the runtime's when it
 * has one, else a minimal one with `getWriter()`: write, close, abort, releaseLock, closed,
 * ready, desiredSize).
 */
import { Socket as NetSocket } from './net.ts';
import { TLSSocket } from './tls.ts';

type Address = string | { hostname: string; port: number };
interface SocketOptions {
  secureTransport?: 'off' | 'on' | 'starttls';
  allowHalfOpen?: boolean;
}

function parse(address: Address): { hostname: string; port: number } {
  if (typeof address !== 'string') return { hostname: address.hostname, port: Number(address.port) };
  const at = address.lastIndexOf(':');
  if (at <= 0) throw new TypeError('connect(address): the address must be "host:port" or { hostname, port }');
  return { hostname: address.slice(0, at).replace(/^\[|\]$/g, ''), port: Number(address.slice(at + 1)) };
}

interface Sink {
  write(chunk: Uint8Array): Promise<void>;
  close(): Promise<void>;
  abort(reason?: unknown): Promise<void>;
}

/** A WritableStream of the runtime if it has one, else a small one with the writer API. */
function writableOver(sink: Sink): unknown {
  const WS = (globalThis as { WritableStream?: new (s: object) => unknown }).WritableStream;
  if (WS !== undefined) return new WS({ write: (c: Uint8Array) => sink.write(c), close: () => sink.close(), abort: (r: unknown) => sink.abort(r) });
  let locked = false;
  let closedResolve!: () => void;
  const closed = new Promise<void>((r) => (closedResolve = r));
  const stream = {
    get locked() {
      return locked;
    },
    getWriter() {
      if (locked) throw new TypeError('the stream is locked to a writer');
      locked = true;
      return {
        get closed() {
          return closed;
        },
        get ready() {
          return Promise.resolve();
        },
        get desiredSize() {
          return 1;
        },
        write: (chunk: Uint8Array) => sink.write(chunk),
        close: () => sink.close().then(closedResolve),
        abort: (reason?: unknown) => sink.abort(reason).then(closedResolve),
        releaseLock: () => {
          locked = false;
        },
      };
    },
    close: () => sink.close().then(closedResolve),
    abort: (reason?: unknown) => sink.abort(reason).then(closedResolve),
  };
  return stream;
}

export class Socket {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: unknown;
  readonly opened: Promise<{ remoteAddress: string | undefined; localAddress: string | undefined }>;
  readonly closed: Promise<void>;
  readonly #inner: NetSocket;
  readonly #hostname: string;
  readonly #canStartTls: boolean;

  constructor(inner: NetSocket, hostname: string, canStartTls: boolean) {
    this.#inner = inner;
    this.#hostname = hostname;
    this.#canStartTls = canStartTls;
    this.opened = new Promise((resolve, reject) => {
      if (!inner.connecting) resolve({ remoteAddress: inner.remoteAddress, localAddress: undefined });
      inner.once(inner instanceof TLSSocket ? 'secureConnect' : 'connect', () => resolve({ remoteAddress: inner.remoteAddress, localAddress: undefined }));
      inner.once('error', reject);
    });
    this.closed = new Promise((resolve, reject) => {
      inner.once('close', () => resolve());
      inner.once('error', reject);
    });
    this.opened.catch(() => undefined);
    this.closed.catch(() => undefined);
    this.readable = new ReadableStream<Uint8Array>({
      start(controller) {
        inner.on('data', (chunk: Uint8Array) => controller.enqueue(new Uint8Array(chunk)));
        inner.once('end', () => controller.close());
        inner.once('error', (e: Error) => controller.error(e));
      },
      cancel() {
        inner.destroy();
      },
    });
    this.writable = writableOver({
      write: (chunk) => new Promise<void>((resolve, reject) => inner.write(chunk, (e?: Error | null) => (e ? reject(e) : resolve()))),
      close: () => new Promise<void>((resolve) => inner.end(() => resolve())),
      abort: async () => {
        inner.destroy();
      },
    });
  }

  close(): Promise<void> {
    this.#inner.destroy();
    return this.closed;
  }

  /** TLS over this connection (opened with secureTransport "starttls"); this Socket is done with, the returned one is the connection. */
  startTls(options?: { expectedServerHostname?: string }): Socket {
    if (!this.#canStartTls) throw new Error('startTls() needs a socket opened with { secureTransport: "starttls" }');
    const hostname = options?.expectedServerHostname ?? this.#hostname;
    const secure = new TLSSocket().upgrade(this.#inner, hostname, null);
    return new Socket(secure, hostname, false);
  }
}

export function connect(address: Address, options: SocketOptions = {}): Socket {
  const { hostname, port } = parse(address);
  const inner = options.secureTransport === 'on' ? new TLSSocket({ allowHalfOpen: options.allowHalfOpen === true }) : new NetSocket({ allowHalfOpen: options.allowHalfOpen === true });
  inner.connect({ host: hostname, port });
  return new Socket(inner, hostname, options.secureTransport === 'starttls');
}

export default { connect };
