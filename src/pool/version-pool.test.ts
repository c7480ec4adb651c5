import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import { NimbusError } from '../core/errors.ts';
import type { FunctionConfig, FunctionVersion } from '../core/types.ts';
import { FakeRuntime, fakeInstanceSpec } from '../runtime/testing/fake-runtime.ts';
import { Capacity } from './capacity.ts';
import { VersionPool, type Lease } from './version-pool.ts';

const BASE: FunctionConfig = {
  memoryMb: 128,
  timeoutMs: 1000,
  cpuLimitMs: 1000,
  env: {},
  concurrency: 10,
  targetConcurrency: 10,
  minInstances: 0,
  maxInstances: 100,
  idleTimeoutMs: 60_000,
  runtime: 'isolate',
};

function setup(config: Partial<FunctionConfig> = {}, opts: { queueLimit?: number; capacity?: Capacity } = {}) {
  const clock = new FakeClock();
  const runtime = new FakeRuntime();
  const version: FunctionVersion = {
    functionName: 'f',
    version: 1,
    hash: 'h',
    codeHash: 'c',
    codeBytes: 1,
    config: { ...BASE, ...config },
    exports: { fetch: true, handler: true },
    createdAt: 0,
  };
  let n = 0;
  const capacity = opts.capacity ?? new Capacity(1000, 1_000_000);
  const pool = new VersionPool(version, {
    clock,
    runtime,
    capacity,
    queueLimit: opts.queueLimit ?? 1000,
    newInstanceId: () => `i${++n}`,
    instanceSpec: fakeInstanceSpec,
  });
  return { clock, runtime, pool, capacity };
}

const settle = () => new Promise((r) => setImmediate(r));

/** Starts wait until the function returned is called. */
function holdStarts(runtime: FakeRuntime): () => void {
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  runtime.behaviour.startGate = () => gate;
  return open;
}

