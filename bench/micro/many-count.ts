/**
 * Does a request cost more when more functions are deployed? The dispatcher's whole path
 * (catalog route, pool, lease, autoscaler bookkeeping, logs, the record pushed to the
 * recorder) in-process, with an instance that answers at once (the test runtime), so only
 * the platform's own per-request work is measured: W warm functions called round-robin,
 * with N deployed, for each N given; the N alternate round by round. CPU per invoke from
 * process.cpuUsage (this process does nothing else), medians and ranges over rounds.
 *
 *   node --no-node-snapshot --import tsx bench/micro/many-count.ts [--rounds 7] [--calls 100000] [--warm 100] [--deployed 100,10000]
 */
import { Autoscaler } from '../../src/autoscaler/actuator.ts';
import { systemClock } from '../../src/core/clock.ts';
import type { FunctionConfig, FunctionVersion } from '../../src/core/types.ts';
import { Catalog } from '../../src/dispatch/catalog.ts';
import { Dispatcher } from '../../src/dispatch/dispatcher.ts';
import { LogCollector } from '../../src/observe/log-collector.ts';
import { Recorder } from '../../src/observe/recorder.ts';
import { Capacity } from '../../src/pool/capacity.ts';
import { PoolRegistry } from '../../src/pool/registry.ts';
import { FakeRuntime, fakeInstanceSpec } from '../../src/runtime/testing/fake-runtime.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 7);
const CALLS = arg('calls', 100_000);
const WARM = arg('warm', 100);
const at = process.argv.indexOf('--deployed');
const DEPLOYED = (at >= 0 ? process.argv[at + 1] : '100,10000').split(',').map(Number);

const CONFIG: FunctionConfig = {
  memoryMb: 128,
  timeoutMs: 10_000,
  cpuLimitMs: 10_000,
  env: {},
  concurrency: 16,
  targetConcurrency: 10,
  minInstances: 0,
  maxInstances: 50,
  idleTimeoutMs: 30 * 60_000,
  runtime: 'isolate',
};

function platform(deployed: number) {
  const clock = systemClock;
  const store = openSqliteStore(':memory:');
  const catalog = new Catalog(store.functions);
  for (let i = 0; i < deployed; i++) {
    const version: FunctionVersion = { functionName: `f${i}`, version: 1, hash: `h${i}`, codeHash: `c${i}`, codeBytes: 1, config: CONFIG, exports: { fetch: true, handler: true }, createdAt: 0 };
    catalog.install(version, 'code');
  }
  const capacity = new Capacity(10_000, 10_000_000);
  const autoscaler = new Autoscaler({ clock, capacity });
  let n = 0;
  const pools = new PoolRegistry({ clock, runtime: new FakeRuntime(), capacity, scaler: autoscaler, queueLimit: 1000, newInstanceId: () => `i${++n}`, instanceSpec: fakeInstanceSpec }, clock);
  const logs = new LogCollector(64 * 1024, clock);
  const recorder = new Recorder(store.invocations, clock, 1000, (error) => console.error(error));
  const dispatcher = new Dispatcher({ clock, catalog, pools, logs, recorder, responseLimitBytes: 6 * 1024 * 1024 });
  const request = { method: 'GET', url: 'http://localhost/', headers: [] as Array<[string, string]>, body: null };
  const call = async (i: number) => {
    const out = await dispatcher.invoke({ functionName: `f${i % WARM}`, trigger: 'http', triggerSource: 'GET /', input: { kind: 'http', request, sourceIp: '127.0.0.1' } });
    if (!out.ok) throw out.error;
  };
  return { call, pools, recorder, stop: async () => (await pools.closeAll(1000), await recorder.stop(), store.close()) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const servers = DEPLOYED.map((n) => ({ n, p: platform(n), rows: [] as number[] }));
for (const s of servers) for (let i = 0; i < WARM; i++) await s.p.call(i);
for (let round = 1; round <= ROUNDS; round++) {
  for (const s of round % 2 === 1 ? servers : [...servers].reverse()) {
    for (let i = 0; i < CALLS / 10; i++) await s.p.call(i); // warm-up
    const c0 = process.cpuUsage();
    for (let i = 0; i < CALLS; i++) await s.p.call(i);
    const c = process.cpuUsage(c0);
    const us = (c.user + c.system) / CALLS;
    s.rows.push(us);
    console.log(`round ${round} deployed ${String(s.n).padStart(6)}: ${us.toFixed(2)} µs CPU an invoke, ${s.p.pools.all().length} pools`);
  }
}
console.log(`\n${WARM} warm, ${CALLS} invokes a round, ${ROUNDS} rounds, load ${(await import('node:os')).loadavg()[0].toFixed(1)}\n`);
console.log('| deployed | CPU µs an invoke (median) | range |');
console.log('|---:|---:|---|');
for (const s of servers) console.log(`| ${s.n} | ${median(s.rows).toFixed(2)} | ${Math.min(...s.rows).toFixed(2)}–${Math.max(...s.rows).toFixed(2)} |`);
for (const s of servers) await s.p.stop();
process.exit(0);
