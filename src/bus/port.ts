/**
 * The bus: what crosses nodes as messages. A message published on a subject reaches every
 * subscriber of that subject on every node sharing the bus (the publisher's own node
 * included), once each, in publish order from one publisher; a node that is not
 * subscribed (or not connected) at that moment never sees it. Used for what is a signal,
 * not a record: deploy invalidation and live logs. Durable work stays in the store's queue.
 * contract.ts is the suite every implementation must pass.
 */
export type BusHandler = (message: unknown) => void;

export interface Bus {
  /** Sends a JSON value to every subscriber of `subject`; resolves once it is handed to the bus. */
  publish(subject: string, message: unknown): Promise<void>;
  /** Calls `handler` for each message on `subject` from now on; the returned function unsubscribes. */
  subscribe(subject: string, handler: BusHandler): () => void;
  /** Resolves when every message published before reached the bus (NATS: a round trip to the server). */
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Subjects are dot-separated tokens of letters, digits, `_` and `-` (NATS's safe subset). */
export const SUBJECT = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
