/**
 * The give-up path of topic events on real NATS JetStream (a stream of this run's own): an
 * event whose attempts run out is in the store's dead-letter list with its reason, its
 * onFailure destination is enqueued, and the JetStream delivery is acked (nothing pending on
 * the subscription's consumer). Decisions run on a FakeClock; JetStream's redeliveries are
 * real, so the test waits on the store and the consumer's state. Skipped with one line
 * where NATS is unreachable.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { openJetStreamTopicLog, topicStreamName } from '../../bus/nats/jetstream-topic-log.ts';
import { natsSkipReason, TEST_NATS } from '../../bus/nats/test-server.ts';
import { FakeClock } from '../../core/clock.ts';
import { fail, harness, ok, type Harness } from '../../dispatch/async/testing.ts';
import { fromJson } from './cloudevents.ts';
import { consumerName } from './streamed.ts';

const skip = await natsSkipReason();
const namespace = `nimbustest.dlq${process.pid}x${Date.now().toString(36)}`;

/** Lets the fake clock's timers and settled promises run until `fn` holds (JetStream delivers in real time). */
async function until<T>(h: Harness, fn: () => Promise<T | null | undefined | false>, what: string, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`not within ${ms} ms: ${what}`);
    await h.step(50);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('JetStream: an event whose attempts run out is dead-lettered with its reason, onFailure is sent, the delivery is acked; a redrive runs it on the queue', { skip: skip ?? false, timeout: 60_000 }, async () => {
  const clock = new FakeClock(Date.now());
  const log = await openJetStreamTopicLog(TEST_NATS, { namespace, duplicateWindowMs: 60_000, maxAgeMs: 600_000 });
  const errors: string[] = [];
  const h = await harness([{ name: 'a' }, { name: 'audit' }], { clock, topicLog: { log, ackWaitMs: 5_000 }, onError: (_e, what) => errors.push(what) });
  const nc = await connect({ servers: new URL(TEST_NATS.split(',')[0]).host });
  try {
    await h.system.policies.put('a', { maxAttempts: 3, initialDelayMs: 0, maxDelayMs: 0, onFailure: { kind: 'function', name: 'audit' } }, clock.now());
    const sub = await h.system.triggers.create('a', { topic: 'orders' });
    h.script = (req) => (req.functionName === 'a' ? fail(req) : ok(req));
    const [id] = (await h.system.topics.publish('orders', [fromJson({ specversion: '1.0', id: 'e1', source: '/shop', type: 'order.created', data: { n: 1 } })])).ids;
    const [dead] = await until(h, async () => {
      const list = await h.store.queue.list({ state: 'dead', limit: 10 });
      return list.length > 0 ? list : null;
    }, 'the dead letter');
    assert.deepEqual([dead.id, dead.target, dead.trigger, dead.deadReason, dead.attempts, dead.lastError?.code], [id, 'a', 'event', 'max-attempts', 3, 'NIMBUS_ERR_FUNCTION_ERROR']);
    assert.equal(JSON.parse(dead.payload).id, 'e1');
    await until(h, async () => h.calls.some((c) => c.req.functionName === 'audit'), 'onFailure');
    const told = h.calls.find((c) => c.req.functionName === 'audit')!.req.input as { event: { type: string; subject: string } };
    assert.deepEqual([told.event.type, told.event.subject], ['dev.nimbus.async.failure', id]);
    const jsm = await nc.jetstreamManager();
    const info = await until(h, async () => {
      const i = await jsm.consumers.info(topicStreamName(namespace), consumerName(sub));
      return i.num_ack_pending === 0 && i.num_pending === 0 ? i : null;
    }, 'the delivery acked');
    assert.equal(info.delivered.stream_seq, info.ack_floor.stream_seq, 'acked up to the event');
    assert.deepEqual(h.calls.filter((c) => c.req.functionName === 'a').map((c) => c.req.attempt), [1, 2, 3]);
    assert.match(errors.join('\n'), /given up: max-attempts; dead-lettered/);

    h.script = (req) => ok(req);
    assert.equal(await h.store.queue.redrive(id, clock.now()), true);
    h.system.consumer.wake();
    await until(h, async () => (await h.store.queue.get(id))?.state === 'succeeded', 'the redriven item done');
    assert.deepEqual(h.calls.filter((c) => c.req.functionName === 'a').map((c) => c.req.attempt), [1, 2, 3, 1]);
  } finally {
    await nc.close();
    await h.system.stop(0);
    await log.close();
    await h.store.close();
  }
});

after(async () => {
  if (skip) return;
  const nc = await connect({ servers: new URL(TEST_NATS.split(',')[0]).host });
  await (await nc.jetstreamManager()).streams.delete(topicStreamName(namespace)).catch(() => false);
  await nc.close();
});
