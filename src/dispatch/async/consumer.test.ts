import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { NimbusError } from '../../core/errors.ts';
import { DEFAULT_ASYNC_POLICY } from './policy.ts';
import { attemptRecord, fail, harness, ok } from './testing.ts';

const T0 = 1_700_000_000_000;

describe('async consumer (fake clock, scripted function)', () => {
  it('runs a submitted event once with its id, attempt 1 and the async trigger, then marks it succeeded', async () => {
    const h = await harness();
    const { id, created } = await h.system.submit('fn', { n: 1 });
    assert.equal(created, true);
    await h.step(100);
    assert.equal(h.calls.length, 1);
    const req = h.calls[0].req;
    assert.deepEqual([req.invocationId, req.attempt, req.trigger, req.functionName], [id, 1, 'async', 'fn']);
    // the payload goes along as the text it is stored as: a runtime may pass it on instead of copying the event
    assert.deepEqual(req.input, { kind: 'event', event: { n: 1 }, json: '{"n":1}' });
    const item = await h.store.queue.get(id);
    assert.equal(item?.state, 'succeeded');
    // Its record was committed with it (no recorder here: the queue wrote it).
    assert.deepEqual(await h.store.invocations.get(id), attemptRecord(req));
    await h.close();
  });

  it('retries with the full-jitter backoff schedule, then dead-letters after maxAttempts', async () => {
    const h = await harness();
    await h.system.policies.put('fn', { maxAttempts: 4, initialDelayMs: 1_000, maxDelayMs: 3_000 }, T0);
    h.script = (req) => fail(req);
    const { id } = await h.system.submit('fn', {});
    await h.step(10_000);
    // random() = 0.5: delays are half the ceilings 1 s, 2 s, 3 s (capped).
    assert.deepEqual(h.calls.map((c) => c.at - T0), [0, 500, 1_500, 3_000]);
    assert.deepEqual(h.calls.map((c) => c.req.attempt), [1, 2, 3, 4]);
    assert.ok(h.calls.every((c) => c.req.invocationId === id));
    const item = await h.store.queue.get(id);
    assert.deepEqual([item?.state, item?.deadReason, item?.attempts, item?.lastError?.code], ['dead', 'max-attempts', 4, 'NIMBUS_ERR_FUNCTION_ERROR']);
    assert.match(item!.lastError!.message, /boom/);
    // The last attempt's record went with the dead-lettering.
    assert.deepEqual(await h.store.invocations.get(id), attemptRecord(h.calls[3].req, { status: 'error', errorCode: 'NIMBUS_ERR_FUNCTION_ERROR' }));
    await h.close();
  });

  it('dead-letters with max-age when the next retry would start after the event expires', async () => {
    const h = await harness();
    await h.system.policies.put('fn', { maxAttempts: 10, initialDelayMs: 4_000, maxDelayMs: 4_000, maxEventAgeMs: 3_000 }, T0);
    h.script = (req) => fail(req);
    const { id } = await h.system.submit('fn', {});
    await h.step(5_000);
    assert.equal(h.calls.length, 2, 'retry after 2 s is inside the 3 s age; the next one is not');
    const item = await h.store.queue.get(id);
    assert.deepEqual([item?.state, item?.deadReason], ['dead', 'max-age']);
    await h.close();
  });

  it('a non-retryable error dead-letters at once', async () => {
    const h = await harness();
    h.script = (req) => fail(req, 'NIMBUS_ERR_VALIDATION');
    const { id } = await h.system.submit('fn', {});
    await h.step(5_000);
    assert.equal(h.calls.length, 1);
    assert.equal((await h.store.queue.get(id))?.deadReason, 'non-retryable');
    await h.close();
  });

  it('tells the recorder of each attempt record the queue committed with its outcome (not a throttled run: its release commits no record, so the recorder writes that one)', async () => {
    const committed: Array<[string, number, string]> = [];
    const h = await harness([{ name: 'fn' }], { recordCommitted: (r) => void committed.push([r.id, r.attempt, r.status]) });
    await h.system.policies.put('fn', { maxAttempts: 3, initialDelayMs: 1_000, maxDelayMs: 1_000 }, T0);
    h.script = (req, n) => (n === 1 ? fail(req) : n === 2 ? fail(req, 'NIMBUS_ERR_THROTTLED') : ok(req));
    const { id } = await h.system.submit('fn', {});
    await h.step(5_000);
    assert.deepEqual(h.calls.map((c) => c.req.attempt), [1, 2, 2]);
    assert.ok(h.calls.every((c) => c.req.recordCommittedByCaller === true), 'the dispatcher is told the queue commits the record');
    assert.deepEqual(committed, [[id, 1, 'error'], [id, 2, 'success']]);
    assert.deepEqual(await h.store.invocations.get(id), attemptRecord(h.calls[2].req), 'the store has the last one');
    await h.close();
  });

  it('a throttle puts the event back without counting an attempt', async () => {
    const h = await harness();
    h.script = (req, n) => (n === 1 ? fail(req, 'NIMBUS_ERR_THROTTLED', 2) : ok(req));
    const { id } = await h.system.submit('fn', {});
    await h.step(5_000);
    assert.deepEqual(h.calls.map((c) => [c.at - T0, c.req.attempt]), [[0, 1], [2_000, 1]], 'Retry-After 2 s honoured, same attempt number');
    const item = await h.store.queue.get(id);
    assert.deepEqual([item?.state, item?.attempts, item?.throttles], ['succeeded', 1, 1]);
    await h.close();
  });

  it('onSuccess to a function and onFailure to a webhook deliver a CloudEvent with the destination record', async () => {
    const h = await harness([{ name: 'fn' }, { name: 'audit' }]);
    await h.system.policies.put(
      'fn',
      { maxAttempts: 1, onSuccess: { kind: 'function', name: 'audit' }, onFailure: { kind: 'webhook', url: 'http://127.0.0.1:9/hook' } },
      T0,
    );
    h.script = (req) => (req.functionName === 'fn' && (req.input as { event: { fail?: boolean } }).event.fail ? fail(req) : ok(req, { result: 42 }));
    const good = await h.system.submit('fn', { fail: false });
    const bad = await h.system.submit('fn', { fail: true });
    await h.step(2_000);
    const audit = h.calls.filter((c) => c.req.functionName === 'audit');
    assert.equal(audit.length, 1);
    const ce = (audit[0].req.input as { event: Record<string, any> }).event;
    assert.equal(ce.type, 'dev.nimbus.async.success');
    assert.equal(ce.subject, good.id);
    assert.deepEqual(ce.data.responsePayload, { result: 42 });
    assert.deepEqual(ce.data.requestPayload, { fail: false });
    assert.equal(h.webhooks.length, 1);
    const hook = h.webhooks[0].request;
    assert.equal(hook.url, 'http://127.0.0.1:9/hook');
    assert.match(hook.headers['content-type'], /application\/cloudevents\+json/);
    const body = JSON.parse(hook.body);
    assert.deepEqual([body.type, body.subject, body.data.requestContext.condition], ['dev.nimbus.async.failure', bad.id, 'max-attempts']);
    await h.close();
  });

  it('a failing webhook is retried by its own policy and dead-lettered on a 4xx', async () => {
    const h = await harness();
    await h.system.policies.put('fn', { onSuccess: { kind: 'webhook', url: 'http://127.0.0.1:9/hook' } }, T0);
    h.webhookStatus = 503;
    await h.system.submit('fn', {});
    await h.step(1_000);
    assert.equal(h.webhooks.length, 2, 'first try, then a retry after 0.5 s');
    h.webhookStatus = 404;
    await h.step(2_000);
    assert.equal(h.webhooks.length, 3);
    const dead = await h.store.queue.list({ state: 'dead', limit: 10 });
    assert.deepEqual(dead.map((d) => [d.kind, d.deadReason, d.lastError?.code]), [['webhook', 'non-retryable', 'HTTP_404']]);
    await h.close();
  });

  it('onSuccess to a topic reaches its subscribers through the queue', async () => {
    const h = await harness([{ name: 'fn' }, { name: 'sink' }]);
    await h.system.triggers.create('sink', { topic: 'done', filter: { type: { prefix: 'dev.nimbus.async.' } } });
    await h.system.policies.put('fn', { onSuccess: { kind: 'topic', name: 'done' } }, T0);
    await h.system.submit('fn', { x: 1 });
    await h.step(500);
    const sink = h.calls.filter((c) => c.req.functionName === 'sink');
    assert.equal(sink.length, 1);
    assert.equal(sink[0].req.trigger, 'event');
    await h.close();
  });

  it('a topic destination that does not exist is refused when the policy is set, naming the field', async () => {
    const h = await harness();
    await assert.rejects(
      h.system.policies.put('fn', { onFailure: { kind: 'topic', name: 'nowhere' } }, T0),
      (e: NimbusError) => e.code === 'NIMBUS_ERR_VALIDATION' && e.extra.field === 'async.onFailure.name' && /topic "nowhere" does not exist.*nimbus topics create nowhere/.test(e.message),
    );
    assert.deepEqual(await h.system.policies.get('fn'), DEFAULT_ASYNC_POLICY, 'nothing stored');
    // A subscription declared in the same deploy creates the topic: that one may be named.
    await h.system.policies.check({ onSuccess: { kind: 'topic', name: 'soon' } }, 'async', new Set(['soon']));
    await h.close();
  });

  it('a function cannot be its own destination (each outcome would invoke it again, without end)', async () => {
    const h = await harness([{ name: 'fn' }, { name: 'sink' }]);
    for (const key of ['onSuccess', 'onFailure']) {
      await assert.rejects(
        h.system.policies.put('fn', { [key]: { kind: 'function', name: 'fn' } }, T0),
        (e: NimbusError) => e.code === 'NIMBUS_ERR_VALIDATION' && e.extra.field === `async.${key}.name` && /cannot be its own destination/.test(e.message),
      );
      await assert.rejects(h.system.policies.check({ [key]: { kind: 'function', name: 'fn' } }, 'async', new Set(), 'fn'), /cannot be its own destination/);
    }
    assert.deepEqual(await h.system.policies.get('fn'), DEFAULT_ASYNC_POLICY, 'nothing stored');
    await h.system.policies.put('fn', { onSuccess: { kind: 'function', name: 'sink' } }, T0);
    await h.close();
  });

  it('a topic destination deleted later: the item is dead-lettered, and dlq shows why', async () => {
    const h = await harness([{ name: 'fn' }, { name: 'sink' }]);
    await h.system.triggers.create('sink', { topic: 'done', filter: {} });
    await h.system.policies.put('fn', { onSuccess: { kind: 'topic', name: 'done' }, onFailure: { kind: 'topic', name: 'done' }, maxAttempts: 1 }, T0);
    await h.store.topics.delete('done');
    const ok1 = await h.system.submit('fn', { x: 1 });
    await h.step(500);
    h.script = (req) => fail(req);
    const failed = await h.system.submit('fn', { x: 2 });
    await h.step(500);
    const success = await h.store.queue.get(ok1.id);
    assert.deepEqual([success?.state, success?.deadReason, success?.lastError?.code], ['dead', 'destination-failed', 'NIMBUS_ERR_TOPIC_NOT_FOUND']);
    assert.match(success!.lastError!.message, /^onSuccess destination: topic "done" does not exist/);
    const failure = await h.store.queue.get(failed.id);
    assert.deepEqual([failure?.state, failure?.deadReason, failure?.lastError?.code], ['dead', 'destination-failed', 'NIMBUS_ERR_TOPIC_NOT_FOUND']);
    assert.match(failure!.lastError!.message, /^onFailure destination: topic "done" does not exist.*; the invocation itself ended max-attempts \(NIMBUS_ERR_FUNCTION_ERROR: Error: boom\)$/);
    assert.equal(h.calls.filter((c) => c.req.functionName === 'sink').length, 0);
    await h.close();
  });

  it('redrive runs a dead event again from attempt 1 with the same id', async () => {
    const h = await harness();
    await h.system.policies.put('fn', { maxAttempts: 1 }, T0);
    h.script = (req) => fail(req);
    const { id } = await h.system.submit('fn', {});
    await h.step(500);
    assert.equal((await h.store.queue.get(id))?.state, 'dead');
    h.script = (req) => ok(req);
    assert.equal(await h.store.queue.redrive(id, h.clock.now()), true);
    h.system.consumer.wake();
    await h.step(500);
    assert.deepEqual(h.calls.map((c) => [c.req.invocationId, c.req.attempt]), [[id, 1], [id, 1]]);
    assert.equal((await h.store.queue.get(id))?.state, 'succeeded');
    await h.close();
  });

  it('an Idempotency-Key repeat returns the first id and runs once', async () => {
    const h = await harness();
    const a = await h.system.submit('fn', { n: 1 }, { idempotencyKey: 'order-7' });
    const b = await h.system.submit('fn', { n: 2 }, { idempotencyKey: 'order-7' });
    assert.deepEqual(b, { id: a.id, created: false });
    await h.step(500);
    assert.equal(h.calls.length, 1);
    await h.close();
  });

  it('never runs more than maxInstances x concurrency at once, counting work from other triggers', async () => {
    const h = await harness([{ name: 'fn', maxInstances: 2, concurrency: 3 }]);
    const gates: Array<() => void> = [];
    let running = 0;
    let peak = 0;
    h.script = (req) =>
      new Promise((resolve) => {
        running++;
        peak = Math.max(peak, running);
        gates.push(() => {
          running--;
          resolve(ok(req));
        });
      });
    h.others = 2; // two HTTP requests already in flight
    for (let i = 0; i < 20; i++) await h.system.submit('fn', { i });
    await h.step(200);
    assert.equal(running, 4, '6 slots minus 2 busy');
    h.others = 0;
    while (h.calls.length < 20 || running > 0) {
      gates.splice(0).forEach((g) => g());
      await h.step(200);
      assert.ok(running <= 6, `running ${running}`);
    }
    assert.equal(peak, 6);
    assert.deepEqual(await h.store.queue.counts('fn'), { queued: 0, running: 0, succeeded: 20, dead: 0 });
    await h.close();
  });

  it('after a crash, items left running are recovered and run again with the next attempt number', async () => {
    const first = await harness();
    const { id } = await first.system.submit('fn', {});
    // Simulate the crash: a claim whose consumer never finishes.
    await first.system.stop(0);
    await first.store.queue.recover(first.clock.now());
    const [claimed] = await first.store.queue.claim('fn', 1, first.clock.now(), 60_000);
    assert.equal(claimed.id, id);
    const second = await harness([{ name: 'fn' }], { store: first.store, clock: first.clock });
    await second.step(200);
    assert.deepEqual(second.calls.map((c) => [c.req.invocationId, c.req.attempt]), [[id, 2]]);
    assert.equal((await second.store.queue.get(id))?.state, 'succeeded');
    await second.close();
  });

  it('an event for a deleted function is dead-lettered, not kept forever', async () => {
    const h = await harness();
    h.script = (req) => fail(req, 'NIMBUS_ERR_FUNCTION_NOT_FOUND');
    const { id } = await h.system.submit('fn', {});
    await h.store.functions.delete('fn');
    await h.step(500);
    assert.equal((await h.store.queue.get(id))?.deadReason, 'non-retryable');
    await h.close();
  });
  it('a submit with room is enqueued claimed and started at once: no claim, no pass', async () => {
    const h = await harness();
    const claims: string[] = [];
    const claim = h.store.queue.claim.bind(h.store.queue);
    h.store.queue.claim = (target, ...rest) => {
      claims.push(target);
      return claim(target, ...rest);
    };
    let release!: () => void;
    h.script = (req) => new Promise((resolve) => (release = () => resolve(ok(req))));
    await h.step(0); // the first pass: nothing waits
    const { id } = await h.system.submit('fn', { n: 1 });
    // Running, attempt 1, as a claim would have left it, before any timer or pass ran; its lease
    // covers a wait for a starting instance (up to the 5 s timeout), the timeout, and the margin.
    const item = await h.store.queue.get(id);
    assert.deepEqual([item?.state, item?.attempts, item?.dueAt], ['running', 1, T0 + 5_000 + 5_000 + 60_000]);
    await h.settle();
    assert.deepEqual(h.calls.map((c) => [c.req.invocationId, c.req.attempt]), [[id, 1]]);
    release();
    await h.step(100);
    assert.equal((await h.store.queue.get(id))?.state, 'succeeded');
    assert.deepEqual(claims, []);
    await h.close();
  });

  it('a submit while due items of the function wait is queued behind them; room comes back when the backlog is gone', async () => {
    const h = await harness([{ name: 'fn', maxInstances: 1, concurrency: 1 }]);
    const gates: Array<() => void> = [];
    h.script = (req) => new Promise((resolve) => gates.push(() => resolve(ok(req))));
    const order: string[] = [];
    const submit = async (n: string) => {
      await h.step(1); // one millisecond apart: due order is submit order
      await h.system.submit('fn', { n });
      await h.settle();
    };
    await h.step(0); // the first pass: nothing waits
    await submit('a'); // room: started at once
    await submit('b'); // no room: queued
    await submit('c');
    assert.deepEqual(await h.store.queue.counts('fn'), { queued: 2, running: 1, succeeded: 0, dead: 0 });
    const next = async () => {
      gates.shift()!();
      await h.step(100);
      order.push(...h.calls.slice(order.length).map((c) => (c.req.input as { event: { n: string } }).event.n));
    };
    order.push('a');
    await next(); // a done: b claimed by a pass
    // b done: its room is free until the pass it asked for claims c; a submit meanwhile waits behind c.
    gates.shift()!();
    await h.settle();
    assert.equal(h.system.consumer.active(), 0);
    const d = await h.system.submit('fn', { n: 'd' });
    assert.equal((await h.store.queue.get(d.id))?.state, 'queued');
    await h.step(100);
    order.push(...h.calls.slice(order.length).map((c) => (c.req.input as { event: { n: string } }).event.n));
    await next();
    await next();
    assert.deepEqual(order, ['a', 'b', 'c', 'd']);
    assert.deepEqual(await h.store.queue.counts('fn'), { queued: 0, running: 0, succeeded: 4, dead: 0 });
    // Nothing waits any more: the next submit starts at once.
    await submit('e');
    assert.equal((h.calls.at(-1)?.req.input as { event: { n: string } }).event.n, 'e');
    gates.shift()!();
    await h.step(100);
    await h.close();
  });

  it('a reservation given back (an Idempotency-Key repeat) frees its room', async () => {
    const h = await harness([{ name: 'fn', maxInstances: 1, concurrency: 1 }]);
    let release!: () => void;
    h.script = (req) => new Promise((resolve) => (release = () => resolve(ok(req))));
    await h.step(0); // the first pass: nothing waits
    const a = await h.system.submit('fn', {}, { idempotencyKey: 'k' });
    await h.settle();
    release();
    await h.step(100);
    assert.equal(h.system.consumer.active(), 0);
    assert.deepEqual(await h.system.submit('fn', {}, { idempotencyKey: 'k' }), { id: a.id, created: false });
    assert.equal(h.system.consumer.active(), 0, 'the repeat took no room');
    const b = await h.system.submit('fn', {});
    await h.settle();
    assert.equal((await h.store.queue.get(b.id))?.state, 'running');
    release();
    await h.step(100);
    assert.equal(h.calls.length, 2);
    await h.close();
  });
});
