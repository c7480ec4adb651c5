/**
 * What compacting a spare (prepare.ts `compact`: a full garbage collection, then the shim's warm-up
 * again) sheds and costs, for a plain spare and a Node-layer one (no HTTP):
 *   node --no-node-snapshot --no-lazy --harmony-rab-gsab-transfer --import tsx bench/micro/spare-compact.ts [--rounds N]
 * Used heap and committed heap before and after; CPU: the process's, all threads, over the compaction.
 */
import { arg } from './common.ts';
import { prepare, discard, compact } from '../../src/runtime/isolate/prepare.ts';
const mb = (b: number) => (b / 1048576).toFixed(2);
const ROUNDS = arg('rounds', 4);
for (let r = 0; r < ROUNDS; r++) {
  for (const kind of ['plain', 'node-async-core'] as const) {
    const p = await prepare(128, true, kind);
    const h0 = p.isolate.getHeapStatisticsSync();
    const u0 = process.cpuUsage();
    await compact(p);
    const u = process.cpuUsage(u0);
    const h1 = p.isolate.getHeapStatisticsSync();
    console.log(`${kind.padEnd(16)} used ${mb(h0.used_heap_size)} -> ${mb(h1.used_heap_size)} MB, committed ${mb(h0.total_heap_size)} -> ${mb(h1.total_heap_size)} MB; CPU ${((u.user + u.system) / 1000).toFixed(1)} ms`);
    discard(p);
    await p.gone;
  }
}
