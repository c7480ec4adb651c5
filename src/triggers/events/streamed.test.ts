/**
 * Topic events through a topic log (StreamedTopics) against the queue path (EventBus): the
 * same publishing contract for both, then what only the log does (a node dying mid-invocation,
 * subscriptions coming and going), on a FakeClock with the in-process log.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { openLocalTopicLog } from '../../bus/local/local-topic-log.ts';
import type { TopicDelivery, TopicLog } from '../../bus/topic-port.ts';
import { FakeClock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import { WorkflowEngine } from '../../workflow/engine/engine.ts';
import { fail, harness, ok, type Harness } from '../../dispatch/async/testing.ts';
import type { AsyncSystemDeps } from '../../dispatch/async/system.ts';
import type { Store } from '../../store/ports.ts';
import type { QueueRepo } from '../../store/queue-ports.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { fromJson } from './cloudevents.ts';

const event = (id: string, type: string, subject?: string) =>
  fromJson({ specversion: '1.0', id, source: '/shop', type, ...(subject ? { subject } : {}), data: { id } });

const ACK_WAIT = 3_000;
const eventId = (h: Harness, i: number) => (h.calls[i].req.input as { event: { id: string } }).event.id;

type Make = (functions: Array<{ name: string }>, options?: Partial<Omit<AsyncSystemDeps, 'clock'>>) => Promise<Harness>;

const paths: Array<[string, Make]> = [
  ['the store’s queue', (functions, options = {}) => harness(functions, options)],
  [
    'a topic log',
    (functions, options = {}) => {
      const clock = new FakeClock(1_700_000_000_000);
      return harness(functions, { clock, topicLog: { log: openLocalTopicLog(clock), ackWaitMs: ACK_WAIT }, ...options });
    },
  ],
];

for (const [name, make] of paths) {
  describe(`publishing to a topic, through ${name}`, () => {
    it('delivers to each subscription whose filter matches, once per (subscription, source, id)', async () => {
      const h = await make([{ name: 'a' }, { name: 'b' }]);
      await h.system.triggers.create('a', { topic: 'orders', filter: { type: 'order.created' } });
      await h.system.triggers.create('b', { topic: 'orders', filter: { subject: { prefix: 'eu-' } } });
      const r1 = await h.system.topics.publish('orders', [event('1', 'order.created', 'eu-1'), event('2', 'order.paid', 'us-2'), event('3', 'order.paid', 'eu-3')]);
      assert.equal(r1.deliveries, 3);
      assert.equal(r1.ids.length, 3);
      const again = await h.system.topics.publish('orders', [event('1', 'order.created', 'eu-1')]);
      assert.equal(again.deliveries, 0, 'the same CloudEvent is delivered once');
      await h.step(300);
      const got = h.calls.map((c) => `${c.req.functionName}:${(c.req.input as { event: { id: string } }).event.id}`).sort();
      assert.deepEqual(got, ['a:1', 'b:1', 'b:3']);
      assert.ok(h.calls.every((c) => c.req.trigger === 'event' && c.req.attempt === 1));
      assert.deepEqual(h.calls.map((c) => c.req.invocationId).sort(), [...r1.ids].sort(), 'the ids publishing answered are the invocations’');
      await assert.rejects(h.system.topics.publish('nope', [event('9', 't')]), { code: 'NIMBUS_ERR_TOPIC_NOT_FOUND' });
      await h.close();
    });

    it('a failed attempt is tried again after the policy’s backoff, as the next attempt of the same invocation', async () => {
      const h = await make([{ name: 'a' }]);
      await h.system.policies.put('a', { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 1_000 }, h.clock.now());
      await h.system.triggers.create('a', { topic: 'orders' });
      h.script = (req, n) => (n < 3 ? fail(req) : ok(req));
      await h.system.topics.publish('orders', [event('1', 'order.created')]);
      await h.step(5_000);
      assert.deepEqual(
        h.calls.map((c) => c.req.attempt),
        [1, 2, 3],
      );
      assert.equal(new Set(h.calls.map((c) => c.req.invocationId)).size, 1);
      assert.ok(h.calls[1].at - h.calls[0].at < 1_000 + 100, 'within the backoff ceiling (full jitter)');
      const record = await h.store.invocations.get(h.calls[0].req.invocationId!);
      assert.equal(record?.attempt, 3, 'the last attempt’s record is in the store (committed with the outcome, not left to the batched recorder)');
      await h.step(60_000);
      assert.equal(h.calls.length, 3, 'succeeded: not again');
      await h.close();
    });

    it('an event whose attempts run out is dead-lettered with the reason, onFailure gets it, and a redrive runs it again', async () => {
      const errors: string[] = [];
      const h = await make([{ name: 'a' }, { name: 'audit' }], { onError: (_e, what) => errors.push(what) });
      await h.system.policies.put('a', { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 100, onFailure: { kind: 'function', name: 'audit' } }, h.clock.now());
      await h.system.triggers.create('a', { topic: 'orders' });
      h.script = (req) => (req.functionName === 'a' ? fail(req) : ok(req));
      const [id] = (await h.system.topics.publish('orders', [event('1', 'order.created')])).ids;
      await h.step(5_000);
      assert.deepEqual(h.calls.map((c) => `${c.req.functionName}:${c.req.attempt}`), ['a:1', 'a:2', 'audit:1']);
      const dead = await h.store.queue.list({ state: 'dead', limit: 10 });
      assert.deepEqual(
        dead.map((i) => [i.id, i.target, i.trigger, i.deadReason, i.attempts, i.lastError]),
        [[id, 'a', 'event', 'max-attempts', 2, { code: 'NIMBUS_ERR_FUNCTION_ERROR', message: 'Error: boom' }]],
      );
      assert.equal(JSON.parse(dead[0].payload).id, '1', 'the event is kept');
      const told = h.calls[2].req.input as { event: { type: string; subject: string; data: { requestContext: { condition: string } } } };
      assert.deepEqual([told.event.type, told.event.subject, told.event.data.requestContext.condition], ['dev.nimbus.async.failure', id, 'max-attempts']);
      await h.step(60_000);
      assert.equal(h.calls.length, 3, 'given up: not delivered again, onFailure sent once');
      h.script = (req) => ok(req);
      assert.equal(await h.store.queue.redrive(id, h.clock.now()), true);
      h.system.consumer.wake();
      await h.step(1_000);
      assert.deepEqual(h.calls.slice(3).map((c) => [c.req.functionName, c.req.invocationId, c.req.attempt, c.req.trigger]), [['a', id, 1, 'event']]);
      assert.equal((await h.store.queue.get(id))?.state, 'succeeded');
      await h.close();
    });

    it('an event older than the policy’s age is dead-lettered max-age; onSuccess gets each success', async () => {
      const h = await make([{ name: 'a' }, { name: 'b' }, { name: 'audit' }], { onError: () => {} });
      await h.system.policies.put('a', { maxAttempts: 10, initialDelayMs: 2_000, maxDelayMs: 2_000, maxEventAgeMs: 1_000 }, h.clock.now());
      await h.system.policies.put('b', { onSuccess: { kind: 'function', name: 'audit' } }, h.clock.now());
      await h.system.triggers.create('a', { topic: 'orders' });
      await h.system.triggers.create('b', { topic: 'orders' });
      h.script = (req) => (req.functionName === 'a' ? fail(req) : ok(req, { fine: true }));
      const { ids } = await h.system.topics.publish('orders', [event('1', 'order.created')]);
      await h.step(10_000);
      assert.deepEqual(h.calls.map((c) => `${c.req.functionName}:${c.req.attempt}`).sort(), ['a:1', 'audit:1', 'b:1']);
      const dead = await h.store.queue.list({ state: 'dead', limit: 10 });
      assert.deepEqual(dead.map((i) => [i.target, i.deadReason]), [['a', 'max-age']]);
      const success = h.calls.find((c) => c.req.functionName === 'audit')!.req.input as { event: { type: string; subject: string; data: { responsePayload: unknown } } };
      assert.equal(success.event.type, 'dev.nimbus.async.success');
      assert.ok(ids.includes(success.event.subject));
      assert.deepEqual(success.event.data.responsePayload, { fine: true });
      await h.close();
    });
  });
}

/** A node's handle on a shared log that can die: after kill() it neither acks nor extends, and consumes nothing. */
function mortal(log: TopicLog): { log: TopicLog; kill(): void } {
  let dead = false;
  const stops: Array<() => Promise<void>> = [];
  return {
    log: {
      ...log,
      async consume(topic, sub, options, handler) {
        const c = await log.consume(topic, sub, options, (d) => {
          if (dead) return;
          const guarded: TopicDelivery = { ...d, data: d.data, seq: d.seq, attempt: d.attempt, ack: () => !dead && d.ack(), retry: (ms) => !dead && d.retry(ms), extend: () => !dead && d.extend() };
          handler(guarded);
        });
        stops.push(() => c.stop());
        return c;
      },
      async close() {},
    },
    kill() {
      dead = true;
      for (const s of stops) void s();
    },
  };
}

