/**
 * A/B of the isolate runtime alone (runtime-server.ts: one warm hello instance behind a bare
 * node:http server, no platform around it) from several source trees in one run: server CPU
 * per response, all threads and the main thread apart (from /proc), rounds alternated and the
 * order of the trees turned each round, so a busy machine weighs on every tree alike.
 *
 *   git -C /work/main worktree add /tmp/base <base> && ln -s $PWD/node_modules /tmp/base/
 *   node --no-node-snapshot --import tsx bench/micro/runtime-ab.ts [--rounds 6] [--seconds 4] [--rate 3000] base=/tmp/base this=.
 *
 * `--rate N`: N requests a second in all (autocannon's overallRate) instead of as many as the
 * 50 connections get answered: every tree then does the same work whatever its speed, and how
 * many requests share a turn of the event loop depends less on how busy the machine is.
 * The last lines give, per tree after the first, the median of its per-round ratio to the first.
 *
 * Each tree's own bench/micro/runtime-server.ts runs from that tree, with the flags `nimbus up`
 * gives Node (`--no-node-snapshot --no-lazy --harmony-rab-gsab-transfer`).
 */
import autocannon from 'autocannon';
import { join, resolve } from 'node:path';
import { HOST } from '../lib/guard.ts';
import { load } from '../lib/load.ts';
import { childEnv, cpuTicksOf, freePort, start, type Started } from '../lib/proc.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 6);
const SECONDS = arg('seconds', 4);
const CONNECTIONS = arg('connections', 50);
const RATE = arg('rate', 0);
const TICK_US = 1e6 / 100; // USER_HZ: /proc reports CPU time in 1/100 s

interface Tree {
  readonly label: string;
  readonly proc: Started;
  readonly origin: string;
  readonly rows: Array<{ rps: number; all: number; main: number }>;
}

/** Answered requests of a run at RATE a second; non-2xx answers and errors throw. */
function fixedRate(url: string, seconds: number): Promise<{ ok: number; rps: number }> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: seconds, overallRate: RATE, pipelining: 1 }, (err, res) => {
      if (err) return reject(err);
      if (res.non2xx + res.errors > 0) return reject(new Error(`${url}: ${res.non2xx} non-2xx and ${res.errors} errors`));
      resolve({ ok: res['2xx'], rps: res['2xx'] / seconds });
    });
  });
}

async function run(origin: string, seconds: number): Promise<{ ok: number; rps: number }> {
  if (RATE > 0) return fixedRate(`${origin}/`, seconds);
  const r = await load({ url: origin, connections: CONNECTIONS, requests: [{ path: '/' }], durationSec: seconds });
  if (r.non2xx + r.errors > 0) throw new Error(`${origin}: ${r.non2xx} non-2xx and ${r.errors} errors`);
  return r;
}


async function startTree(label: string, dir: string): Promise<Tree> {
  const port = await freePort();
  const root = resolve(dir);
  const proc = start({
    cmd: process.execPath,
    args: ['--no-node-snapshot', '--no-lazy', '--harmony-rab-gsab-transfer', '--import', 'tsx', join(root, 'bench/micro/runtime-server.ts')],
    env: childEnv({ PORT: String(port) }),
    cwd: root,
  });
  await Promise.race([proc.waitForLine(/ready/, 60_000), proc.died()]);
  return { label, proc, origin: `http://${HOST}:${port}`, rows: [] };
}

const specs = process.argv.slice(2).filter((a) => a.includes('=') && !a.startsWith('--'));
if (specs.length < 2) throw new Error('give two trees or more: label=DIR');
const trees: Tree[] = [];
for (const s of specs) {
  const [label, dir] = s.split('=');
  trees.push(await startTree(label, dir));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

try {
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? trees : [...trees].reverse();
    for (const t of order) {
      await run(t.origin, 1); // warm-up
      const before = cpuTicksOf(t.proc.pid);
      const r = await run(t.origin, SECONDS);
      const after = cpuTicksOf(t.proc.pid);
      const perReq = (n: number) => (n * TICK_US) / r.ok;
      const row = { rps: r.rps, all: perReq(after.all - before.all), main: perReq(after.main - before.main) };
      t.rows.push(row);
      console.log(`round ${round} ${t.label.padEnd(10)} ${row.rps.toFixed(0).padStart(6)} req/s  CPU/response ${row.all.toFixed(1)} µs (main thread ${row.main.toFixed(1)})`);
    }
  }
} finally {
  for (const t of trees) await t.proc.stop();
}

console.log(`\nmedians of ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections${RATE > 0 ? `, ${RATE} requests/s` : ''}\n`);
console.log('| tree | req/s | CPU µs/response, all threads | main thread | other threads |');
console.log('|---|---:|---:|---:|---:|');
for (const t of trees) {
  const m = (f: (r: Tree['rows'][number]) => number) => median(t.rows.map(f)).toFixed(1);
  console.log(`| ${t.label} | ${median(t.rows.map((r) => r.rps)).toFixed(0)} | ${m((r) => r.all)} | ${m((r) => r.main)} | ${m((r) => r.all - r.main)} |`);
}
for (const t of trees.slice(1)) {
  const ratio = (f: (r: Tree['rows'][number]) => number) => median(t.rows.map((r, i) => f(r) / f(trees[0].rows[i]))).toFixed(3);
  console.log(`${t.label} ÷ ${trees[0].label}, median of the rounds' ratios: all threads ${ratio((r) => r.all)}, main thread ${ratio((r) => r.main)}`);
}