describe('VersionPool', () => {
  it('measures what its instances serve while requests wait, from when the queue formed or an instance came up', async () => {
    const { pool, runtime, clock } = setup({ concurrency: 1, targetConcurrency: 1, maxInstances: 1 });
    runtime.behaviour.initMs = 7;
    assert.deepEqual(pool.scaleView().drain, { waitedMs: 0, served: 0, startMs: null });
    const first = await pool.acquire(clock.now() + 1000);
    const waiting = [pool.acquire(clock.now() + 1000), pool.acquire(clock.now() + 1000)];
    clock.advance(4);
    assert.deepEqual(pool.scaleView().drain, { waitedMs: 4, served: 0, startMs: 7 });
    first.release();
    const second = await waiting[0];
    clock.advance(2);
    assert.deepEqual(pool.scaleView().drain, { waitedMs: 6, served: 1, startMs: 7 });
    second.release();
    (await waiting[1]).release();
    // Nothing waits: nothing to measure; the next queue starts afresh.
    assert.deepEqual(pool.scaleView().drain, { waitedMs: 0, served: 0, startMs: 7 });
    const third = await pool.acquire(clock.now() + 1000);
    const more = pool.acquire(clock.now() + 1000);
    clock.advance(3);
    assert.deepEqual(pool.scaleView().drain, { waitedMs: 3, served: 0, startMs: 7 });
    third.release();
    (await more).release();
  });

  it('starts one instance for the first request and marks it cold', async () => {
    const { pool, runtime, clock } = setup();
    const lease = await pool.acquire(clock.now() + 1000);
    assert.equal(lease.cold, true);
    assert.equal(runtime.started.length, 1);
    lease.release();
    const warm = await pool.acquire(clock.now() + 1000);
    assert.equal(warm.cold, false);
    assert.equal(runtime.started.length, 1);
  });

  it('a burst starts only the instances the target concurrency calls for', async () => {
    const { pool, runtime, clock } = setup({ concurrency: 10, targetConcurrency: 10 });
    const leases = await Promise.all(Array.from({ length: 25 }, () => pool.acquire(clock.now() + 1000)));
    assert.equal(runtime.started.length, 3);
    assert.equal(leases.filter((l) => l.cold).length, 25);
    const perInstance = new Map<string, number>();
    for (const l of leases) perInstance.set(l.instance.id, (perInstance.get(l.instance.id) ?? 0) + 1);
    assert.ok([...perInstance.values()].every((n) => n <= 10));
  });

  it('never starts more than max instances; the rest wait for a free slot', async () => {
    const { pool, runtime, clock } = setup({ concurrency: 1, targetConcurrency: 1, maxInstances: 2 });
    const first = await Promise.all([pool.acquire(clock.now() + 1000), pool.acquire(clock.now() + 1000)]);
    let third: Lease | undefined;
    void pool.acquire(clock.now() + 1000).then((l) => (third = l));
    await settle();
    assert.equal(runtime.started.length, 2);
    assert.equal(third, undefined);
    assert.equal(pool.stats().queued, 1);
    first[0].release();
    await settle();
    const served = third as Lease | undefined;
    assert.equal(served?.instance.id, first[0].instance.id);
    assert.equal(served?.cold, false);
  });

  it('throttles with Retry-After once the queue is full', async () => {
    const { pool, clock } = setup({ concurrency: 1, targetConcurrency: 1, maxInstances: 1 }, { queueLimit: 1 });
    await pool.acquire(clock.now() + 1000);
    void pool.acquire(clock.now() + 1000).catch(() => {});
    await assert.rejects(pool.acquire(clock.now() + 1000), (e: NimbusError) => {
      assert.equal(e.code, 'NIMBUS_ERR_THROTTLED');
      assert.equal(e.retryAfterSeconds, 1);
      return true;
    });
  });

  it('a burst at a cold function waits for the instances it starts instead of being throttled', async () => {
    const { pool, runtime, clock } = setup({ concurrency: 10, targetConcurrency: 10, maxInstances: 50 }, { queueLimit: 100 });
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, () => pool.acquire(clock.now() + 1000)));
    assert.equal(outcomes.filter((o) => o.status === 'rejected').length, 0);
    assert.equal(runtime.started.length, 20);
  });

  it('the queue limit still bounds what waits beyond what max instances can take', async () => {
    const { pool, clock } = setup({ concurrency: 10, targetConcurrency: 10, maxInstances: 2 }, { queueLimit: 100 });
    const codes: string[] = [];
    for (let i = 0; i < 200; i++) pool.acquire(clock.now() + 1000).catch((e: NimbusError) => codes.push(e.code));
    await settle();
    // 2 instances x 10 take 20; 100 more may wait; the other 80 are turned away (the 100 wait on).
    assert.equal(codes.length, 80);
    assert.ok(codes.every((c) => c === 'NIMBUS_ERR_THROTTLED'));
    assert.equal(pool.stats().queued, 100);
    assert.equal(pool.load(), pool.stats().inFlight + pool.stats().queued);
    assert.equal(pool.load(), 120);
  });

  it('a request waiting for an instance that is starting waits past its deadline, until its start deadline', async () => {
    const { pool, runtime, clock } = setup({ concurrency: 1, targetConcurrency: 1, maxInstances: 1 });
    const open = holdStarts(runtime);
    const served = pool.acquire(clock.now() + 500, clock.now() + 5000);
    const late = pool.acquire(clock.now() + 500, clock.now() + 1000);
    await settle();
    assert.equal(pool.stats().starting, 1);
    clock.advance(500);
    await settle();
    assert.equal(pool.stats().queued, 2, 'both still wait: their instance is starting');
    clock.advance(500);
    await assert.rejects(late, { code: 'NIMBUS_ERR_QUEUE_TIMEOUT' });
    assert.equal(pool.stats().queued, 1);
    open();
    (await served).release();
  });

  it('once the start it was kept for is over, a request past its deadline gives up at once instead of waiting behind the busy instance', async () => {
    const { pool, runtime, clock } = setup({ concurrency: 1, targetConcurrency: 1, maxInstances: 1 });
    const open = holdStarts(runtime);
    const first = pool.acquire(clock.now() + 500, clock.now() + 5000);
    const second = pool.acquire(clock.now() + 500, clock.now() + 5000);
    await settle();
    clock.advance(500);
    await settle();
    assert.equal(pool.stats().queued, 2);
    const gaveUp = second.then(() => 'served', (e: NimbusError) => e.code);
    open();
    const lease = await first;
    await settle();
    assert.equal(pool.stats().queued, 0, 'no start under way: the second does not wait on behind the first');
    assert.equal(await gaveUp, 'NIMBUS_ERR_QUEUE_TIMEOUT');
    lease.release();
  });

  it('a request waiting behind busy instances, none starting, gives up at its deadline, not its start deadline', async () => {
    const { pool, clock } = setup({ concurrency: 1, targetConcurrency: 1, maxInstances: 1 });
    await pool.acquire(clock.now() + 1000);
    const waiting = pool.acquire(clock.now() + 500, clock.now() + 5000);
    await settle();
    assert.equal(pool.stats().starting, 0);
    clock.advance(500);
    await assert.rejects(waiting, { code: 'NIMBUS_ERR_QUEUE_TIMEOUT' });
  });

  it('a waiting request gives up at its deadline', async () => {
    const { pool, clock } = setup({ concurrency: 1, targetConcurrency: 1, maxInstances: 1 });
    await pool.acquire(clock.now() + 1000);
    const waiting = pool.acquire(clock.now() + 500);
    clock.advance(499);
    assert.equal(pool.stats().queued, 1);
    clock.advance(1);
    await assert.rejects(waiting, { code: 'NIMBUS_ERR_QUEUE_TIMEOUT' });
    assert.equal(pool.stats().queued, 0);
  });

  it('a dead instance leaves the pool and the next request gets a fresh one', async () => {
    const { pool, runtime, clock } = setup();
    const lease = await pool.acquire(clock.now() + 1000);
    runtime.started[0].kill('memory_limit');
    lease.release();
    assert.equal(pool.stats().ready, 0);
    const next = await pool.acquire(clock.now() + 1000);
    assert.equal(next.cold, true);
    assert.notEqual(next.instance.id, lease.instance.id);
  });

  it('an instance that dies between calls leaves the pool at once', async () => {
    const { pool, runtime, clock, capacity } = setup();
    (await pool.acquire(clock.now() + 1000)).release();
    assert.equal(pool.stats().ready, 1);
    runtime.started[0].kill('cpu_limit');
    assert.equal(pool.stats().ready, 0);
    assert.equal(capacity.usage().instances, 0);
  });

  it('retires instances idle past the idle timeout, keeping min instances', async () => {
    const { pool, clock } = setup({ concurrency: 1, targetConcurrency: 1, idleTimeoutMs: 10_000, minInstances: 1 });
    const leases = await Promise.all([pool.acquire(clock.now() + 1000), pool.acquire(clock.now() + 1000), pool.acquire(clock.now() + 1000)]);
    for (const l of leases) l.release();
    assert.equal(pool.stats().ready, 3);
    clock.advance(9_999);
    pool.tick(clock.now());
    assert.equal(pool.stats().ready, 3);
    clock.advance(1);
    pool.tick(clock.now());
    assert.equal(pool.stats().ready, 1);
  });

  it('scales to zero when min instances is 0, and min instances start without a request', async () => {
    const { pool, clock } = setup({ idleTimeoutMs: 1000 });
    (await pool.acquire(clock.now() + 1000)).release();
    clock.advance(1000);
    pool.tick(clock.now());
    assert.equal(pool.stats().ready, 0);

    const warm = setup({ minInstances: 2 });
    warm.pool.tick(warm.clock.now());
    await settle();
    assert.equal(warm.pool.stats().ready, 2);
  });

  it('honours the platform caps', async () => {
    const capacity = new Capacity(2, 1_000_000);
    const { pool, runtime, clock } = setup({ concurrency: 1, targetConcurrency: 1 }, { capacity });
    const got: Lease[] = [];
    for (let i = 0; i < 3; i++) void pool.acquire(clock.now() + 1000).then((l) => got.push(l), () => {});
    await settle();
    assert.equal(runtime.started.length, 2);
    assert.equal(capacity.usage().instances, 2);
    assert.equal(got.length, 2);
    got[0].release();
    await settle();
    assert.equal(got.length, 3);
  });

  it('a failing start rejects the waiting requests with its error', async () => {
    const { pool, runtime, clock, capacity } = setup();
    runtime.behaviour.onStart = () => {
      throw new NimbusError('NIMBUS_ERR_FUNCTION_INIT', 'boom at top level');
    };
    await assert.rejects(pool.acquire(clock.now() + 1000), { code: 'NIMBUS_ERR_FUNCTION_INIT' });
    assert.equal(capacity.usage().instances, 0);
  });

  it('close waits for in-flight work, refuses new work, and stops every instance', async () => {
    const { pool, runtime, clock } = setup();
    const lease = await pool.acquire(clock.now() + 1000);
    let closed = false;
    const closing = pool.close(5000).then(() => (closed = true));
    await settle();
    assert.equal(closed, false);
    await assert.rejects(pool.acquire(clock.now() + 1000), { code: 'NIMBUS_ERR_SHUTTING_DOWN' });
    lease.release();
    await closing;
    assert.equal(runtime.live().length, 0);
  });
});
