/**
 * What a Node-layer start costs when no spare of its kind is ready, against one that finds one:
 *   node --no-node-snapshot --no-lazy --harmony-rab-gsab-transfer --import tsx bench/micro/layer-on-plain.ts [--rounds N]
 * Each round makes a runtime with one spare per (size, kind) and no refills after a take, checks the ten-module
 * function (bench/functions/node-layer.js, kind `node-async-core`) as a deploy does, waits until a plain and a layer
 * spare are ready, then starts it twice, each with its first request: the first start takes the layer spare
 * ("layer spare"); the second finds none of its kind and runs the layer on the plain spare ("plain + layer", as the
 * runtime does in a burst that outruns its spares). A third start, with no spare left at all, makes its own isolate
 * ("own isolate"). Reported: start + first request wall time and the process's CPU (all threads), p50 and p90.
 */
import { systemClock } from '../../src/core/clock.ts';
import { bundleSource } from '../../src/deploy/bundle.ts';
import { createIsolateRuntime } from '../../src/runtime/isolate/index.ts';
import { sharedLayerOf } from '../../src/runtime/isolate/node-env.ts';
import { namedNodeLayerSource } from '../lib/functions.ts';
import { arg, HELLO_CONFIG } from './common.ts';
import { call, sleep } from './node-layer-sources.ts';

const ROUNDS = arg('rounds', 20);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

const name = 'layer-on-plain';
const { code } = await bundleSource({ 'index.js': namedNodeLayerSource(name) }, 'index.js', 'isolate', { sharedLayer: true });
const kind = sharedLayerOf(code)?.kind;
if (kind === undefined) throw new Error('the function was not built against the shared layer');
const ways = ['layer spare', 'plain + layer', 'own isolate'] as const;
const wall: Record<string, number[]> = {};
const cpu: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  const runtime = createIsolateRuntime({ clock: systemClock, spares: 1, sparesMax: 1, spareRefillDelayMs: 600_000, onError: () => undefined });
  try {
    await runtime.inspect(code, HELLO_CONFIG, name);
    for (let w = 0; w < 2000 && (runtime.sparesReady(HELLO_CONFIG.memoryMb) < 1 || runtime.sparesReady(HELLO_CONFIG.memoryMb, kind) < 1); w++) await sleep(5);
    // let the fills' own work settle before measuring
    await sleep(50);
    for (const [i, way] of ways.entries()) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const inst = await runtime.start({ instanceId: `${name}-${r}-${i}`, functionName: name, version: 1, code, config: HELLO_CONFIG, onLog: () => undefined, fetch: () => Promise.reject(new Error('none')) });
      await inst.invoke(call());
      (wall[way] ??= []).push(performance.now() - t0);
      const c = process.cpuUsage(c0);
      (cpu[way] ??= []).push((c.user + c.system) / 1000);
      inst.dispose();
      await sleep(20);
    }
  } finally {
    await runtime.close();
  }
}
console.log(`Node-layer start (${kind}) by where its isolate comes from (node ${process.version}, ${ROUNDS} rounds)`);
for (const way of ways) {
  const w = wall[way]!;
  const c = cpu[way]!;
  console.log(`${way.padEnd(14)} start + first request p50 ${pct(w, 50).toFixed(2)} ms (p90 ${pct(w, 90).toFixed(2)})  CPU p50 ${pct(c, 50).toFixed(2)} ms (p90 ${pct(c, 90).toFixed(2)})`);
}
