/**
 * The in-process topic log (topic-port.ts) of one node, in memory: what the contract says of
 * JetStream, without a server, on a Clock (tests step a FakeClock through ack waits and
 * retry delays). Nothing survives the process; the platform on one node keeps topic events
 * in its store's queue instead and uses this only where a TopicLog is asked for.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import { SUBJECT } from '../port.ts';
import type { PublishedMessage, TopicConsumer, TopicConsumerOptions, TopicDelivery, TopicHandler, TopicLog, TopicMessage } from '../topic-port.ts';

interface Stored {
  readonly seq: number;
  readonly at: number;
  readonly text: string;
}

interface Topic {
  readonly messages: Stored[];
  readonly ids: Map<string, number>;
}

interface Consumer {
  readonly handler: TopicHandler;
  readonly maxInFlight: number;
  held: number;
  stopped: boolean;
}

interface Pending {
  readonly attempt: number;
  readonly consumer: Consumer;
  timer: TimerHandle;
}

interface Subscription {
  readonly topic: Topic;
  options: TopicConsumerOptions;
  /** Index in topic.messages of the first message never delivered. */
  next: number;
  /** Redeliveries due now: seq and the attempt they will be. */
  readonly ready: Array<{ seq: number; attempt: number }>;
  readonly pending: Map<number, Pending>;
  readonly later: Set<TimerHandle>;
  readonly consumers: Consumer[];
  turn: number;
}

function check(...names: string[]): void {
  for (const n of names) if (!SUBJECT.test(n) || n.includes('.')) throw new NimbusError('NIMBUS_ERR_VALIDATION', `topic log name ${JSON.stringify(n)} is not one token of letters, digits, _ and -`);
}

export function openLocalTopicLog(clock: Clock): TopicLog {
  const topics = new Map<string, Topic>();
  const subs = new Map<string, Subscription>();
  let closed = false;
  const topicOf = (name: string): Topic => {
    let t = topics.get(name);
    if (!t) topics.set(name, (t = { messages: [], ids: new Map() }));
    return t;
  };
  const subscription = (topic: string, name: string, options: TopicConsumerOptions): Subscription => {
    check(topic, name);
    const key = `${topic}\n${name}`;
    let s = subs.get(key);
    if (!s) {
      const t = topicOf(topic);
      const first = t.messages.findIndex((m) => m.at >= options.since);
      s = { topic: t, options, next: first === -1 ? t.messages.length : first, ready: [], pending: new Map(), later: new Set(), consumers: [], turn: 0 };
      subs.set(key, s);
    }
    return s;
  };

  const deliver = (s: Subscription, c: Consumer, stored: Stored, attempt: number): void => {
    c.held++;
    const done = () => {
      const p = s.pending.get(stored.seq);
      if (!p || p.consumer !== c || p.attempt !== attempt) return false;
      p.timer.cancel();
      s.pending.delete(stored.seq);
      c.held--;
      return true;
    };
    const again = (delayMs: number) => {
      const t = clock.setTimer(delayMs, () => {
        s.later.delete(t);
        s.ready.push({ seq: stored.seq, attempt: attempt + 1 });
        pump(s);
      }, true);
      s.later.add(t);
    };
    const expire = () => clock.setTimer(s.options.ackWaitMs, () => {
      if (done()) again(0);
    }, true);
    s.pending.set(stored.seq, { attempt, consumer: c, timer: expire() });
    const delivery: TopicDelivery = {
      data: JSON.parse(stored.text),
      seq: stored.seq,
      attempt,
      ack: () => {
        if (done()) pump(s);
      },
      retry: (delayMs) => {
        if (done()) {
          again(Math.max(0, delayMs));
          pump(s);
        }
      },
      extend: () => {
        const p = s.pending.get(stored.seq);
        if (!p || p.consumer !== c || p.attempt !== attempt) return;
        p.timer.cancel();
        p.timer = expire();
      },
    };
    queueMicrotask(() => c.handler(delivery));
  };

  const pump = (s: Subscription): void => {
    if (closed) return;
    for (;;) {
      const live = s.consumers.filter((c) => !c.stopped && c.held < c.maxInFlight);
      if (live.length === 0) return;
      const c = live[s.turn++ % live.length];
      const redelivery = s.ready.shift();
      if (redelivery) {
        deliver(s, c, s.topic.messages[redelivery.seq - 1], redelivery.attempt);
        continue;
      }
      if (s.next >= s.topic.messages.length) return;
      deliver(s, c, s.topic.messages[s.next++], 1);
    }
  };

  return {
    async publish(topic, messages: readonly TopicMessage[]): Promise<PublishedMessage[]> {
      check(topic);
      if (closed) throw new NimbusError('NIMBUS_ERR_BUS_UNAVAILABLE', 'the topic log is closed');
      const t = topicOf(topic);
      const out: PublishedMessage[] = [];
      for (const m of messages) {
        const seen = t.ids.get(m.id);
        if (seen !== undefined) {
          out.push({ seq: seen, duplicate: true });
          continue;
        }
        const stored = { seq: t.messages.length + 1, at: clock.now(), text: JSON.stringify(m.data ?? null) };
        t.messages.push(stored);
        t.ids.set(m.id, stored.seq);
        out.push({ seq: stored.seq, duplicate: false });
      }
      for (const [key, s] of subs) if (key.startsWith(`${topic}\n`)) pump(s);
      return out;
    },
    async ensure(topic, name, options) {
      subscription(topic, name, options);
    },
    async consume(topic, name, options, handler): Promise<TopicConsumer> {
      const s = subscription(topic, name, options);
      s.options = options;
      const c: Consumer = { handler, maxInFlight: Math.max(1, options.maxInFlight), held: 0, stopped: false };
      s.consumers.push(c);
      pump(s);
      return {
        async stop() {
          c.stopped = true;
          s.consumers.splice(s.consumers.indexOf(c), 1);
        },
      };
    },
    async remove(topic, name) {
      const key = `${topic}\n${name}`;
      const s = subs.get(key);
      if (!s) return;
      for (const p of s.pending.values()) p.timer.cancel();
      for (const t of s.later) t.cancel();
      for (const c of s.consumers) c.stopped = true;
      subs.delete(key);
    },
    async close() {
      closed = true;
      for (const s of subs.values()) {
        for (const p of s.pending.values()) p.timer.cancel();
        for (const t of s.later) t.cancel();
      }
    },
  };
}
