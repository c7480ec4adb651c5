/**
 * Many deployed functions, few warm (issue #23): the request path (catalog route, pool,
 * lease, the autoscaler's bookkeeping) touches only the function called, and idle
 * functions hold no timers and no pool or scaling state once their instances are gone.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Autoscaler } from '../autoscaler/actuator.ts';
import { FakeClock } from '../core/clock.ts';
import type { FunctionConfig, FunctionVersion } from '../core/types.ts';
import { Catalog } from '../dispatch/catalog.ts';
import { FakeRuntime, fakeInstanceSpec } from '../runtime/testing/fake-runtime.ts';
import type { FunctionRepo } from '../store/ports.ts';
import { Capacity } from './capacity.ts';
import { PoolRegistry } from './registry.ts';
import type { VersionPool } from './version-pool.ts';

const CONFIG: FunctionConfig = {
  memoryMb: 128,
  timeoutMs: 1000,
  cpuLimitMs: 1000,
  env: {},
  concurrency: 16,
  targetConcurrency: 10,
  minInstances: 0,
  maxInstances: 50,
  idleTimeoutMs: 60_000,
  runtime: 'isolate',
};

const DEPLOYED = 10_000;
const WARM = 100;
const TICK_MS = 1000;

function versionOf(name: string): FunctionVersion {
  return { functionName: name, version: 1, hash: `h-${name}`, codeHash: `c-${name}`, codeBytes: 1, config: CONFIG, exports: { fetch: true, handler: true }, createdAt: 0 };
}

function setup() {
  const clock = new FakeClock();
  const runtime = new FakeRuntime();
  // Installed entries are served from memory: the store is never read on these paths.
  const catalog = new Catalog({} as FunctionRepo);
  for (let i = 0; i < DEPLOYED; i++) catalog.install(versionOf(`f${i}`), 'code');
  const capacity = new Capacity(1000, 1_000_000);
  const autoscaler = new Autoscaler({ clock, capacity });
  // What the hot path asks of the scaler, per pool.
  const touched = new Map<VersionPool, number>();
  const observe = autoscaler.observe.bind(autoscaler);
  autoscaler.observe = (pool, now, level) => {
    touched.set(pool, (touched.get(pool) ?? 0) + 1);
    observe(pool, now, level);
  };
  let n = 0;
  const pools = new PoolRegistry(
    { clock, runtime, capacity, scaler: autoscaler, queueLimit: 100, newInstanceId: () => `i${++n}`, instanceSpec: fakeInstanceSpec },
    clock,
    TICK_MS,
  );
  /** One request to `name` the way the dispatcher makes it: route, pool, lease, release. */
  const call = async (name: string) => {
    const target = catalog.route(name, undefined, 'id');
    assert.ok(target !== undefined && !(target instanceof Error), `${name} routes from memory`);
    const pool = pools.poolFor(target.deployed.version);
    const lease = pool.tryAcquire() ?? (await pool.acquire(clock.now() + 1000));
    lease.release();
  };
  return { clock, runtime, pools, autoscaler, call, touched };
}

test(`${DEPLOYED} deployed, ${WARM} warm: a request touches only its own function's pool; nothing per deployed function runs`, async () => {
  const { clock, runtime, pools, call, touched } = setup();
  for (let i = 0; i < WARM; i++) await call(`f${i}`);
  assert.equal(runtime.live().length, WARM);
  assert.equal(pools.all().length, WARM, 'pools exist only for the functions called');
  touched.clear();
  // Warm calls spread over the warm functions: each reaches the scaler for its own pool only (lease and release).
  for (let round = 0; round < 3; round++) for (let i = 0; i < WARM; i++) await call(`f${i}`);
  assert.equal(touched.size, WARM);
  for (const [pool, count] of touched) assert.equal(count, 6, `${pool.version.functionName}: 3 calls, a lease and a release each`);
  assert.equal(runtime.live().length, WARM, 'no instance started for warm calls');
  // One timer for the whole platform (the registry's tick), however many functions are deployed or warm.
  assert.equal(clock.pendingTimers(), 1);
  // Its ticks count instances; they do not ask each for its figures (a heap reading in an isolate).
  let asked = 0;
  for (const instance of runtime.live()) {
    const stats = instance.stats.bind(instance);
    instance.stats = () => (asked++, stats());
  }
  for (let t = 0; t < 3; t++) clock.advance(TICK_MS);
  assert.equal(pools.all().length, WARM, 'still warm');
  assert.equal(asked, 0);
});

test('idle functions hold no timers: once their instances scale to zero, their pools and scaling state are dropped', async () => {
  const { clock, runtime, pools, autoscaler, call } = setup();
  for (let i = 0; i < WARM; i++) await call(`f${i}`);
  assert.equal(clock.pendingTimers(), 1);
  // Past the idle timeout (scale to zero), plus the ticks it takes to decide and to drop the pools.
  for (let t = 0; t < CONFIG.idleTimeoutMs + 5 * TICK_MS; t += TICK_MS) clock.advance(TICK_MS);
  await new Promise((r) => setImmediate(r));
  assert.equal(runtime.live().length, 0, 'every idle instance stopped');
  assert.equal(pools.all().length, 0, 'no pool kept for an idle function');
  assert.equal(clock.pendingTimers(), 0, 'no timer left: not one per function, not the registry tick');
  assert.equal(autoscaler.decisionsFor('f0').latest?.desired, 0, 'the last decision (kept for `nimbus info`) is scale to zero');
  // A call wakes it all again, for that function only.
  await call('f7');
  assert.equal(pools.all().length, 1);
  assert.equal(clock.pendingTimers(), 1);
});
