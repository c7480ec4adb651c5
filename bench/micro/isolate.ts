/**
 * Micro-benchmark of the isolate runtime alone (no HTTP):
 *   node --no-node-snapshot --import tsx bench/micro/isolate.ts [--rounds N]
 *
 * cold start = runtime.start() + the first invoke of a hello function (with spares, as
 * deployed; and with spares disabled, the worst case). warm = one invoke on a live
 * instance, sequential and with 32 in flight. Baseline in the same run: a bare
 * isolated-vm async call, the floor any design on isolated-vm pays.
 */
import ivm from 'isolated-vm';
import { systemClock } from '../../src/core/clock.ts';
import { bundleSource } from '../../src/deploy/bundle.ts';
import { createIsolateRuntime } from '../../src/runtime/isolate/index.ts';
import type { InstanceCall, Runtime } from '../../src/runtime/port.ts';
import { percentile } from '../lib/stats.ts';
import { arg, HELLO_CONFIG } from './common.ts';

const ROUNDS = arg('rounds', 200);
const WARM = arg('warm', 5000);

const config = HELLO_CONFIG;

// The first calls warm the JIT and are left out of the warm figures (a tenth, at most 200).
const WARMUP = Math.min(200, Math.floor(WARM / 10));
const fmt = (ms: number) => (Number.isNaN(ms) ? 'n/a' : ms < 1 ? `${(ms * 1000).toFixed(0)} µs` : `${ms.toFixed(2)} ms`);
const row = (label: string, xs: number[]) =>
  console.log(`${label.padEnd(44)} p50 ${fmt(percentile(xs, 50)).padStart(9)}   p99 ${fmt(percentile(xs, 99)).padStart(9)}   n=${xs.length}`);

const hello = (
  await bundleSource({ 'index.ts': `export default { fetch: () => new Response('hello world') };` }, 'index.ts')
).code;

let n = 0;
const call = (): InstanceCall => ({
  mode: 'fetch',
  request: { method: 'GET', url: 'http://127.0.0.1:8080/fn/hello', headers: [['host', '127.0.0.1:8080'], ['user-agent', 'bench']], body: null },
  meta: { invocationId: `b${++n}`, functionName: 'hello', version: 1, deadline: Date.now() + 10_000, attempt: 1, memoryMb: 128 },
});
const spec = (i: number) => ({
  instanceId: `i${i}`,
  functionName: 'hello',
  version: 1,
  code: hello,
  config,
  onLog: () => undefined,
  fetch: () => Promise.reject(new Error('no fetch in the bench')),
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function coldStarts(runtime: Runtime, pauseMs: number): Promise<{ total: number[]; init: number[] }> {
  const total: number[] = [];
  const init: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const inst = await runtime.start(spec(i));
    await inst.invoke(call());
    total.push(performance.now() - t0);
    init.push(inst.initMs);
    inst.dispose();
    // a cold start every few ms, like a scale-out burst; gives the spare pool time to refill
    if (pauseMs > 0) await sleep(pauseMs);
  }
  return { total, init };
}

console.log(`isolate runtime micro-benchmark (node ${process.version}, ${ROUNDS} cold starts, ${WARM} warm calls)\n`);

// baseline: a bare isolated-vm isolate and an async call into it
{
  const iso = new ivm.Isolate({ memoryLimit: 128 });
  const ctx = await iso.createContext();
  const fn = await ctx.eval(`(function hello(a) { return 'hello world'; })`, { reference: true });
  const xs: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const t0 = performance.now();
    await fn.apply(undefined, ['x'], { arguments: { copy: true } });
    xs.push(performance.now() - t0);
  }
  row('baseline: bare ivm async apply (sequential)', xs.slice(WARMUP));
  const cold: number[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 100); i++) {
    const t0 = performance.now();
    const iso2 = new ivm.Isolate({ memoryLimit: 128 });
    const c2 = await iso2.createContext();
    const f2 = await c2.eval(`(function hello() { return 'hello world'; })`, { reference: true });
    await f2.apply(undefined, []);
    cold.push(performance.now() - t0);
    iso2.dispose();
  }
  row('baseline: bare ivm new isolate + call', cold);
  iso.dispose();
}

{
  const runtime = createIsolateRuntime({ clock: systemClock, spares: 2, prewarmMemoryMb: [128], onError: () => undefined });
  // warm the shim bundle and the code cache
  await (await runtime.start(spec(-1))).invoke(call());
  await sleep(100);
  const { total, init } = await coldStarts(runtime, 10);
  row('cold start with spares (start + 1st invoke)', total);
  row('  of which initMs', init);
  await runtime.close();
}
{
  const runtime = createIsolateRuntime({ clock: systemClock, spares: 0, onError: () => undefined });
  await (await runtime.start(spec(-1))).invoke(call());
  const { total } = await coldStarts(runtime, 0);
  row('cold start without spares', total);
  await runtime.close();
}
{
  const runtime = createIsolateRuntime({ clock: systemClock, onError: () => undefined });
  const inst = await runtime.start(spec(0));
  const xs: number[] = [];
  for (let i = 0; i < WARM; i++) {
    const t0 = performance.now();
    await inst.invoke(call());
    xs.push(performance.now() - t0);
  }
  row('warm invoke, sequential', xs.slice(WARMUP));
  for (const inflight of [8, 32]) {
    const t0 = performance.now();
    let done = 0;
    const lat: number[] = [];
    await Promise.all(
      Array.from({ length: inflight }, async () => {
        while (done < WARM) {
          done++;
          const s = performance.now();
          await inst.invoke(call());
          lat.push(performance.now() - s);
        }
      }),
    );
    const secs = (performance.now() - t0) / 1000;
    row(`warm invoke, ${inflight} in flight (latency)`, lat);
    console.log(`${''.padEnd(44)} throughput ${(WARM / secs).toFixed(0)} invokes/s on one instance`);
  }
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < 2000; i++) await inst.invoke(call());
  const cpu = process.cpuUsage(cpu0);
  console.log(
    `${'main-thread+isolate CPU per warm invoke'.padEnd(44)} ${fmt((cpu.user + cpu.system) / 1000 / 2000)} (wall ${fmt((performance.now() - t0) / 2000)})`,
  );
  await runtime.close();
}
