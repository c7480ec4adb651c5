/**
 * Where a Node-layer cold start goes, phase by phase (no HTTP):
 *   node --no-node-snapshot --no-lazy --import tsx bench/micro/node-layer-phases.ts [--rounds N]
 *
 * For each function of node-layer.ts, on an isolate made ready ahead of time as a spare is
 * (prepare(…, warm)): (a) compile the bundle, without the code cache (the first instance
 * after a deploy, per runtime process) and with it (every later one), and whether V8
 * accepted the cache; (b) run the top level (the layer's modules are evaluated here);
 * and, through the runtime, (c) the first request after start(). Functions interleaved,
 * medians reported.
 */
import ivm from 'isolated-vm';
import { systemClock } from '../../src/core/clock.ts';
import { createIsolateRuntime } from '../../src/runtime/isolate/index.ts';
import { giveNodeEnv } from '../../src/runtime/isolate/node-env.ts';
import { discard, prepare } from '../../src/runtime/isolate/prepare.ts';
import { arg, HELLO_CONFIG } from './common.ts';
import { bundleAll, call, sleep, noNodeHost } from './node-layer-sources.ts';

const ROUNDS = arg('rounds', 30);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const codes = await bundleAll();


const caches: Record<string, ivm.ExternalCopy<ArrayBuffer>> = {};
const rows: Record<string, { miss: number[]; hit: number[]; run: number[]; rejected: number; start: number[]; first: number[] }> = {};
for (const name of Object.keys(codes)) rows[name] = { miss: [], hit: [], run: [], rejected: 0, start: [], first: [] };

async function compileAndRun(name: string, useCache: boolean): Promise<void> {
  const code = codes[name]!;
  const p = await prepare(128, true);
  try {
    giveNodeEnv(p.context, code, HELLO_CONFIG.env, noNodeHost);
    const t0 = performance.now();
    const script = await p.isolate.compileScript(code, { filename: `file:///${name}.js`, ...(useCache && caches[name] ? { cachedData: caches[name] } : { produceCachedData: true }) });
    const t1 = performance.now();
    const s = script as typeof script & { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean };
    if (!useCache && s.cachedData && !caches[name]) caches[name] = s.cachedData;
    if (useCache && s.cachedDataRejected) rows[name]!.rejected++;
    await script.run(p.context);
    const t2 = performance.now();
    (useCache ? rows[name]!.hit : rows[name]!.miss).push(t1 - t0);
    if (useCache) rows[name]!.run.push(t2 - t1);
  } finally {
    discard(p);
  }
}

const runtime = createIsolateRuntime({ clock: systemClock, spares: 2, prewarmMemoryMb: [128], onError: () => undefined });
const startSpec = (name: string, id: string) => ({ instanceId: id, functionName: name, version: 1, code: codes[name]!, config: HELLO_CONFIG, onLog: () => undefined, fetch: () => Promise.reject(new Error('none')) });
for (const name of Object.keys(codes)) {
  const inst = await runtime.start(startSpec(name, `w-${name}`));
  await inst.invoke(call());
  inst.dispose();
}

for (let i = 0; i < ROUNDS; i++) {
  for (const name of Object.keys(codes)) {
    await compileAndRun(name, false);
    await compileAndRun(name, true);
    await sleep(10);
    const t0 = performance.now();
    const inst = await runtime.start(startSpec(name, `${name}-${i}`));
    const t1 = performance.now();
    await inst.invoke(call());
    const t2 = performance.now();
    rows[name]!.start.push(t1 - t0);
    rows[name]!.first.push(t2 - t1);
    inst.dispose();
  }
}
await runtime.close();

const f = (x: number) => x.toFixed(2).padStart(6);
console.log(`Node layer cold start by phase (node ${process.version}, ${ROUNDS} rounds, medians in ms)\n`);
console.log('function     bundle  compile(no cache) compile(cached) rejected top-level  start()  first request');
for (const [name, r] of Object.entries(rows)) {
  console.log(`${name.padEnd(11)} ${(codes[name]!.length / 1024).toFixed(0).padStart(4)} KB  ${f(med(r.miss))}            ${f(med(r.hit))}         ${String(r.rejected).padStart(3)}    ${f(med(r.run))}   ${f(med(r.start))}  ${f(med(r.first))}`);
}
