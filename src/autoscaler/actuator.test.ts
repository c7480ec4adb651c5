import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../core/clock.ts';
import type { FunctionConfig, FunctionVersion } from '../core/types.ts';
import { Capacity } from '../pool/capacity.ts';
import { PoolRegistry } from '../pool/registry.ts';
import type { Lease, VersionPool } from '../pool/version-pool.ts';
import { FakeRuntime, fakeInstanceSpec } from '../runtime/testing/fake-runtime.ts';
import { Autoscaler, pickToRetire, type ScaleEvent } from './actuator.ts';

const BASE: FunctionConfig = {
  memoryMb: 128,
  timeoutMs: 60_000,
  cpuLimitMs: 60_000,
  env: {},
  concurrency: 10,
  targetConcurrency: 10,
  minInstances: 0,
  maxInstances: 50,
  idleTimeoutMs: 4_000,
  runtime: 'isolate',
};

const TICK = 2_000;
const settle = () => new Promise((r) => setImmediate(r));

function versionOf(config: Partial<FunctionConfig>, v = 1): FunctionVersion {
  return {
    functionName: 'f',
    version: v,
    hash: 'h',
    codeHash: 'c',
    codeBytes: 1,
    config: { ...BASE, ...config },
    exports: { fetch: true, handler: true },
    createdAt: 0,
  };
}

function setup(config: Partial<FunctionConfig> = {}, opts: { capacity?: Capacity; queueLimit?: number; stableWindowMs?: number; panicWindowMs?: number; tickMs?: number } = {}) {
  const clock = new FakeClock(0);
  const runtime = new FakeRuntime();
  const capacity = opts.capacity ?? new Capacity(1000, 1_000_000);
  const events: ScaleEvent[] = [];
  const scaler = new Autoscaler({
    clock,
    capacity,
    platform: { stableWindowMs: opts.stableWindowMs ?? 10_000, panicWindowMs: opts.panicWindowMs ?? 1_000 },
    onEvent: (e) => events.push(e),
  });
  let n = 0;
  const registry = new PoolRegistry(
    {
      clock,
      runtime,
      capacity,
      queueLimit: opts.queueLimit ?? 1000,
      newInstanceId: () => `i${++n}`,
      instanceSpec: fakeInstanceSpec,
      scaler,
    },
    clock,
    opts.tickMs ?? TICK,
  );
  const version = versionOf(config);
  const pool = registry.poolFor(version);
  /** Instances that exist and are not draining, plus those starting. */
  const live = (p: VersionPool = pool) => {
    const v = p.scaleView();
    return v.active + v.starting;
  };
  /** Advances one tick at a time, letting starts settle, and returns the live count after each. */
  const ticks = async (count: number) => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      clock.advance(TICK);
      await settle();
      out.push(live());
    }
    return out;
  };
  const acquireMany = async (k: number) => {
    const leases: Lease[] = [];
    for (let i = 0; i < k; i++) void pool.acquire(clock.now() + 60_000).then((l) => leases.push(l));
    await settle();
    await settle();
    return leases;
  };
  return { clock, runtime, capacity, scaler, registry, pool, version, live, ticks, acquireMany, events };
}

describe('pickToRetire', () => {
  it('takes idle instances longest idle first, then the least busy', () => {
    const instances = [
      { id: 'busy3', inFlight: 3, lastUsedAt: 1 },
      { id: 'idle-new', inFlight: 0, lastUsedAt: 50 },
      { id: 'busy1', inFlight: 1, lastUsedAt: 90 },
      { id: 'idle-old', inFlight: 0, lastUsedAt: 10 },
    ];
    assert.deepEqual(pickToRetire(instances, 1), ['idle-old']);
    assert.deepEqual(pickToRetire(instances, 3), ['idle-old', 'idle-new', 'busy1']);
    assert.deepEqual(pickToRetire(instances, 0), []);
  });
});