describe('topic events on a topic log, across nodes', () => {
  it('a node that dies mid-invocation: the event runs again on another node as attempt 2 of the same invocation, after the ack wait; a slow one that lives is not repeated', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = openSqliteStore(':memory:');
    const shared = openLocalTopicLog(clock);
    const n1 = mortal(shared);
    const n2 = mortal(shared);
    const a = await harness([{ name: 'fn' }], { clock, store, topicLog: { log: n1.log, ackWaitMs: ACK_WAIT, maxInFlight: 1 } });
    const b = await harness([{ name: 'fn' }], { clock, store, topicLog: { log: n2.log, ackWaitMs: ACK_WAIT, maxInFlight: 1 } });
    // Each node reads the subscription on a change (another node's, over the bus).
    await a.system.triggers.create('fn', { topic: 'orders' });
    await b.system.reloadTriggers();
    const never = new Promise<never>(() => {});
    let slowDone!: () => void;
    const slow = new Promise<void>((r) => (slowDone = r));
    // Node a: the first event hangs (a is then killed); b: the second takes 5 ack waits, then succeeds.
    a.script = () => never;
    b.script = async (req, n) => {
      if (n === 1) await slow;
      return ok(req);
    };
    await a.system.topics.publish('orders', [event('1', 'x')]);
    await a.step(10);
    await b.system.topics.publish('orders', [event('2', 'x')]);
    await a.step(10);
    assert.deepEqual([a.calls.length, b.calls.length], [1, 1], 'one event on each node');
    const [first] = a.calls;
    a.calls.length = 0;
    await a.step(ACK_WAIT * 5, 100);
    assert.equal(b.calls.length, 1, 'the slow delivery b extends is not given to anyone else, nor is the one a holds while it lives');
    n1.kill();
    slowDone();
    await a.step(ACK_WAIT + 500, 100);
    assert.equal(a.calls.length, 0);
    assert.equal(b.calls.length, 2);
    assert.equal(eventId(b, 1), eventId({ calls: [first] } as Harness, 0));
    assert.equal(b.calls[1].req.invocationId, first.req.invocationId, 'the same invocation');
    assert.equal(b.calls[1].req.attempt, 2, 'its next attempt');
    await a.step(ACK_WAIT * 3, 100);
    assert.equal(b.calls.length, 2, 'acked: never again');
    await b.system.stop(0);
    await a.system.stop(0);
    await store.close();
  });

  it('the dead letter is committed before the ack: a store that fails keeps the event for a later attempt; a node dying after the write has the repeat find it', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const base = openSqliteStore(':memory:');
    let failWrites = 1;
    const queue: QueueRepo = Object.assign(Object.create(base.queue) as QueueRepo, {
      addDead: async (...args: Parameters<QueueRepo['addDead']>) => {
        if (failWrites-- > 0) throw new Error('the store is down');
        return base.queue.addDead(...args);
      },
    });
    const store: Store = Object.assign(Object.create(base) as Store, { queue });
    // The node dies right after its first dead-letter write: that ack never reaches the log.
    let dropAcks = 0;
    const log = openLocalTopicLog(clock);
    const flaky: TopicLog = {
      ...log,
      consume: (topic, sub, options, handler) =>
        log.consume(topic, sub, options, (d) => handler({ ...d, data: d.data, seq: d.seq, attempt: d.attempt, ack: () => (dropAcks-- > 0 ? undefined : d.ack()), retry: d.retry, extend: d.extend })),
    };
    const errors: string[] = [];
    const h = await harness([{ name: 'a' }, { name: 'audit' }], { clock, store, topicLog: { log: flaky, ackWaitMs: ACK_WAIT }, onError: (_e, what) => errors.push(what) });
    await h.system.policies.put('a', { maxAttempts: 1, onFailure: { kind: 'function', name: 'audit' } }, h.clock.now());
    await h.system.triggers.create('a', { topic: 'orders' });
    h.script = (req) => (req.functionName === 'a' ? fail(req) : ok(req));
    const [id] = (await h.system.topics.publish('orders', [event('1', 'x')])).ids;
    await h.step(1_000);
    assert.deepEqual(await h.store.queue.list({ state: 'dead', limit: 10 }), [], 'the write failed');
    assert.match(errors.join('\n'), /delivering event/);
    dropAcks = 1;
    await h.step(ACK_WAIT + 1_000);
    assert.deepEqual((await h.store.queue.list({ state: 'dead', limit: 10 })).map((i) => [i.id, i.deadReason, i.attempts]), [[id, 'max-attempts', 2]]);
    assert.equal(dropAcks, 0, 'that ack was lost');
    await h.step(ACK_WAIT * 3);
    assert.deepEqual(h.calls.map((c) => `${c.req.functionName}:${c.req.attempt}`), ['a:1', 'a:2', 'audit:1'], 'the repeat after the lost ack runs nothing and sends nothing again');
    assert.equal((await h.store.queue.list({ state: 'dead', limit: 10 })).length, 1);
    await h.system.stop(0);
    await base.close();
  });

  it('an event whose workflow cannot be started is dead-lettered as a start-workflow item; its redrive starts the execution named as the log would have', async () => {
    const clock = new FakeClock(1_700_000_000_000);
    const store = openSqliteStore(':memory:');
    const engine = new WorkflowEngine({ clock, repo: store.workflows, invoke: async () => assert.fail('no tasks here'), onError: (e) => assert.fail(String(e)) });
    await engine.deploy('echo', { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
    const names: string[] = [];
    let gone = true;
    const h = await harness([], {
      clock,
      store,
      topicLog: { log: openLocalTopicLog(clock), ackWaitMs: ACK_WAIT },
      onError: () => {},
      startWorkflow: async (r) => {
        names.push(r.name);
        if (gone) throw new NimbusError('NIMBUS_ERR_WORKFLOW_NOT_FOUND', 'workflow "echo" does not exist');
        const { execution, created } = await engine.start(r.workflow, r.input, { name: r.name, source: r.source });
        return { executionId: execution.id, created };
      },
    });
    await h.system.triggers.create({ workflow: 'echo' }, { topic: 'orders' });
    const [id] = (await h.system.topics.publish('orders', [event('1', 'x')])).ids;
    await h.step(1_000);
    const dead = await h.store.queue.list({ state: 'dead', limit: 10 });
    assert.deepEqual(dead.map((i) => [i.id, i.kind, i.target, i.deadReason, i.lastError?.code]), [[id, 'start-workflow', 'workflow:echo', 'non-retryable', 'NIMBUS_ERR_WORKFLOW_NOT_FOUND']]);
    gone = false;
    await h.store.queue.redrive(id, h.clock.now());
    h.system.consumer.wake();
    await h.step(1_000);
    assert.equal((await h.store.queue.get(id))?.state, 'succeeded');
    assert.equal(names.length, 2);
    assert.equal(names[1], names[0], 'the same execution name: a start the log made before it gave up is found, not repeated');
    await h.close();
  });

  it('a subscription removed stops getting events; one added gets only what is published after it (less the skew allowed); a policy exhausted gives the event up', async () => {
    const errors: string[] = [];
    const clock = new FakeClock(1_700_000_000_000);
    const h = await harness([{ name: 'a' }, { name: 'b' }], {
      clock,
      topicLog: { log: openLocalTopicLog(clock), ackWaitMs: ACK_WAIT },
      onError: (_e, what) => errors.push(what),
    });
    const sub = await h.system.triggers.create('a', { topic: 'orders' });
    await h.system.topics.publish('orders', [event('1', 'x')]);
    await h.step(100);
    await h.system.triggers.remove(sub.id);
    await h.system.topics.publish('orders', [event('2', 'x')]);
    // Later than the clock skew a subscription's start allows for (a fifth of the ack wait).
    await h.step(ACK_WAIT / 5 + 100);
    await h.system.policies.put('b', { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 100 }, h.clock.now());
    await h.system.triggers.create('b', { topic: 'orders' });
    h.script = (req) => fail(req);
    await h.system.topics.publish('orders', [event('3', 'x')]);
    await h.step(5_000);
    assert.deepEqual(
      h.calls.map((c) => `${c.req.functionName}:${eventId({ calls: [c] } as Harness, 0)}:${c.req.attempt}`),
      ['a:1:1', 'b:3:1', 'b:3:2'],
    );
    assert.equal(errors.length, 1);
    assert.match(errors[0], /given up: max-attempts; dead-lettered/);
    assert.deepEqual((await h.store.queue.list({ state: 'dead', limit: 10 })).map((i) => [i.target, i.deadReason, i.attempts]), [['b', 'max-attempts', 2]]);
    await h.close();
  });
});
