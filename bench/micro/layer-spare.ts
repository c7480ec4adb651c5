/**
 * What a start of the ten-module function would cost on a spare that already holds the Node
 * layer (compiled and evaluated while it waited), against a start today (no HTTP):
 *   node --no-node-snapshot --no-lazy --import tsx bench/micro/layer-spare.ts [--rounds N]
 *
 * A measurement of the idea, not its design (the design, deploy/node-layer-shared.ts, is
 * measured by node-layer.ts): the "layer" is a bundle importing the ten
 * modules the function uses and leaving their namespaces on a global, and the function is
 * the same code reading them from there (so its own bundle is small). Today: a spare as
 * prepare(…, warm) makes it, then on the request's path the 397 KB bundle compiled from its
 * code cache and its top level run. Layer-ready: the spare also compiles the layer from its
 * code cache and runs it; on the path only the function's own bundle. Both then answer one
 * call of their fetch export. Alternated round by round; medians; heap after the call.
 */
import type ivm from 'isolated-vm';
import { bundleSource } from '../../src/deploy/bundle.ts';
import { giveNodeEnv } from '../../src/runtime/isolate/node-env.ts';
import { discard, prepare, type Prepared } from '../../src/runtime/isolate/prepare.ts';
import { arg, HELLO_CONFIG } from './common.ts';
import { bundleAll, noNodeHost } from './node-layer-sources.ts';

const ROUNDS = arg('rounds', 30);
const MODULES = ['buffer', 'events', 'util', 'stream', 'string_decoder', 'path', 'url', 'assert', 'fs', 'async_hooks'];
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const full = (await bundleAll()).full!;
const layerSource = `${MODULES.map((m, i) => `import * as m${i} from 'node:${m}';`).join('\n')}
globalThis.__layer = { ${MODULES.map((m, i) => `${m}: m${i}`).join(', ')} };
export default {};`;
const layer = (await bundleSource({ 'index.ts': layerSource }, 'index.ts', 'isolate', { sharedLayer: false })).code;
// node-layer-sources.ts "full", its imports read from the layer's global instead
const fnSource = `const L = globalThis.__layer;
const { Buffer } = L.buffer; const { EventEmitter } = L.events; const util = L.util.default;
const { Readable } = L.stream; const { StringDecoder } = L.string_decoder; const path = L.path.default;
const url = L.url.default; const assert = L.assert.default; const fs = L.fs.default; const { AsyncLocalStorage } = L.async_hooks;
const als = new AsyncLocalStorage();
export default { fetch: () => als.run(1, async () => {
  assert.ok(new EventEmitter()); fs.writeFileSync('/tmp/x', 'y');
  return new Response(util.format('%s %s %s %s %s', Buffer.from('hi').toString('hex'), typeof Readable, new StringDecoder().write(Buffer.from('a')), path.join('a', 'b'), url.parse('http://x/y').pathname));
}) };`;
const fn = (await bundleSource({ 'index.ts': fnSource }, 'index.ts')).code;
const CALL = `(async () => { const r = await __nimbus_module.default.fetch(new Request('http://x/')); return await r.text(); })()`;


type Cached = ivm.ExternalCopy<ArrayBuffer>;
async function codeCache(code: string, filename: string): Promise<Cached> {
  const p = await prepare(HELLO_CONFIG.memoryMb, true);
  giveNodeEnv(p.context, full, HELLO_CONFIG.env, noNodeHost);
  const script = (await p.isolate.compileScript(code, { filename, produceCachedData: true })) as ivm.Script & { cachedData?: Cached };
  discard(p);
  if (script.cachedData === undefined) throw new Error(`no code cache for ${filename}`);
  return script.cachedData;
}
const caches = { full: await codeCache(full, 'file:///full.js'), layer: await codeCache(layer, 'file:///layer.js'), fn: await codeCache(fn, 'file:///fn.js') };

async function compileRun(p: Prepared, code: string, filename: string, cachedData: Cached): Promise<void> {
  const script = await p.isolate.compileScript(code, { filename, cachedData });
  await script.run(p.context);
  script.release();
}

const rows: Record<string, Record<'spare' | 'path' | 'call' | 'heap', number[]>> = {};
const answers = new Set<string>();
async function round(name: string, makeSpare: (p: Prepared) => Promise<void>, onPath: (p: Prepared) => Promise<void>): Promise<void> {
  const r = (rows[name] ??= { spare: [], path: [], call: [], heap: [] });
  const t0 = performance.now();
  const p = await prepare(HELLO_CONFIG.memoryMb, true);
  await makeSpare(p);
  const t1 = performance.now();
  await onPath(p);
  const t2 = performance.now();
  answers.add(String(await p.context.eval(CALL, { promise: true })));
  r.call.push(performance.now() - t2);
  r.spare.push(t1 - t0);
  r.path.push(t2 - t1);
  r.heap.push((await p.isolate.getHeapStatistics()).used_heap_size / 1048576);
  discard(p);
  await new Promise((resolve) => setTimeout(resolve, 5));
}

for (let i = 0; i < ROUNDS; i++) {
  await round('today', async () => undefined, async (p) => {
    giveNodeEnv(p.context, full, HELLO_CONFIG.env, noNodeHost);
    await compileRun(p, full, 'file:///full.js', caches.full);
  });
  await round('layer-ready spare', async (p) => {
    giveNodeEnv(p.context, full, HELLO_CONFIG.env, noNodeHost);
    await compileRun(p, layer, 'file:///layer.js', caches.layer);
  }, (p) => compileRun(p, fn, 'file:///fn.js', caches.fn));
}
if (answers.size !== 1) throw new Error(`the two functions answered differently: ${[...answers].join(' | ')}`);

const f = (x: number) => x.toFixed(2).padStart(6);
console.log(`Layer-ready spares (node ${process.version}, ${ROUNDS} rounds, medians): layer ${(layer.length / 1024).toFixed(0)} KB, the function's own bundle ${(fn.length / 1024).toFixed(1)} KB (today ${(full.length / 1024).toFixed(0)} KB)\n`);
console.log('start                 making the spare  on the path  first call  heap');
for (const [name, r] of Object.entries(rows)) console.log(`${name.padEnd(20)}  ${f(med(r.spare))} ms        ${f(med(r.path))} ms   ${f(med(r.call))} ms  ${f(med(r.heap))} MB`);
