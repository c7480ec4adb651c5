/** `tls`: client TLS sockets, the handshake and certificate check done by the host (verified against the host name, or `servername`). */
import { Socket } from './net.ts';

export class TLSSocket extends Socket {
  readonly encrypted = true;
  authorized = true;
  constructor(options?: { allowHalfOpen?: boolean }) {
    super(options);
    this.tls = true;
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
}

export function connect(...args: unknown[]): TLSSocket {
  const cb = typeof args[args.length - 1] === 'function' ? (args.pop() as () => void) : undefined;
  const options: TlsOptions = typeof args[0] === 'object' && args[0] !== null ? (args[0] as TlsOptions) : { port: args[0] as number, host: args[1] as string, ...(args[2] as object) };
  if (options.socket !== undefined) throw new Error('tls.connect({ socket }) (upgrading an open socket) is not available yet: connect with TLS from the start');
  if (options.rejectUnauthorized === false) throw new Error('rejectUnauthorized: false is not available: certificates are always verified');
  const socket = new TLSSocket();
  return socket.connect({ port: options.port, host: options.host ?? 'localhost', ...(options.servername ? { servername: options.servername } : {}) }, ...(cb ? [cb] : [])) as TLSSocket;
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
