/**
 * Cold starts back to back, as after a scale to zero (no HTTP):
 *   node --no-node-snapshot --no-lazy --harmony-rab-gsab-transfer --import tsx bench/micro/start-burst.ts [--rounds N] [--pairs P]
 * The `cold-start` scenario's after-zero step on one runtime with its default spares: P hello
 * functions and P Node-layer ones (bench/functions/node-layer.js, kind `node-async-core`), each checked
 * once as a deploy checks it (`runtime.inspect`, which warms its code cache), then, once the
 * spares are full, started one after another, alternating (hello, layer, hello, layer, …), each
 * start awaited with its first request (`--spares N`: spares kept per size and kind, default 2; `--gap MS`: a pause
 * after each first request before the next start, as the scenario's HTTP round trips leave, default 0; `--compacted 1`:
 * also wait until the ready spares are compacted, as they are after the second of quiet a scale to zero takes; `--idle MS`:
 * then wait that long more before the burst, default 20). Per round, every instance is then disposed and the
 * spares left to fill again. Reported per kind: start + first request (median, worst),
 * how many starts took a spare, and the process's CPU over the burst.
 */
import { systemClock } from '../../src/core/clock.ts';
import { bundleSource } from '../../src/deploy/bundle.ts';
import { createIsolateRuntime } from '../../src/runtime/isolate/index.ts';
import { sharedLayerOf } from '../../src/runtime/isolate/node-env.ts';
import type { Instance } from '../../src/runtime/port.ts';
import { namedNodeLayerSource, namedSource } from '../lib/functions.ts';
import { arg, HELLO_CONFIG } from './common.ts';
import { call, sleep } from './node-layer-sources.ts';

const ROUNDS = arg('rounds', 10);
const PAIRS = arg('pairs', 4);
/** Spares kept per (memory size, kind): the runtime's default unless given. */
const SPARES = arg('spares', 2);
/** Pause after each first request before the next start (ms). */
const GAP = arg('gap', 0);
const COMPACTED = arg('compacted', 0) === 1;
const IDLE = arg('idle', 20);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

const fns: Array<{ name: string; kind: string; code: string }> = [];
for (let i = 0; i < PAIRS; i++) {
  for (const [suffix, source] of [['', namedSource], ['-node', namedNodeLayerSource]] as const) {
    const name = `burst-${i}${suffix}`;
    const { code } = await bundleSource({ 'index.js': source(name) }, 'index.js', 'isolate', { sharedLayer: true });
    fns.push({ name, kind: sharedLayerOf(code)?.kind ?? 'plain', code });
  }
}
const kinds = [...new Set(fns.map((f) => f.kind))];
const runtime = createIsolateRuntime({ clock: systemClock, spares: SPARES, onError: () => undefined });
const spec = (f: (typeof fns)[number], id: string) => ({ instanceId: id, functionName: f.name, version: 1, code: f.code, config: HELLO_CONFIG, onLog: () => undefined, fetch: () => Promise.reject(new Error('none')) });
for (const f of fns) await runtime.inspect(f.code, HELLO_CONFIG, f.name);

const times: Record<string, number[]> = {};
const onSpare: Record<string, number> = {};
const cpu: number[] = [];
/** Per position in the burst: how many starts there took a spare. */
const hitsAt: number[] = fns.map(() => 0);
/** Per position in the burst: start + first request, all rounds. */
const timesAt: number[][] = fns.map(() => []);
for (let r = 0; r < ROUNDS; r++) {
  const settled = (k: string) => runtime.sparesReady(HELLO_CONFIG.memoryMb, k as 'plain') >= SPARES && (!COMPACTED || (runtime.sparesCompacted?.(HELLO_CONFIG.memoryMb, k as 'plain') ?? SPARES) >= SPARES);
  for (let w = 0; w < 1000 && !kinds.every(settled); w++) await sleep(5);
  await sleep(IDLE);
  const live: Instance[] = [];
  const c0 = process.cpuUsage();
  for (const [at, f] of fns.entries()) {
    const taken = runtime.sparesTaken();
    const t0 = performance.now();
    const inst = await runtime.start(spec(f, `${f.name}-${r}`));
    await inst.invoke(call());
    (times[f.kind] ??= []).push(performance.now() - t0);
    timesAt[at]!.push(performance.now() - t0);
    onSpare[f.kind] = (onSpare[f.kind] ?? 0) + runtime.sparesTaken() - taken;
    hitsAt[at]! += runtime.sparesTaken() - taken;
    live.push(inst);
    if (GAP > 0) await sleep(GAP);
  }
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
  for (const inst of live) inst.dispose();
}
await runtime.close();
console.log(`Start bursts (node ${process.version}, ${ROUNDS} rounds of ${fns.length} starts, alternating)`);
for (const kind of kinds) {
  const t = times[kind]!;
  console.log(`${kind.padEnd(15)} start + first request p50 ${pct(t, 50).toFixed(2)} ms  worst ${Math.max(...t).toFixed(2)} ms  on a spare ${onSpare[kind]}/${t.length}`);
}
console.log(`on a spare by position in the burst: ${hitsAt.join(' ')} (of ${ROUNDS})`);
console.log(`start + first request p50 by position: ${timesAt.map((t) => pct(t, 50).toFixed(2)).join(' ')} ms`);
console.log(`CPU per burst p50 ${pct(cpu, 50).toFixed(1)} ms`);