describe('Autoscaler (actuator) with a fake runtime', () => {
  it('a cold burst starts only the instances the target calls for, in one decision', async () => {
    const { runtime, acquireMany, scaler, pool } = setup({ concurrency: 10, targetConcurrency: 10 });
    const leases = await acquireMany(40);
    assert.equal(runtime.started.length, 4);
    assert.equal(leases.length, 40);
    assert.ok(leases.every((l) => l.cold));
    const { recent } = scaler.decisionsFor('f');
    assert.equal(recent.length, 1);
    assert.equal(recent[0].desired, 4);
    // All 40 came in one turn: the demand is 4 at target 10, and 4 ≥ 2× the none ready.
    assert.equal(recent[0].mode, 'panic');
    assert.equal(recent[0].started, 4);
    assert.equal(recent[0].trigger, 'demand');
    assert.equal(pool.stats().queued, 0);
  });

  /**
   * A burst at a cold function, arriving after its first instance is up: 1 request starts
   * it, then 59 more come (10 in flight at the hard limit, 50 queued). Over the next 10 ms
   * (the demand gap) the instance completes `servedBy10ms` of them, a tenth each ms; the
   * decision at t=10 comes before that ms's share. Instances report a 5 ms start.
   */
  async function burstAfterFirst(servedBy10ms: number) {
    const t = setup({ concurrency: 10, targetConcurrency: 10 });
    t.runtime.behaviour.initMs = 5;
    const leases: Lease[] = [];
    void t.pool.acquire(t.clock.now() + 60_000).then((l) => leases.push(l));
    await settle();
    await settle();
    assert.equal(t.runtime.started.length, 1, 'activation: one instance for one request');
    for (let i = 0; i < 59; i++) void t.pool.acquire(t.clock.now() + 60_000).then((l) => leases.push(l));
    await settle();
    assert.deepEqual([t.pool.stats().inFlight, t.pool.stats().queued], [10, 50]);
    for (let ms = 1; ms <= 10; ms++) {
      t.clock.advance(1);
      // each ms the instance completes its share; a completion lets a waiting request in
      for (let k = 0; k < servedBy10ms / 10; k++) leases.shift()?.release();
      await settle();
    }
    return t;
  }

  it('a burst the ready instance serves faster than an instance starts starts no more (drain)', async () => {
    // 36 served in 10 ms; a start takes 5 ms, in which one instance serves 18. Of the 24
    // present at t=10 (10 in flight, 14 queued) 6 are left by then: not worth a start.
    const { runtime, scaler, pool } = await burstAfterFirst(40);
    assert.equal(runtime.started.length, 1);
    const last = scaler.decisionsFor('f').latest!;
    assert.deepEqual([last.trigger, last.desired, last.boundBy], ['demand', 1, 'drain']);
    assert.match(last.reason, /served 36 in 10 ms.*of the 24 present 6 are left by then, worth 0 more → 1/);
    assert.equal(pool.stats().queued, 10);
  });

  it('a burst the ready instance serves slowly starts the instances the backlog needs', async () => {
    // 9 served in 10 ms: one instance serves 4.5 in a start. 51 present (10 in flight, 41
    // queued): 46.5 left by then, worth 10 more; the burst asks ⌈51/10⌉ = 6, so 6 it is.
    const { runtime, scaler } = await burstAfterFirst(10);
    assert.equal(runtime.started.length, 6);
    const last = scaler.decisionsFor('f').latest!;
    assert.deepEqual([last.trigger, last.desired, last.started], ['demand', 6, 5]);
    assert.notEqual(last.boundBy, 'drain');
  });

  it('a queue that completes nothing in a start is not held back, and the hold is looked at again without a new request', async () => {
    const { runtime, pool, clock, scaler, acquireMany } = setup({ concurrency: 10, targetConcurrency: 10 });
    runtime.behaviour.initMs = 25;
    const first = await acquireMany(1);
    assert.equal(first.length, 1);
    await acquireMany(39); // 10 in flight, 30 queued, nothing completes
    clock.advance(10); // waited 10 ms < a 25 ms start: held, and looked at again in 10 ms
    await settle();
    assert.equal(runtime.started.length, 1);
    assert.equal(scaler.decisionsFor('f').latest?.boundBy, 'drain');
    clock.advance(10);
    await settle();
    assert.equal(runtime.started.length, 1, 'still measuring at 20 ms');
    clock.advance(10);
    await settle();
    // 30 ms ≥ 25 and nothing completed: a slow function, every start helps; backlog ⌈40/10⌉ = 4.
    assert.equal(runtime.started.length, 4);
    assert.equal(pool.stats().queued, 0);
  });

  it('a request arriving while an instance starts waits for it instead of starting another', async () => {
    const { runtime, pool, clock } = setup({ concurrency: 10, targetConcurrency: 10 });
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    runtime.behaviour.startGate = () => gate;
    const first = pool.acquire(clock.now() + 10_000);
    await settle();
    clock.advance(100);
    const second = pool.acquire(clock.now() + 10_000);
    await settle();
    clock.advance(100);
    await settle();
    assert.equal(pool.scaleView().starting, 1);
    open();
    const [a, b] = await Promise.all([first, second]);
    assert.equal(runtime.started.length, 1);
    assert.equal(a.instance.id, b.instance.id);
    assert.equal(b.cold, true);
  });

  it('step load up and back: holds in panic, then shrinks at the down rate to zero after the idle period', async () => {
    // stable window 10 s, panic window 1 s, idle 4 s, ticks every 2 s.
    const { acquireMany, ticks, live, clock, scaler } = setup({ idleTimeoutMs: 4_000 });
    const leases = await acquireMany(40); // t=0: 4 started (activation)
    assert.equal(live(), 4);
    // Load holds for 6 s: 4 carry 40 at target 10, no change.
    assert.deepEqual(await ticks(3), [4, 4, 4]); // t=2,4,6
    for (const l of leases) l.release(); // t=6: the load stops
    // Panic (triggered at t=0, while none was ready) holds 4 until t=10 — the decision at
    // t=10 is the first one outside the stable window since the last trigger.
    assert.deepEqual(await ticks(1), [4]); // t=8: panic-hold
    // t=10: stable; idle 4 s ≥ 4 s → 0, rate-down floor(4/2) → 2; t=12 → 1; t=14 → 0.
    assert.deepEqual(await ticks(3), [2, 1, 0]);
    const recent = scaler.decisionsFor('f').recent;
    const last = recent[0];
    assert.equal(last.desired, 0);
    assert.equal(last.mode, 'stable');
    const hold = recent.find((e) => e.boundBy === 'panic-hold');
    assert.ok(hold, 'a panic-hold decision is kept');
    assert.ok(recent.some((e) => e.boundBy === 'rate-down' && e.desired === 2 && e.retired === 2));
    assert.equal(clock.now(), 14_000);
  });

  it('keeps one instance through the idle period, then scales to zero (one policy, no registry idle retirement)', async () => {
    const { pool, clock, ticks, registry, live } = setup({ idleTimeoutMs: 5_000, concurrency: 10, targetConcurrency: 10 });
    (await pool.acquire(clock.now() + 1000)).release(); // one request at t=0, from zero (no panic)
    assert.equal(live(), 1);
    // t=2,4: idle-grace keeps 1; t=6: idle 6 s ≥ 5 s → 0.
    assert.deepEqual(await ticks(3), [1, 1, 0]);
    assert.equal(registry.all().length, 0, 'the empty pool is forgotten');
  });

  it('min instances: warmed on deploy, kept when idle', async () => {
    const { registry, runtime, ticks, scaler } = setup();
    const v2 = versionOf({ minInstances: 2, idleTimeoutMs: 1_000 }, 2);
    registry.retireOtherVersions('f', [2]);
    registry.warm(v2);
    await settle();
    assert.equal(runtime.live().length, 2);
    const pool2 = registry.peek(v2)!;
    const { latest } = scaler.decisionsFor('f');
    assert.equal(latest?.boundBy, 'min');
    assert.equal(latest?.trigger, 'deploy');
    await ticks(5);
    assert.equal(pool2.scaleView().active, 2);
  });

  it('never exceeds maxInstances; the rest wait in the queue', async () => {
    const { runtime, acquireMany, pool, scaler } = setup({ maxInstances: 3 });
    const leases = await acquireMany(100);
    assert.equal(runtime.started.length, 3);
    assert.equal(leases.length, 30);
    assert.equal(pool.stats().queued, 70);
    assert.equal(scaler.decisionsFor('f').latest?.boundBy, 'max');
  });

  it('never exceeds the platform instance cap or the memory budget, and says which one bound it', async () => {
    const byCount = setup({}, { capacity: new Capacity(2, 1_000_000) });
    await byCount.acquireMany(40);
    assert.equal(byCount.runtime.started.length, 2);
    assert.equal(byCount.scaler.decisionsFor('f').latest?.limitedBy, 'platform-instances');

    const byMemory = setup({ memoryMb: 128 }, { capacity: new Capacity(1000, 300) });
    await byMemory.acquireMany(40);
    assert.equal(byMemory.runtime.started.length, 2);
    assert.equal(byMemory.scaler.decisionsFor('f').latest?.limitedBy, 'memory-budget');
    assert.equal(byMemory.capacity.usage().memoryMb, 256);
  });

  it('live settings: a lower max retires idle instances first, busy ones drain before disposal', async () => {
    const { acquireMany, registry, pool, runtime, version, clock } = setup({ concurrency: 1, targetConcurrency: 1 });
    const leases = await acquireMany(4);
    assert.equal(runtime.started.length, 4);
    clock.advance(100);
    leases[2].release(); // idle since t=100
    clock.advance(100);
    leases[3].release(); // idle since t=200
    registry.reconfigure({ ...version, config: { ...version.config, maxInstances: 1 } });
    // Desired 1 (max): the two idle ones go at once, then the least busy of the others drains.
    const view = pool.scaleView();
    assert.equal(view.active, 1);
    assert.equal(view.draining, 1);
    const stopped = runtime.started.filter((i) => i.deathReason() === 'disposed').map((i) => i.id);
    assert.deepEqual(stopped.sort(), [leases[2].instance.id, leases[3].instance.id].sort());
    const drainingLease = leases.slice(0, 2).find((l) => !view.instances.some((a) => a.id === l.instance.id));
    assert.ok(drainingLease, 'one busy instance is draining');
    assert.equal(drainingLease.instance.deathReason(), null, 'it is not disposed while it works');
    drainingLease.release();
    assert.equal(drainingLease.instance.deathReason(), 'disposed');
    assert.equal(pool.scaleView().draining, 0);
  });

  it('live settings: a raised min starts instances at once', async () => {
    const { registry, pool, version, runtime, acquireMany, scaler } = setup();
    const leases = await acquireMany(1);
    leases[0].release();
    registry.reconfigure({ ...version, config: { ...version.config, minInstances: 3 } });
    await settle();
    assert.equal(runtime.live().length, 3);
    assert.equal(scaler.decisionsFor('f').latest?.trigger, 'settings');
    assert.equal(pool.scaleView().active, 3);
  });

  it('queue build-up only adds instances: a demand decision never retires', async () => {
    const { acquireMany, pool, scaler, clock, live } = setup({ idleTimeoutMs: 60_000 }, { tickMs: 1e9 });
    for (const l of await acquireMany(40)) l.release();
    assert.equal(live(), 4);
    clock.advance(31_000); // outside the 10 s window and the 30 s scale-down delay: the averages say 0, idle-grace and rate-down say 2
    scaler.demand(pool);
    await settle();
    assert.equal(live(), 4);
    assert.ok(!scaler.decisionsFor('f').recent.some((e) => e.trigger === 'demand' && e.retired > 0));
    scaler.tick(pool, clock.now());
    assert.equal(live(), 2, 'the tick does shrink');
  });

  it('keeps only decisions that changed something, newest first, bounded', async () => {
    const { acquireMany, ticks, scaler } = setup({ idleTimeoutMs: 60_000 });
    await acquireMany(5);
    await ticks(30);
    const { latest, recent } = scaler.decisionsFor('f');
    assert.ok(recent.length <= 20);
    assert.ok(recent.length < 30, 'unchanged decisions are not kept');
    assert.equal(latest?.at, 60_000);
    for (let i = 1; i < recent.length; i++) assert.ok(recent[i - 1].at >= recent[i].at);
  });
});
