/**
 * The topic log (topic-port.ts) on NATS JetStream. One stream per cluster (`<ns>_topics`,
 * subjects `<ns>.topics.<topic>`, file storage, interest retention: a message goes once
 * every subscription's consumer acked it), deduplicated by message id (Nats-Msg-Id) within
 * the duplicate window. A subscription is a durable pull consumer filtered on its topic,
 * starting at its `since` (so a consumer made after a publish still gets what was published
 * after the subscription existed), with explicit acks and no delivery limit: every node
 * pulls from it, so each message goes to one node at a time. A delivery not acked within
 * ack_wait (its node died) comes again; `retry` is a NAK with a delay; `extend` is +WPI.
 */
import { AckPolicy, DeliverPolicy, nanos, RetentionPolicy, StorageType, type ConsumerMessages, type JsMsg, type NatsConnection } from 'nats';
import { NimbusError } from '../../core/errors.ts';
import type { PublishedMessage, TopicConsumer, TopicConsumerOptions, TopicLog } from '../topic-port.ts';
import { connectNats } from './connect.ts';

export interface JetStreamTopicLogOptions {
  /** Subject prefix of the cluster (`nimbus.<id>`): the stream is named after it. */
  readonly namespace: string;
  /** Repeated message ids within this window are stored once. */
  readonly duplicateWindowMs: number;
  /** Messages older than this go even if a subscription never acked them (a consumer left behind). */
  readonly maxAgeMs: number;
  readonly timeoutMs?: number;
}

const TOKEN = /^[A-Za-z0-9_-]+$/;

/** The stream of a namespace's topics. */
export function topicStreamName(namespace: string): string {
  return `${namespace.replace(/[^A-Za-z0-9_-]/g, '_')}_topics`;
}

function checkToken(...names: string[]): void {
  for (const n of names) if (!TOKEN.test(n)) throw new NimbusError('NIMBUS_ERR_VALIDATION', `topic log name ${JSON.stringify(n)} is not one token of letters, digits, _ and -`);
}

function isNotFound(error: unknown): boolean {
  const e = error as { code?: unknown; api_error?: { code?: number } };
  return e?.api_error?.code === 404 || String(e?.code) === '404' || /not found/i.test((error as Error)?.message ?? '');
}

export async function openJetStreamTopicLog(urls: string, options: JetStreamTopicLogOptions): Promise<TopicLog> {
  const nc = await connectNats(urls, options.timeoutMs ?? 5_000, 'nimbus-topics');
  try {
    return await jetStreamTopicLog(nc, options);
  } catch (error) {
    await nc.close();
    if (error instanceof NimbusError) throw error;
    throw new NimbusError('NIMBUS_ERR_BUS_UNAVAILABLE', `NATS answered but JetStream did not: ${(error as Error).message}; run the server with JetStream (nats-server -js)`, { cause: error });
  }
}

async function jetStreamTopicLog(nc: NatsConnection, options: JetStreamTopicLogOptions): Promise<TopicLog> {
  const jsm = await nc.jetstreamManager();
  const js = nc.jetstream();
  const stream = topicStreamName(options.namespace);
  const subjectOf = (topic: string) => `${options.namespace}.topics.${topic}`;
  const config = {
    name: stream,
    subjects: [`${options.namespace}.topics.>`],
    retention: RetentionPolicy.Interest,
    storage: StorageType.File,
    duplicate_window: nanos(Math.min(options.duplicateWindowMs, options.maxAgeMs)),
    max_age: nanos(options.maxAgeMs),
  };
  try {
    await jsm.streams.info(stream);
    await jsm.streams.update(stream, config);
  } catch (error) {
    if (!isNotFound(error)) throw error;
    await jsm.streams.add(config).catch(async (e: unknown) => {
      // Another node made it meanwhile.
      if (!/already in use|exists/i.test((e as Error).message)) throw e;
    });
  }
  const ensured = new Set<string>();
  const consumers = new Set<TopicConsumer>();

  const ensure = async (topic: string, name: string, o: TopicConsumerOptions) => {
    checkToken(topic, name);
    if (ensured.has(name)) return;
    try {
      await jsm.consumers.info(stream, name);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await jsm.consumers
        .add(stream, {
          durable_name: name,
          ack_policy: AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.StartTime,
          opt_start_time: new Date(o.since).toISOString(),
          filter_subject: subjectOf(topic),
          ack_wait: nanos(o.ackWaitMs),
          max_deliver: -1,
          max_ack_pending: 10_000,
        })
        .catch(async (e: unknown) => {
          // Made by another node meanwhile: fine if it is there now.
          await jsm.consumers.info(stream, name).catch(() => Promise.reject(e));
        });
    }
    ensured.add(name);
  };

  return {
    async publish(topic, messages): Promise<PublishedMessage[]> {
      checkToken(topic);
      const subject = subjectOf(topic);
      // One connection keeps publish order; the acks come back in that order. Ids are the stream's, so the topic is part of them.
      const acks = await Promise.all(messages.map((m) => js.publish(subject, Buffer.from(JSON.stringify(m.data ?? null)), { msgID: `${topic}:${m.id}` })));
      return acks.map((a) => ({ seq: a.seq, duplicate: a.duplicate }));
    },
    ensure,
    async consume(topic, name, o, handler): Promise<TopicConsumer> {
      await ensure(topic, name, o);
      const consumer = await js.consumers.get(stream, name);
      const max = Math.max(1, o.maxInFlight);
      let held = 0;
      let stopped = false;
      let room: (() => void) | null = null;
      const freed = () => {
        held--;
        room?.();
        room = null;
      };
      const deliver = (m: JsMsg) => {
        let settled = false;
        const settle = (fn: () => void) => {
          if (settled) return;
          settled = true;
          try {
            fn();
          } catch {
            // The connection is closed (stopping): unacked, it is delivered again after the ack wait.
          }
          freed();
        };
        let data: unknown;
        try {
          data = JSON.parse(Buffer.from(m.data).toString('utf8'));
        } catch {
          data = null;
        }
        held++;
        handler({
          data,
          seq: m.seq,
          attempt: m.info.redeliveryCount,
          ack: () => settle(() => m.ack()),
          retry: (delayMs) => settle(() => m.nak(Math.max(0, Math.round(delayMs)))),
          extend: () => {
            if (settled) return;
            try {
              m.working();
            } catch {
              // Closed: see settle.
            }
          },
        });
      };
      // One long pull subscription (the client renews its pull requests and watches the
      // server's heartbeats), read only while fewer than `max` deliveries are held here: what
      // it buffered meanwhile stays this node's until handled (or, if it dies, the ack wait).
      const messages: ConsumerMessages = await consumer.consume({ max_messages: max });
      const loop = (async () => {
        for await (const m of messages) {
          while (held >= max && !stopped) await new Promise<void>((r) => (room = r));
          // Stopped meanwhile: give it back for another node at once.
          if (stopped) m.nak();
          else deliver(m);
        }
      })().catch(() => {});
      const handle: TopicConsumer = {
        async stop() {
          stopped = true;
          room?.();
          await messages.close().catch(() => {});
          await loop;
          consumers.delete(handle);
        },
      };
      consumers.add(handle);
      return handle;
    },
    async remove(topic, name) {
      checkToken(topic, name);
      ensured.delete(name);
      await jsm.consumers.delete(stream, name).catch((error: unknown) => {
        if (!isNotFound(error)) throw error;
      });
    },
    async close() {
      for (const c of [...consumers]) await c.stop();
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}
