/**
 * Resident memory a ready spare holds, by kind, compacted as an idle platform keeps it:
 *   node --no-node-snapshot --no-lazy --harmony-rab-gsab-transfer --import tsx bench/micro/spare-rss.ts [--count N] [--rounds R]
 * Per round and kind: N spares made and compacted, the process's VmRSS read before and after (the
 * difference also holds whatever the bench's own heap grew by meanwhile), then all discarded.
 * Reported: MB per spare, median over rounds.
 */
import { readFileSync } from 'node:fs';
import { LAYER_KINDS } from '../../src/deploy/node-layer-shared.ts';
import { compact, discard, prepare, type Prepared, type SpareKind } from '../../src/runtime/isolate/prepare.ts';
import { arg } from './common.ts';
import { sleep } from './node-layer-sources.ts';

const COUNT = arg('count', 8);
const ROUNDS = arg('rounds', 3);
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
const kinds: SpareKind[] = ['plain', LAYER_KINDS.find((k) => k === 'node-async-core')!];
const per: Record<string, number[]> = {};
// warm: shim and layer bundled and their code caches made
for (const kind of kinds) {
  const p = await prepare(128, true, kind);
  discard(p);
  await p.gone;
}
for (let r = 0; r < ROUNDS; r++) {
  for (const kind of kinds) {
    await sleep(200);
    const before = rssMb();
    const made: Prepared[] = [];
    for (let i = 0; i < COUNT; i++) {
      const p = await prepare(128, true, kind);
      await compact(p);
      made.push(p);
    }
    await sleep(200);
    (per[kind] ??= []).push((rssMb() - before) / COUNT);
    for (const p of made) discard(p);
    await Promise.all(made.map((p) => p.gone));
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const kind of kinds) console.log(`${kind.padEnd(16)} ${med(per[kind]!).toFixed(2)} MB RSS per spare, compacted (rounds: ${per[kind]!.map((x) => x.toFixed(2)).join(', ')})`);
