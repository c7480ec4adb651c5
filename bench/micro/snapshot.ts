/**
 * Would a V8 startup snapshot (isolated-vm's `Isolate.createSnapshot`) make isolates ready
 * sooner? No HTTP:
 *   node --no-node-snapshot --no-lazy --import tsx bench/micro/snapshot.ts [--rounds N]
 *
 * Alternated round by round, each on a fresh isolate:
 *   - spare: what the spare pool does today, prepare(…, warm): new Isolate, a context, the
 *     bridge's callbacks, the shim compiled from V8's code cache and run;
 *   - shim snapshot: new Isolate({ snapshot }) whose heap already holds the shim run, and a
 *     context (the callbacks not wired: a snapshot cannot hold host callbacks);
 *   - Node layer on a spare: the ten-module function (node-layer-sources.ts "full") compiled
 *     from its code cache and its top level run on an isolate prepared as above (the part of a
 *     start that is on the request's path);
 *   - Node-layer snapshot: new Isolate({ snapshot }) holding the shim and that function's top
 *     level already run, and a context (nothing left to run).
 * Reported (medians): wall time; main-thread time (event-loop utilisation over the step:
 * `new Isolate` is synchronous, the rest runs on isolated-vm's threads); the isolate's used
 * heap after the step.
 *
 * The snapshots give the shim and the layer stand-ins for the host's callbacks and env (run
 * at snapshot time, they cannot reach the host): they measure, they are not a design.
 */
import ivm from 'isolated-vm';
import { giveNodeEnv } from '../../src/runtime/isolate/node-env.ts';
import { discard, prepare } from '../../src/runtime/isolate/prepare.ts';
import { SAB_LENGTH } from '../../src/runtime/isolate/protocol.ts';
import { SHIM_FILENAME, shimCode } from '../../src/runtime/isolate/shim-source.ts';
import { arg, HELLO_CONFIG } from './common.ts';
import { bundleAll, noNodeHost } from './node-layer-sources.ts';

const ROUNDS = arg('rounds', 40);
const MEMORY_MB = 128;
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const shim = await shimCode();
const full = (await bundleAll()).full!;
const FULL_FILENAME = 'file:///full.js';

// what prepare() and giveNodeEnv() put on the global object, as plain stand-ins (the isolate
// that makes a snapshot has no SharedArrayBuffer: a plain buffer stands in)
const standIns = `globalThis.__nb_send = function () {}; globalThis.__nb_random = function (n) { return new ArrayBuffer(n); };
globalThis.__nb_decode = function () {}; globalThis.__nb_sab = new ArrayBuffer(${SAB_LENGTH * 4}); globalThis.__nb_memory_mb = ${MEMORY_MB};
globalThis.__nimbus_node_env = ${JSON.stringify(HELLO_CONFIG.env)}; globalThis.__nimbus_node_host = function () {}; globalThis.__nimbus_node_pool = {};`;
const shimScript = { code: `globalThis.__nb_recv = ${shim};`, filename: SHIM_FILENAME };

function snapshot(scripts: ivm.SnapshotScriptInfo[]): { blob: ivm.ExternalCopy<ArrayBuffer>; ms: number; bytes: number } {
  const t0 = performance.now();
  const blob = ivm.Isolate.createSnapshot(scripts);
  const ms = performance.now() - t0;
  return { blob, ms, bytes: blob.copy().byteLength };
}
const shimSnap = snapshot([{ code: standIns }, shimScript]);
const layerSnap = snapshot([{ code: standIns }, shimScript, { code: full, filename: FULL_FILENAME }]);


// the bundle's code cache, as the runtime keeps it after a deploy's check
const first = await prepare(MEMORY_MB, true);
const produced = (await first.isolate.compileScript(full, { filename: FULL_FILENAME, produceCachedData: true })) as ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> };
const fullCache = produced.cachedData;
discard(first);
if (fullCache === undefined) throw new Error('no code cache was produced');

interface Row {
  wall: number[];
  main: number[];
  heap: number[];
}
const rows: Record<string, Row> = {};
const row = (name: string): Row => (rows[name] ??= { wall: [], main: [], heap: [] });

