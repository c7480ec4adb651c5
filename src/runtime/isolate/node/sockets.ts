/**
 * Where socket and lookup events from the host (node-sockets.ts) arrive: by number, to the
 * object that asked. Registered once, under a symbol the shim looks up (shim/node-sockets.ts,
 * which has entered the event's owner before calling it).
 */
type Handler = (event: string, data: unknown) => void;
const handlers = new Map<number, Handler>();

const g = globalThis as unknown as Record<symbol, unknown>;
g[Symbol.for('nimbus.node.sockets')] = (id: number, event: string, data: unknown) => {
  try {
    handlers.get(id)?.(event, data);
  } catch (error) {
    // A listener threw (a 'data' or 'connect' handler runs inside this call): reported as any
    // uncaught error is (the shim's microtasks log it), not lost in the host's delivery.
    queueMicrotask(() => {
      throw error;
    });
  }
};

export function listen(id: number, handler: Handler): void {
  handlers.set(id, handler);
}

export function forget(id: number): void {
  handlers.delete(id);
}
