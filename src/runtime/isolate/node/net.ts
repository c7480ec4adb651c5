/**
 * `net`: client sockets only. A Socket is a stream Duplex whose connection is the host's
 * (node-sockets.ts), opened through the platform's egress rules: private and loopback
 * addresses are refused unless the operator allowed them, checked on the address actually
 * connected to. Sockets close when the instance ends. No servers.
 */
import { Buffer } from './buffer.ts';
import { OP_SOCKET_DESTROY, OP_SOCKET_END, OP_SOCKET_OPEN, OP_SOCKET_UPGRADE, OP_SOCKET_WRITE } from './host-ops.ts';
import { ab, host } from './host.ts';
import { forget, listen } from './sockets.ts';
import { Duplex } from './stream.ts';

export { OP_SOCKET_OPEN };

/** Extra CAs as one PEM text (what the host takes), or null. */
function caText(ca: unknown): string | null {
  if (ca === undefined || ca === null) return null;
  const list = Array.isArray(ca) ? ca : [ca];
  return list.map((c) => (typeof c === 'string' ? c : new TextDecoder().decode(c as Uint8Array))).join('\n');
}

interface ConnectOptions {
  port?: number | string;
  host?: string;
  servername?: string;
  ca?: string | string[];
  timeout?: number;
  noDelay?: boolean;
  keepAlive?: boolean;
}

type Listener = () => void;

function normalize(args: unknown[]): [ConnectOptions, Listener | undefined] {
  const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as Listener) : undefined;
  const [first, second] = args;
  if (first !== null && typeof first === 'object') return [first as ConnectOptions, cb];
  if (typeof first === 'string' && !/^\d+$/.test(first)) throw new Error('IPC sockets (a path) are not available in functions');
  return [{ port: first as number, host: typeof second === 'string' ? second : 'localhost' }, cb];
}

export class Socket extends Duplex {
  connecting = false;
  remoteAddress: string | undefined;
  remotePort: number | undefined;
  remoteFamily: string | undefined;
  readonly localAddress = '0.0.0.0';
  readonly localPort = 0;
  bytesRead = 0;
  bytesWritten = 0;
  protected tls = false;
  #id = 0;
  #timeout = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options?: { allowHalfOpen?: boolean }) {
    super({ allowHalfOpen: options?.allowHalfOpen ?? false });
  }

  connect(...args: unknown[]): this {
    const [options, cb] = normalize(args);
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`Port should be > 0 and < 65536. Received ${String(options.port)}.`);
    const hostname = options.host ?? 'localhost';
    if (cb) this.once(this.tls ? 'secureConnect' : 'connect', cb);
    if (options.timeout) this.setTimeout(options.timeout);
    this.connecting = true;
    this.#id = host(OP_SOCKET_OPEN, hostname, port, this.tls, options.servername ?? null, caText(options.ca)) as number;
    listen(this.#id, (event, data) => this.#event(event, data));
    return this;
  }

  /**
   * Takes over an open plain socket and starts TLS on it (tls.connect({ socket })): from
   * now on this object is the connection; the plain one gets nothing more.
   */
  protected upgradeFrom(plain: Socket, servername: string, ca: unknown): this {
    if (plain.#id === 0 || plain.connecting) throw new Error('tls.connect({ socket }) needs a connected socket');
    this.#id = plain.#id;
    plain.#id = 0;
    this.remoteAddress = plain.remoteAddress;
    this.remotePort = plain.remotePort;
    this.remoteFamily = plain.remoteFamily;
    this.connecting = true;
    listen(this.#id, (event, data) => this.#event(event, data));
    host(OP_SOCKET_UPGRADE, this.#id, servername, caText(ca));
    return this;
  }

  #event(event: string, data: unknown): void {
    this.#touch();
    switch (event) {
      case 'connect': {
        const [address, port] = data as [string, number];
        this.connecting = false;
        this.remoteAddress = address;
        this.remotePort = port;
        this.remoteFamily = address.includes(':') ? 'IPv6' : 'IPv4';
        this.emit('connect');
        if (this.tls) this.emit('secureConnect');
        this.emit('ready');
        break;
      }
      case 'data': {
        const chunk = Buffer.from(data as ArrayBuffer);
        this.bytesRead += chunk.length;
        this.push(chunk);
        break;
      }
      case 'secure':
        this.connecting = false;
        this.emit('secureConnect');
        this.emit('ready');
        break;
      case 'end':
        this.push(null);
        break;
      case 'error':
        this.destroy(Object.assign(new Error(String(data)), { code: /^NIMBUS_ERR_|egress/i.test(String(data)) ? 'EACCES' : 'ECONNREFUSED' }));
        break;
      case 'close':
        forget(this.#id);
        if (!this.destroyed) this.destroy();
        break;
    }
  }

  override _read(): void {}

  override _write(chunk: Uint8Array, _enc: string, done: (error?: Error | null) => void): void {
    if (this.connecting) {
      this.once('connect', () => this._write(chunk, _enc, done));
      return;
    }
    try {
      host(OP_SOCKET_WRITE, this.#id, ab(chunk));
      this.bytesWritten += chunk.byteLength;
      this.#touch();
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.connecting) {
      this.once('connect', () => this._final(done));
      return;
    }
    try {
      if (this.#id !== 0) host(OP_SOCKET_END, this.#id);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _destroy(error: Error | null, done: (error: Error | null) => void): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#id !== 0) {
      try {
        host(OP_SOCKET_DESTROY, this.#id);
      } catch {
        // the instance is ending: its sockets are closed by the host
      }
    }
    done(error);
  }

  setTimeout(ms: number, cb?: () => void): this {
    this.#timeout = ms;
    if (cb) this.once('timeout', cb);
    this.#touch();
    return this;
  }

  #touch(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = this.#timeout > 0 && !this.destroyed ? setTimeout(() => this.emit('timeout'), this.#timeout) : undefined;
  }

  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
  address(): { address: string; family: string; port: number } {
    return { address: this.localAddress, family: 'IPv4', port: this.localPort };
  }
  get readyState(): string {
    if (this.connecting) return 'opening';
    if (this.readable && this.writable) return 'open';
    if (this.readable) return 'readOnly';
    return this.writable ? 'writeOnly' : 'closed';
  }
}

export function connect(...args: unknown[]): Socket {
  return new Socket().connect(...args);
}
export const createConnection = connect;

export function isIPv4(s: string): boolean {
  return /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(s);
}
export function isIPv6(s: string): boolean {
  try {
    return s.includes(':') && new URL(`http://[${s}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}
export function isIP(s: string): number {
  return isIPv4(s) ? 4 : isIPv6(s) ? 6 : 0;
}
export function createServer(): never {
  throw new Error('net.createServer is not available: a function serves through its fetch export');
}
export const Stream = Socket;

export default { Socket, Stream, connect, createConnection, isIP, isIPv4, isIPv6, createServer };
