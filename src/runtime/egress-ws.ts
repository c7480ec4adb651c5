/**
 * An outbound WebSocket for a function (ws, loaded on first use), connected through the
 * egress guard's lookup and judged again on the address it reached before the handshake
 * is sent. Wrapped as a RemoteSocket: the function's side never sees the ws object.
 */
import type { LookupFunction, Socket } from 'node:net';
import { NimbusError } from '../core/errors.ts';
import { EgressDenied } from './egress-guard.ts';
import type { RemoteSocket } from './port.ts';

const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Bytes waiting towards a server that does not read, at most, before the socket is closed (1008). */
const SEND_BUFFER_MAX = 16 * 1024 * 1024;

export async function remoteSocket(
  url: URL,
  protocols: readonly string[],
  maxMessageBytes: number,
  lookup: LookupFunction | undefined,
  /** Why the connected address is refused, or null. */
  refusal: (address: string, hostname: string) => string | null,
): Promise<RemoteSocket> {
  const { WebSocket } = await import('ws');
  return new Promise<RemoteSocket>((resolve, reject) => {
    let refused: EgressDenied | null = null;
    const ws = new WebSocket(url, [...protocols], {
      maxPayload: maxMessageBytes,
      perMessageDeflate: false,
      followRedirects: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      ...(lookup === undefined ? {} : { lookup }),
    });
    // the handshake's request is written once the socket connects: judge it first
    const req = (ws as unknown as { _req?: { once(e: 'socket', f: (s: Socket) => void): void } })._req;
    req?.once('socket', (socket: Socket) => {
      socket.prependOnceListener('connect', () => {
        const why = refusal(socket.remoteAddress ?? '', url.hostname);
        if (why === null) return;
        refused = new EgressDenied(socket.remoteAddress ?? '', why);
        socket.destroy(refused);
      });
    });
    let opened = false;
    ws.once('error', (error: Error) => {
      if (opened) return;
      const cause = refused ?? (error instanceof EgressDenied ? error : (error as { cause?: unknown }).cause);
      reject(cause instanceof EgressDenied ? cause : new NimbusError('NIMBUS_ERR_UPSTREAM', `WebSocket ${url.origin}: ${error.message}`));
    });
    ws.once('open', () => {
      opened = true;
      // frames that came with the handshake are emitted before the caller can listen (which
      // it does in the same turn, after a few promise steps): kept until it does
      let sink: Parameters<RemoteSocket['listen']>[0] | null = null;
      const early: Array<{ data: string | Uint8Array } | { code: number; reason: string }> = [];
      // a server's message over the limit: ws sends 1009 and stops reading, so the close it
      // then sees has no frame (1006); the function is told what was sent
      let failed: [number, string] | null = null;
      ws.on('error', (error: Error & { code?: string }) => {
        if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') failed ??= [1009, `a message over ${maxMessageBytes} bytes`];
      });
      ws.on('message', (data, isBinary) => {
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        const message = isBinary ? new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) : bytes.toString('utf8');
        if (sink === null) early.push({ data: message });
        else sink.message(message);
      });
      ws.once('close', (code, reason) => {
        const [c, r] = code === 1006 && failed !== null ? failed : [code, reason.toString('utf8')];
        if (sink === null) early.push({ code: c, reason: r });
        else sink.close(c, r);
      });
      const close = (code: number, reason: string) => {
        try {
          ws.close(code, reason);
        } catch {
          ws.terminate();
        }
      };
      resolve({
        protocol: ws.protocol,
        listen(to) {
          sink = to;
          for (const e of early.splice(0)) {
            if ('data' in e) to.message(e.data);
            else to.close(e.code, e.reason);
          }
        },
        send(data) {
          if (ws.readyState !== ws.OPEN) return false;
          const size = typeof data === 'string' ? Buffer.byteLength(data) : data.byteLength;
          if (size > maxMessageBytes) {
            close(1009, `a message over ${maxMessageBytes} bytes`);
            return false;
          }
          if (ws.bufferedAmount > SEND_BUFFER_MAX) {
            close(1008, 'the server is not reading the messages sent to it');
            return false;
          }
          ws.send(data);
          return true;
        },
        close,
        pause: () => ws.pause(),
        resume: () => ws.resume(),
      });
    });
  });
}
