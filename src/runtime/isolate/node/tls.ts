/** `tls`: client TLS sockets, the handshake and certificate check done by the host (verified against the host name, or `servername`). */
import { Socket } from './net.ts';

export class TLSSocket extends Socket {
  readonly encrypted = true;
  authorized = true;
  constructor(options?: { allowHalfOpen?: boolean }) {
    super(options);
    this.tls = true;
  }
  upgrade(plain: Socket, servername: string, ca: unknown): this {
    return this.upgradeFrom(plain, servername, ca);
  }
  getPeerCertificate(): Record<string, never> {
    return {};
  }
  getProtocol(): string | null {
    return null;
  }
}

interface TlsOptions {
  host?: string;
  port?: number;
  servername?: string;
  socket?: unknown;
  rejectUnauthorized?: boolean;
  ca?: string | string[];
}

export function connect(...args: unknown[]): TLSSocket {
  const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined;
  const options: TlsOptions = typeof args[0] === 'object' && args[0] !== null ? (args[0] as TlsOptions) : { port: args[0] as number, host: args[1] as string, ...(args[2] as object) };
  if (options.rejectUnauthorized === false) throw new Error('rejectUnauthorized: false is not available: certificates are always verified (pass the server\'s CA as `ca`)');
  const socket = new TLSSocket();
  if (options.socket !== undefined) {
    if (!(options.socket instanceof Socket)) throw new TypeError('tls.connect({ socket }) takes a net.Socket');
    if (cb) socket.once('secureConnect', cb);
    return socket.upgrade(options.socket, options.servername ?? options.host ?? options.socket.remoteAddress ?? 'localhost', options.ca);
  }
  return socket.connect({ port: options.port, host: options.host ?? 'localhost', ...(options.servername ? { servername: options.servername } : {}), ...(options.ca ? { ca: options.ca } : {}) }, ...(cb ? [cb] : [])) as TLSSocket;
}

export const DEFAULT_MIN_VERSION = 'TLSv1.2';
export const DEFAULT_MAX_VERSION = 'TLSv1.3';
export function createSecureContext(): Record<string, never> {
  return {};
}
export function checkServerIdentity(): undefined {
  return undefined;
}
export function createServer(): never {
  throw new Error('tls.createServer is not available: a function serves through its fetch export');
}

export default { TLSSocket, connect, createSecureContext, checkServerIdentity, createServer, DEFAULT_MIN_VERSION, DEFAULT_MAX_VERSION };
