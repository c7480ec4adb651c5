/**
 * What the Node layer costs an instance (no HTTP):
 *   node --no-node-snapshot --no-lazy --import tsx bench/micro/node-layer.ts [--rounds N] [--only a,b]
 * (--no-lazy as the platform runs: see docs/runtime.md, "Cold starts")
 *
 * Three hello functions, started interleaved (A, B, C, A, B, C, …) on one runtime with
 * spares, as deployed: the baseline imports nothing of Node; "buffer" imports node:buffer
 * and reads process.env (the layer's globals); "full" imports buffer, events, util, stream,
 * string_decoder, path, url, assert, fs and async_hooks; "urlpattern" and "eventsource" use
 * those Web globals, bundled only into code that names them. Cold start = runtime.start() + the
 * first invoke; memory = the isolate's used heap (V8 heap + external) after the first
 * invoke, minus the baseline's, per instance.
 *
 * Each function that uses the layer is started twice per round: bundled as deploys do now,
 * against the shared layer (its start takes a spare that holds the layer, evaluated; rows
 * marked "shared"), and with the layer's modules in its bundle (as before; rows marked
 * "own"). Each start waits until the spares of every kind are ready (none being made, so that
 * no refill runs inside it), and counts whether it took one.
 * CPU: the process's (all threads: the isolate's and the main one) over start + first invoke.
 * Spares are compacted once the runtime has been quiet 100 ms (the default waits longer; what a
 * compacted spare holds does not depend on it; `--compact 0`: never, as before that existed); each
 * start waits until every ready spare is.
 */
import { systemClock } from '../../src/core/clock.ts';
import { createIsolateRuntime } from '../../src/runtime/isolate/index.ts';
import { arg, HELLO_CONFIG } from './common.ts';
import { sharedLayerOf } from '../../src/runtime/isolate/node-env.ts';
import { bundleAll, call, sleep } from './node-layer-sources.ts';

const ROUNDS = arg('rounds', 100);
const COMPACT = arg('compact', 1) === 1;

const config = HELLO_CONFIG;


function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}
const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

const own = await bundleAll({ sharedLayer: false });
const shared = await bundleAll({ sharedLayer: true });
const at = process.argv.indexOf('--only');
const only = at >= 0 ? ['baseline', ...process.argv[at + 1]!.split(',')] : Object.keys(own);
const codes: Record<string, string> = {};
for (const name of only) {
  if (sharedLayerOf(shared[name]!) === null) codes[name] = own[name]!;
  else {
    codes[`${name} shared`] = shared[name]!;
    codes[`${name} own`] = own[name]!;
  }
}
const kindOf = (code: string) => sharedLayerOf(code)?.kind ?? 'plain';
const KINDS = [...new Set(Object.values(codes).map(kindOf))];
const onSpare: Record<string, number> = {};


// refilled 50 ms after a take, so that the refill's work is not in the CPU measured for the start
const runtime = createIsolateRuntime({ clock: systemClock, spares: 2, prewarmMemoryMb: [128], spareRefillDelayMs: 50, spareCompactAfterMs: COMPACT ? 100 : Infinity, onError: () => undefined });
const cpus: Record<string, number[]> = {};
const times: Record<string, number[]> = {};
const heaps: Record<string, number[]> = {};
for (const name of Object.keys(codes)) {
  times[name] = [];
  heaps[name] = [];
  // warm the code cache for this bundle
  const inst = await runtime.start({ instanceId: `w-${name}`, functionName: name, version: 1, code: codes[name]!, config, onLog: () => undefined, fetch: () => Promise.reject(new Error('none')) });
  await inst.invoke(call());
  inst.dispose();
}
for (let i = 0; i < ROUNDS; i++) {
  for (const name of Object.keys(codes)) {
    // every kind's spares made (none being made): the CPU measured is the start's alone
    const settled = (k: (typeof KINDS)[number]) => runtime.sparesReady(config.memoryMb, k) >= 2 && (!COMPACT || (runtime.sparesCompacted?.(config.memoryMb, k) ?? 2) >= 2);
    for (let w = 0; w < 400 && !KINDS.every(settled); w++) await sleep(5);
    const taken = runtime.sparesTaken();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const inst = await runtime.start({ instanceId: `${name}-${i}`, functionName: name, version: 1, code: codes[name]!, config, onLog: () => undefined, fetch: () => Promise.reject(new Error('none')) });
    await inst.invoke(call());
    times[name]!.push(performance.now() - t0);
    const c1 = process.cpuUsage(c0);
    (cpus[name] ??= []).push((c1.user + c1.system) / 1000);
    onSpare[name] = (onSpare[name] ?? 0) + runtime.sparesTaken() - taken;
    inst.stats();
    await sleep(5);
    heaps[name]!.push(inst.stats().heapUsedBytes);
    inst.dispose();
  }
}
await runtime.close();

console.log(`Node layer micro-benchmark (node ${process.version}, ${ROUNDS} cold starts each, interleaved)\n`);
const base = pct(heaps.baseline!, 50);
for (const name of Object.keys(codes)) {
  const t = times[name]!;
  const h = pct(heaps[name]!, 50);
  console.log(
    `${name.padEnd(17)} on a spare ${String(onSpare[name] ?? 0).padStart(3)}/${t.length}  bundle ${(codes[name]!.length / 1024).toFixed(0).padStart(4)} KB   first request p50 ${fmt(pct(t, 50)).padStart(9)} p99 ${fmt(pct(t, 99)).padStart(9)}  CPU p50 ${fmt(pct(cpus[name]!, 50)).padStart(8)}   heap p50 ${(h / 1024).toFixed(1)} KiB (${((h - base) / 1048576).toFixed(2)} MB over baseline)`,
  );
}
