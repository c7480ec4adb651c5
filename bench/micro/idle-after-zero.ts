/**
 * What the platform holds at rest after its functions scaled to zero, over time:
 *   node --import tsx bench/micro/idle-after-zero.ts [--pairs P] [--minutes M] [--root DIR]
 * Starts the built platform of this tree (or of `--root`, another worktree), deploys P hello and P Node-layer
 * functions (bench/functions/node-layer.js) as the cold-start scenario does (each with its first request),
 * waits until all have scaled to zero, then reads the resident set (the platform's process tree) every
 * 30 s for M minutes, the spares it keeps settling (made, compacted, and trimmed as their demand decays).
 */
import { BENCH_CONFIG } from '../scenarios/common.ts';
import { waitForZero } from '../scenarios/cold-start.ts';
import { namedNodeLayerSource, namedSource } from '../lib/functions.ts';
import { request } from '../lib/http.ts';
import { sleep } from '../lib/proc.ts';
import { startNimbus } from '../targets/nimbus.ts';
import { arg } from './common.ts';

const PAIRS = arg('pairs', 4);
const MINUTES = arg('minutes', 6);
const at = process.argv.indexOf('--root');
const root = at >= 0 ? process.argv[at + 1] : undefined;

const n = await startNimbus(root === undefined ? {} : { root });
try {
  const mb = () => (n.memory().rssKb / 1024).toFixed(1);
  await sleep(3000);
  console.log(`idle, nothing deployed: ${mb()} MB`);
  const names: string[] = [];
  for (let i = 0; i < PAIRS; i++) {
    for (const [suffix, source] of [['', namedSource], ['-node', namedNodeLayerSource]] as const) {
      const name = `idle-${i}${suffix}`;
      await n.deploy(name, source(name), { ...BENCH_CONFIG, idleTimeoutMs: 1000 });
      const r = await request(n.baseUrl + n.fnPath(name));
      if (r.status !== 200) throw new Error(`${name} answered ${r.status}`);
      names.push(name);
    }
  }
  console.log(`all ${names.length} deployed and called: ${mb()} MB`);
  for (const name of names) await waitForZero(n, name, 31_000);
  const t0 = performance.now();
  console.log(`all at zero: ${mb()} MB`);
  for (let s = 0; s < MINUTES * 2; s++) {
    await sleep(30_000);
    console.log(`${((performance.now() - t0) / 60_000).toFixed(1)} min after zero: ${mb()} MB`);
  }
} finally {
  await n.stop();
}
