/**
 * Events of the Node layer's sockets and name lookups (IN_NODE_SOCKET): each runs as its
 * owner, as a timer's callback runs as the invocation that set it. The owner is the
 * invocation that opened the socket (or last wrote to it) while that invocation is not
 * finished; else no invocation: the instance's own code, whose log lines are the instance's
 * and whose timers live as long as the instance, as module-level ones do. The layer
 * (node/sockets.ts) registers the receiver under a symbol; bundles without the layer get
 * no such events.
 */
import { enter, invocationOf } from './state.ts';

const RECEIVER = Symbol.for('nimbus.node.sockets');

export function onNodeSocket(owner: number, id: number, event: string, data: unknown): void {
  enter(invocationOf(owner));
  const on = (globalThis as unknown as Record<symbol, unknown>)[RECEIVER];
  if (typeof on === 'function') (on as (id: number, event: string, data: unknown) => void)(id, event, data);
}
