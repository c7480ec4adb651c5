/**
 * The in-process bus of a single node (the default): subscribers are called on a later
 * microtask, in publish order, with a structured copy of the message (as a remote
 * subscriber would get a decoded copy).
 */
import { NimbusError } from '../../core/errors.ts';
import { SUBJECT, type Bus, type BusHandler } from '../port.ts';

export function openLocalBus(): Bus {
  const subscribers = new Map<string, Set<BusHandler>>();
  let closed = false;
  return {
    async publish(subject, message) {
      if (!SUBJECT.test(subject)) throw new NimbusError('NIMBUS_ERR_VALIDATION', `bus subject ${JSON.stringify(subject)} is not dot-separated tokens`);
      if (closed) return;
      const handlers = subscribers.get(subject);
      if (!handlers || handlers.size === 0) return;
      const text = JSON.stringify(message ?? null);
      queueMicrotask(() => {
        for (const h of [...handlers]) h(JSON.parse(text));
      });
    },
    subscribe(subject, handler) {
      let set = subscribers.get(subject);
      if (!set) subscribers.set(subject, (set = new Set()));
      const own = set;
      own.add(handler);
      return () => void own.delete(handler);
    },
    async flush() {
      await new Promise<void>((resolve) => queueMicrotask(resolve));
    },
    async close() {
      closed = true;
      subscribers.clear();
    },
  };
}
