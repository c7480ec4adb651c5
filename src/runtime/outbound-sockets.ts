/**
 * A function's `new WebSocket(url, protocols)` on the host, for the runtimes whose function
 * side numbers its sockets (an isolate's shim, a node process's worker): the platform opens
 * it (spec.connectWebSocket: the egress rules of fetch), then relays it as an accepted socket
 * is relayed (host-sockets.ts): the server's messages go to the function as a client's do,
 * each acknowledged, the server's connection paused past UNACKED_MAX unhandled ones; the
 * function's messages and close go to the server. What the function side asked is not
 * trusted: the URL and the subprotocols (one string, '\n' between them) are read as strings,
 * and a port on the bad-port list is refused here, before any connection is tried.
 */
import { blockedPort } from './isolate/shim/bad-ports.ts';
import type { HostSocket } from './host-sockets.ts';
import type { OutboundSocketConnect } from './port.ts';

/** Outbound WebSockets one instance may have opening or open at once; past it `new WebSocket` is refused (error, then close 1006). */
export const MAX_OUTBOUND_WEBSOCKETS = 32;

/**
 * Opens the socket and, once connected, wires it to the host end `open()` gives (null: its
 * invocation is over, and the connection is closed with 1001). Resolves with the
 * subprotocol the server chose; rejects with why it could not be opened.
 */
export async function openOutbound(connect: OutboundSocketConnect | undefined, url: unknown, protocols: unknown, open: () => HostSocket | null): Promise<string> {
  if (connect === undefined) throw new Error('outbound WebSockets are not available here');
  if (typeof url !== 'string') throw new Error('a WebSocket URL is a string');
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new Error(`the URL '${url.slice(0, 200)}' is invalid`);
  }
  if (blockedPort(target)) throw new Error(`the port ${target.port} is a bad port (the Fetch Standard's list): no connection is tried`);
  const list = typeof protocols === 'string' ? protocols.split('\n').filter((p) => p !== '') : [];
  const remote = await connect(target.href, list);
  const s = open();
  if (s === null) {
    remote.close(1001, 'the invocation is over');
    throw new Error('the invocation is over');
  }
  s.attach({ message: (data) => remote.send(data), close: (code, reason) => remote.close(code, reason) });
  s.onDrain = () => remote.resume();
  remote.listen({
    message: (data) => {
      if (!s.send(data)) remote.pause();
    },
    close: (code, reason) => s.close(code, reason),
  });
  return remote.protocol;
}
