/**
 * The bus over NATS (core publish/subscribe on the server a cluster shares; the server runs
 * with JetStream for the rest of a deployment, docs/cluster.md). Messages are JSON. A
 * connection that drops reconnects by itself (messages published while it is down are
 * buffered by the client, up to its limit); what nodes miss while cut off they recover
 * from the store (a cache dropped by a missed invalidation is refreshed by the next one
 * or by a restart).
 */
import type { Subscription } from 'nats';
import { NimbusError } from '../../core/errors.ts';
import { SUBJECT, type Bus } from '../port.ts';
import { connectNats } from './connect.ts';

/** Connects to NATS at `urls` (comma-separated); NIMBUS_ERR_BUS_UNAVAILABLE when none answers within timeoutMs. */
export async function openNatsBus(urls: string, timeoutMs = 5_000): Promise<Bus> {
  const nc = await connectNats(urls, timeoutMs);
  const subs = new Set<Subscription>();
  const check = (subject: string) => {
    if (!SUBJECT.test(subject)) throw new NimbusError('NIMBUS_ERR_VALIDATION', `bus subject ${JSON.stringify(subject)} is not dot-separated tokens`);
  };
  return {
    async publish(subject, message) {
      check(subject);
      if (nc.isClosed()) return;
      nc.publish(subject, Buffer.from(JSON.stringify(message ?? null)));
    },
    subscribe(subject, handler) {
      check(subject);
      const sub = nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err) return;
          let value: unknown;
          try {
            value = JSON.parse(Buffer.from(msg.data).toString('utf8'));
          } catch {
            return; // not ours
          }
          handler(value);
        },
      });
      subs.add(sub);
      return () => {
        subs.delete(sub);
        sub.unsubscribe();
      };
    },
    async flush() {
      if (!nc.isClosed()) await nc.flush();
    },
    async close() {
      if (nc.isClosed()) return;
      await nc.drain().catch(() => nc.close());
    },
  };
}