/** Runs `step`, records its wall and main-thread time and the isolate's heap after it. */
async function timed(name: string, step: () => Promise<ivm.Isolate>, after?: (iso: ivm.Isolate) => void): Promise<void> {
  const elu = performance.eventLoopUtilization();
  const t0 = performance.now();
  const iso = await step();
  const wall = performance.now() - t0;
  const main = performance.eventLoopUtilization(elu).active;
  const r = row(name);
  r.wall.push(wall);
  r.main.push(main);
  r.heap.push((await iso.getHeapStatistics()).used_heap_size / 1048576);
  if (after) after(iso);
  else iso.dispose();
}

async function fromSnapshot(blob: ivm.ExternalCopy<ArrayBuffer>, probe: string, expect: string): Promise<ivm.Isolate> {
  const iso = new ivm.Isolate({ memoryLimit: MEMORY_MB, snapshot: blob });
  const context = await iso.createContext();
  const seen = await context.eval(probe);
  if (seen !== expect) throw new Error(`the snapshot's context lacks what it should hold (${probe} → ${String(seen)})`);
  return iso;
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
for (let i = 0; i < ROUNDS; i++) {
  let spare: Awaited<ReturnType<typeof prepare>> | undefined;
  await timed('spare: prepare(warm)', async () => {
    spare = await prepare(MEMORY_MB, true);
    return spare.isolate;
  }, () => undefined);
  await pause();
  await timed('spare + Node layer (on path)', async () => {
    const p = spare!;
    giveNodeEnv(p.context, full, HELLO_CONFIG.env, noNodeHost);
    const script = await p.isolate.compileScript(full, { filename: FULL_FILENAME, cachedData: fullCache });
    await script.run(p.context);
    script.release();
    return p.isolate;
  }, () => discard(spare!));
  await pause();
  await timed('shim snapshot', () => fromSnapshot(shimSnap.blob, 'typeof __nb_recv', 'function'));
  await pause();
  await timed('Node-layer snapshot', () => fromSnapshot(layerSnap.blob, 'typeof __nimbus_module', 'object'));
  await pause();
}

const f = (x: number) => x.toFixed(2).padStart(7);
console.log(`isolated-vm startup snapshots vs today's spares (node ${process.version}, ${ROUNDS} rounds, medians)\n`);
console.log(`shim snapshot: ${(shimSnap.bytes / 1024).toFixed(0)} KB, made in ${shimSnap.ms.toFixed(1)} ms; Node-layer snapshot: ${(layerSnap.bytes / 1024).toFixed(0)} KB, made in ${layerSnap.ms.toFixed(1)} ms (main thread, synchronous)\n`);
console.log('step                              wall ms  main-thread ms  heap MB');
for (const [name, r] of Object.entries(rows)) console.log(`${name.padEnd(32)} ${f(med(r.wall))}  ${f(med(r.main))}        ${f(med(r.heap))}`);

// What a snapshot carries into each isolate made from it, and whether its limits still hold.
const probe = ivm.Isolate.createSnapshot([{ code: 'globalThis.atSnapshot = Math.random(); globalThis.grow = () => { const a = []; for (;;) a.push(new Array(1e5).fill(1.5)); };' }]);
const seen = new Set<string>();
const fresh = new Set<number>();
let oomDisposed = 0;
let catastrophic = 0;
for (let i = 0; i < 10; i++) {
  const iso = new ivm.Isolate({ memoryLimit: 16, snapshot: probe, onCatastrophicError: () => catastrophic++ });
  const context = await iso.createContext();
  seen.add(String(await context.eval('atSnapshot')));
  fresh.add(Number(await context.eval('Math.random()')));
  try {
    await context.eval('grow()', { timeout: 10_000 });
  } catch {
    if (iso.isDisposed) oomDisposed++;
  }
  if (!iso.isDisposed) iso.dispose();
}
console.log(`\n10 isolates from one snapshot: Math.random() taken while snapshotting, distinct values seen: ${seen.size};` +
  ` Math.random() in each new context, distinct: ${fresh.size}; past the 16 MB limit: ${oomDisposed} disposed by isolated-vm, ${catastrophic} catastrophic errors`);
