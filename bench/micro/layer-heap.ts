/**
 * What fills an instance's heap, stage by stage (no HTTP):
 *   node --no-node-snapshot --no-lazy --expose-gc --harmony-rab-gsab-transfer --import tsx bench/micro/layer-heap.ts [--rounds N] [--only a,b] [--warm N]
 * (`--expose-gc` gives each isolate a `gc` to call here; the platform does not run with it.)
 *
 * For each function of node-layer.ts, bundled as deploys bundle it: a spare of its kind made
 * (prepare(…, warm)), then the instance started on it, then its first request answered, then
 * `--warm` more requests (300; 0: none), by when V8's baseline compiler has given the isolate
 * its first code page and the code it runs often is compiled. At each stage: the isolate's
 * used heap and external memory (their sum is what an instance's `heapUsedBytes` reports),
 * the used heap once a full GC has run (what is live), the heap V8 has committed, and live +
 * external in KiB (what the instance holds). The GC at one stage also empties the next one's
 * garbage, so read `used` at the spare stage only.
 *
 * Then the shared layer's own share, on plain spares: compiled from its code cache (its bytecode
 * and source), and also run (the objects its modules' top levels make); live after a full GC.
 */
import ivm from 'isolated-vm';
import { systemClock } from '../../src/core/clock.ts';
import { Deadlines } from '../../src/core/deadlines.ts';
import { LAYER_KINDS, sharedLayer } from '../../src/deploy/node-layer-shared.ts';
import { createCodeCache } from '../../src/runtime/isolate/code-cache.ts';
import { IsolateInstance, type InstanceContext } from '../../src/runtime/isolate/instance.ts';
import { sharedLayerOf } from '../../src/runtime/isolate/node-env.ts';
import { discard, prepare, type Prepared } from '../../src/runtime/isolate/prepare.ts';
import { Watchdog } from '../../src/runtime/isolate/watchdog.ts';
import { arg, HELLO_CONFIG } from './common.ts';
import { bundleAll, call, sleep } from './node-layer-sources.ts';

const ROUNDS = arg('rounds', 5);
const WARM = arg('warm', 300);
const MB = 1048576;
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const cx: InstanceContext = {
  clock: systemClock,
  watchdog: new Watchdog(systemClock, 10, null),
  deadlines: new Deadlines(systemClock, () => undefined),
  maxPayloadBytes: 6 * MB,
  maxTimers: 10_000,
  maxCryptoKeys: 1_000,
  maxCryptoKeyBytes: MB,
  initTimeoutMs: 10_000,
  reportRejections: true,
  codeCache: createCodeCache(128),
  onError: () => undefined,
  onGone: () => undefined,
};

const codes = await bundleAll({ sharedLayer: true });
const at = process.argv.indexOf('--only');
const only = at >= 0 ? process.argv[at + 1]!.split(',') : Object.keys(codes);
type Row = Record<string, number[]>;
const rows: Record<string, Row> = {};

async function read(p: Prepared, row: Row, stage: string): Promise<void> {
  const h = await p.isolate.getHeapStatistics();
  (row[`${stage} used`] ??= []).push(h.used_heap_size / MB);
  (row[`${stage} ext`] ??= []).push(h.externally_allocated_size / MB);
  (row[`${stage} committed`] ??= []).push(h.total_heap_size / MB);
  await p.context.eval('gc()');
  const g = await p.isolate.getHeapStatistics();
  (row[`${stage} gc`] ??= []).push(g.used_heap_size / MB);
}

// round 0 warms the code caches
for (let i = 0; i <= ROUNDS; i++) {
  for (const name of only) {
    const code = codes[name]!;
    const kind = sharedLayerOf(code)?.kind ?? 'plain';
    const row = (rows[`${name} (${kind})`] ??= {});
    const p = await prepare(128, true, kind);
    if (i > 0) await read(p, row, 'spare');
    const inst = new IsolateInstance(p, { instanceId: `${name}-${i}`, functionName: name, version: 1, code, config: HELLO_CONFIG, onLog: () => undefined, fetch: () => Promise.reject(new Error('none')) }, cx);
    await inst.init(performance.now());
    if (i > 0) await read(p, row, 'started');
    await inst.invoke(call());
    await sleep(5);
    if (i > 0) await read(p, row, 'first request');
    for (let k = 0; k < WARM; k++) await inst.invoke(call());
    if (i > 0 && WARM > 0) await read(p, row, 'warm');
    inst.dispose();
    discard(p);
    await p.gone;
  }
}

const share: Record<string, number[]> = {};
const caches = new Map<string, ivm.ExternalCopy<ArrayBuffer>>();
for (let i = 0; i <= ROUNDS; i++) {
  for (const kind of LAYER_KINDS) {
    const { code } = await sharedLayer(kind);
    for (const stage of ['plain spare', 'layer compiled', 'layer compiled and run'] as const) {
      const p = await prepare(128, true, 'plain');
      // held from the host until measured: the compiled script stays in the isolate meanwhile
      let script: ivm.Script | null = null;
      if (stage !== 'plain spare') {
        const cached = caches.get(kind);
        script = await p.isolate.compileScript(code, { filename: 'layer.js', ...(cached ? { cachedData: cached } : { produceCachedData: true }) });
        const made = (script as ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> }).cachedData;
        if (cached === undefined && made) caches.set(kind, made);
        if (stage === 'layer compiled and run') await script.run(p.context, { reference: true });
      }
      await p.context.eval('gc()');
      const h = await p.isolate.getHeapStatistics();
      if (i > 0) (share[`${kind}: ${stage}`] ??= []).push((h.used_heap_size + h.externally_allocated_size) / MB);
      script?.release();
      discard(p);
      await p.gone;
    }
  }
}
cx.watchdog.close();
cx.deadlines.close();

console.log(`Heap by stage (node ${process.version}, ${ROUNDS} rounds, medians, MiB: used / external / used after a full GC / committed; live + external in KiB)\n`);
for (const [name, row] of Object.entries(rows)) {
  console.log(name);
  for (const stage of ['spare', 'started', 'first request', ...(WARM > 0 ? ['warm'] : [])]) {
    console.log(`  ${stage.padEnd(14)} ${med(row[`${stage} used`]!).toFixed(3)} / ${med(row[`${stage} ext`]!).toFixed(3)} / ${med(row[`${stage} gc`]!).toFixed(3)} / ${med(row[`${stage} committed`]!).toFixed(2)}   ${(med(row[`${stage} gc`]!.map((g, i) => g + row[`${stage} ext`]![i]!)) * 1024).toFixed(1)} KiB`);
  }
}
console.log('\nThe shared layer on a plain spare, live after a full GC (used + external), MB');
for (const [stage, xs] of Object.entries(share)) console.log(`  ${stage.padEnd(36)} ${med(xs).toFixed(2)}`);
