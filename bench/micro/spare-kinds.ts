/**
 * What a spare of each kind costs to make (off the request's path) and holds:
 *   node --no-node-snapshot --no-lazy --import tsx bench/micro/spare-kinds.ts [--rounds N]
 * prepare(128 MB, warm, kind) as the spare pool calls it, the kinds alternated round by round
 * (`plain`: context + shim; the layer kinds: the shared Node layer compiled from its
 * code cache and evaluated too). Medians: wall, the process's CPU (all threads), used heap and
 * the isolate's external memory (what an instance's heapUsedBytes adds to the heap).
 */
import { LAYER_KINDS, sharedLayer } from '../../src/deploy/node-layer-shared.ts';
import { discard, prepare, type SpareKind } from '../../src/runtime/isolate/prepare.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 20);
const KINDS: SpareKind[] = ['plain', ...LAYER_KINDS];
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const rows = Object.fromEntries(KINDS.map((k) => [k, { wall: [] as number[], cpu: [] as number[], heap: [] as number[], external: [] as number[] }]));

// the layers bundled and their code caches made before the rounds
for (const kind of KINDS) discard(await prepare(128, true, kind));
for (let i = 0; i < ROUNDS; i++) {
  for (const kind of KINDS) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const p = await prepare(128, true, kind);
    const wall = performance.now() - t0;
    const c1 = process.cpuUsage(c0);
    rows[kind]!.wall.push(wall);
    rows[kind]!.cpu.push((c1.user + c1.system) / 1000);
    const h = await p.isolate.getHeapStatistics();
    rows[kind]!.heap.push(h.used_heap_size / 1048576);
    rows[kind]!.external.push(h.externally_allocated_size / 1048576);
    discard(p);
    await p.gone;
  }
}
const sizes = await Promise.all(LAYER_KINDS.map(async (k) => `${k} ${((await sharedLayer(k)).code.length / 1024).toFixed(0)} KB`));
console.log(`Spare kinds (node ${process.version}, ${ROUNDS} rounds, medians; layers: ${sizes.join(', ')})\n`);
console.log('kind         make (wall)   make (CPU)   heap      external');
for (const kind of KINDS) {
  const r = rows[kind]!;
  console.log(`${kind.padEnd(11)}  ${med(r.wall).toFixed(2).padStart(7)} ms  ${med(r.cpu).toFixed(2).padStart(7)} ms  ${med(r.heap).toFixed(2)} MB   ${med(r.external).toFixed(2)} MB`);
}
