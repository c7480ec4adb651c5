/**
 * The contract every TopicLog (topic-port.ts) must pass. `open` makes the log of one node;
 * two calls are two nodes sharing it (for the in-process log, the same instance). Waits are
 * on deliveries, never on time: ack waits are short so that a redelivery comes soon.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import type { TopicConsumer, TopicConsumerOptions, TopicDelivery, TopicLog } from './topic-port.ts';

/** Deliveries one consumer got, and a way to wait for the first `n`. */
class Inbox {
  readonly got: TopicDelivery[] = [];
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  constructor(private readonly act: (d: TopicDelivery) => void = (d) => d.ack()) {}
  readonly handler = (d: TopicDelivery) => {
    this.got.push(d);
    this.act(d);
    this.waiters = this.waiters.filter((w) => (this.got.length >= w.n ? (w.resolve(), false) : true));
  };
  until(n: number): Promise<void> {
    if (this.got.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }
}

export function topicLogContract(name: string, open: () => Promise<TopicLog>, options: { sharedInstance?: boolean; ackWaitMs?: number } = {}): void {
  describe(`TopicLog contract: ${name}`, () => {
    const opened: TopicLog[] = [];
    const consumers: TopicConsumer[] = [];
    const node = async () => {
      const log = options.sharedInstance && opened.length > 0 ? opened[0] : await open();
      if (!opened.includes(log)) opened.push(log);
      return log;
    };
    after(async () => {
      for (const c of consumers.splice(0)) await c.stop();
      for (const l of opened.splice(0)) await l.close();
    });
    let n = 0;
    const unique = (s: string) => `${s}${process.pid}x${Date.now().toString(36)}${n++}`;
    const opts = (over: Partial<TopicConsumerOptions> = {}): TopicConsumerOptions => ({ since: 0, ackWaitMs: options.ackWaitMs ?? 1_000, maxInFlight: 16, ...over });
    const consume = async (log: TopicLog, topic: string, sub: string, inbox: Inbox, o = opts()) => {
      const c = await log.consume(topic, sub, o, inbox.handler);
      consumers.push(c);
      return c;
    };

    it('every subscription gets every message once, in order, the data a copy of what was published; ids repeat nothing', async () => {
      const a = await node();
      const b = await node();
      const topic = unique('t');
      const [s1, s2] = [unique('s'), unique('s')];
      await a.ensure(topic, s1, opts());
      await a.ensure(topic, s2, opts());
      const sent = Array.from({ length: 20 }, (_, i) => ({ id: `m${i}`, data: { i, nested: ['x', null] } }));
      const published = await a.publish(topic, sent);
      assert.equal(published.filter((p) => p.duplicate).length, 0);
      assert.deepEqual(
        (await b.publish(topic, [sent[3], sent[4]])).map((p) => [p.seq, p.duplicate]),
        [
          [published[3].seq, true],
          [published[4].seq, true],
        ],
        'a repeated id is the first message',
      );
      assert.equal((await b.publish(unique('t'), [sent[3]]))[0].duplicate, false, 'ids are per topic');
      const one = new Inbox();
      const two = new Inbox();
      await consume(b, topic, s1, one);
      await consume(a, topic, s2, two);
      await Promise.all([one.until(20), two.until(20)]);
      for (const inbox of [one, two]) {
        assert.deepEqual(
          inbox.got.map((d) => d.data),
          sent.map((m) => m.data),
        );
        assert.deepEqual(
          inbox.got.map((d) => d.attempt),
          sent.map(() => 1),
        );
        assert.deepEqual(
          inbox.got.map((d) => d.seq),
          published.map((p) => p.seq),
        );
      }
      // A marker after the acks: nothing acked comes again before it.
      await a.publish(topic, [{ id: 'marker', data: 'marker' }]);
      await Promise.all([one.until(21), two.until(21)]);
      assert.equal(one.got[20].data, 'marker');
      assert.equal(two.got[20].data, 'marker');
    });

    it('messages published before a subscription’s `since` are not its own', async () => {
      const a = await node();
      const topic = unique('t');
      const early = unique('s');
      await a.ensure(topic, early, opts());
      await a.publish(topic, [{ id: 'old', data: 'old' }]);
      const since = Date.now() + 1;
      // The next message must be stamped after `since`: wait for the clock to pass it.
      while (Date.now() <= since) await new Promise((r) => setImmediate(r));
      await a.publish(topic, [{ id: 'new', data: 'new' }]);
      const late = new Inbox();
      await consume(a, topic, unique('s'), late, opts({ since }));
      const all = new Inbox();
      await consume(a, topic, early, all);
      await all.until(2);
      await late.until(1);
      await a.publish(topic, [{ id: 'marker', data: 'marker' }]);
      await late.until(2);
      assert.deepEqual(
        late.got.map((d) => d.data),
        ['new', 'marker'],
      );
    });

    it('consumers of one subscription on two nodes share its messages: each is delivered to one of them', async () => {
      const a = await node();
      const b = await node();
      const topic = unique('t');
      const sub = unique('s');
      await a.ensure(topic, sub, opts());
      await a.publish(
        topic,
        Array.from({ length: 40 }, (_, i) => ({ id: `m${i}`, data: i })),
      );
      const one = new Inbox();
      const two = new Inbox();
      let total = 0;
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      const count = (inbox: Inbox) => (d: TopicDelivery) => {
        inbox.handler(d);
        if (++total === 40) resolve();
      };
      consumers.push(await a.consume(topic, sub, opts({ maxInFlight: 4 }), count(one)));
      consumers.push(await b.consume(topic, sub, opts({ maxInFlight: 4 }), count(two)));
      await done;
      const seen = [...one.got, ...two.got].map((d) => d.data as number).sort((x, y) => x - y);
      assert.deepEqual(seen, Array.from({ length: 40 }, (_, i) => i), 'each message once across both');
    });

    it('retry gives a delivery back: it comes again as the next attempt, same seq and data', async () => {
      const a = await node();
      const topic = unique('t');
      const sub = unique('s');
      const inbox = new Inbox((d) => (d.attempt < 3 ? d.retry(10) : d.ack()));
      await a.ensure(topic, sub, opts());
      const [p] = await a.publish(topic, [{ id: 'x', data: { x: 1 } }]);
      await consume(a, topic, sub, inbox);
      await inbox.until(3);
      assert.deepEqual(
        inbox.got.map((d) => [d.seq, d.attempt, d.data]),
        [
          [p.seq, 1, { x: 1 }],
          [p.seq, 2, { x: 1 }],
          [p.seq, 3, { x: 1 }],
        ],
      );
    });

    it('a delivery its consumer neither acks nor extends (its node died) is delivered again, to another consumer', async () => {
      const a = await node();
      const b = await node();
      const topic = unique('t');
      const sub = unique('s');
      await a.ensure(topic, sub, opts());
      const dying = new Inbox(() => {});
      const dead = await consume(a, topic, sub, dying, opts({ maxInFlight: 1 }));
      const [p] = await a.publish(topic, [{ id: 'x', data: 'lost?' }]);
      await dying.until(1);
      await dead.stop();
      const survivor = new Inbox();
      await consume(b, topic, sub, survivor);
      await survivor.until(1);
      assert.deepEqual([survivor.got[0].seq, survivor.got[0].attempt, survivor.got[0].data], [p.seq, 2, 'lost?']);
    });

    it('extend keeps a long delivery its consumer’s; removing a subscription is idempotent', async () => {
      const a = await node();
      const topic = unique('t');
      const sub = unique('s');
      await a.ensure(topic, sub, opts());
      let release!: () => void;
      const released = new Promise<void>((r) => (release = r));
      const extended: number[] = [];
      const slow = new Inbox((d) => {
        // Extend a few times across more than one ack wait, then ack: never delivered again.
        let k = 0;
        const again = () => {
          if (k++ < 4) {
            d.extend();
            extended.push(Date.now());
            setTimeout(again, (options.ackWaitMs ?? 1_000) / 2);
          } else {
            d.ack();
            release();
          }
        };
        again();
      });
      await consume(a, topic, sub, slow, opts({ maxInFlight: 1 }));
      await a.publish(topic, [{ id: 'slow', data: 'slow' }]);
      await released;
      await a.publish(topic, [{ id: 'marker', data: 'marker' }]);
      await slow.until(2);
      assert.deepEqual(
        slow.got.map((d) => [d.data, d.attempt]),
        [
          ['slow', 1],
          ['marker', 1],
        ],
      );
      await a.remove(topic, sub);
      await a.remove(topic, sub);
    });
  });
}
