/**
 * What each Node built-in of the layer costs a start when it is the only one imported (no HTTP):
 *   node --no-node-snapshot --no-lazy --import tsx bench/micro/node-layer-modules.ts [--rounds N]
 *
 * For every module the layer provides, a function `import * as m from 'node:<name>'` is
 * bundled as a deploy bundles it; on isolates prepared as spares are, its bundle is compiled
 * from its V8 code cache and its top level run. Reported (medians): bundle size, compile,
 * top level, and the heap the start added to the prepared isolate.
 */
import type ivm from 'isolated-vm';
import { bundleSource } from '../../src/deploy/bundle.ts';
import { PROVIDED } from '../../src/deploy/node-layer.ts';
import { giveNodeEnv } from '../../src/runtime/isolate/node-env.ts';
import { discard, prepare } from '../../src/runtime/isolate/prepare.ts';
import { arg, HELLO_CONFIG } from './common.ts';
import { noNodeHost } from './node-layer-sources.ts';

const ROUNDS = arg('rounds', 12);
const FILENAME = 'file:///index.js';
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const f = (x: number) => x.toFixed(2).padStart(6);
console.log(`Node layer, one built-in per function (node ${process.version}, ${ROUNDS} starts each, medians)\n`);
console.log('module               bundle  compile(cached)  top level   sum   heap added');
for (const name of Object.keys(PROVIDED)) {
  const source = `import * as m from 'node:${name}'; const n = Object.keys(m).length; export default { fetch: () => new Response(String(n)) };`;
  // the modules in the bundle (not the shared layer): what each costs a bare isolate
  const code = (await bundleSource({ 'index.ts': source }, 'index.ts', 'isolate', { sharedLayer: false })).code;
  const first = await prepare(HELLO_CONFIG.memoryMb, true);
  const produced = (await first.isolate.compileScript(code, { filename: FILENAME, produceCachedData: true })) as ivm.Script & { cachedData?: ivm.ExternalCopy<ArrayBuffer> };
  const cache = produced.cachedData;
  discard(first);
  if (cache === undefined) throw new Error(`no code cache for ${name}`);
  const compile: number[] = [];
  const run: number[] = [];
  const heap: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const p = await prepare(HELLO_CONFIG.memoryMb, true);
    const before = (await p.isolate.getHeapStatistics()).used_heap_size;
    giveNodeEnv(p.context, code, HELLO_CONFIG.env, noNodeHost);
    const t0 = performance.now();
    const script = await p.isolate.compileScript(code, { filename: FILENAME, cachedData: cache });
    const t1 = performance.now();
    await script.run(p.context);
    run.push(performance.now() - t1);
    compile.push(t1 - t0);
    heap.push(((await p.isolate.getHeapStatistics()).used_heap_size - before) / 1048576);
    discard(p);
  }
  console.log(`${name.padEnd(20)} ${(code.length / 1024).toFixed(0).padStart(4)} KB  ${f(med(compile))} ms      ${f(med(run))} ms ${f(med(compile) + med(run))}  ${f(med(heap))} MB`);
}
