/**
 * The async-throughput scenario's load on two checkouts of Nimbus taking turns in one run
 * (A/B): the step function deployed with the scenario's settings (BENCH_CONFIG), autocannon
 * with 50 connections submitting it with `Prefer: respond-async` for --seconds, then a wait
 * until every accepted one has run, the queue counts polled every 10 ms as the scenario does.
 * Per round and side: end-to-end rate (accepted ÷ first submit to last completion, which the
 * load on the machine moves) and the server's CPU per invocation over submit and drain (utime +
 * stime from /proc, all threads and the main thread alone, which it does not).
 *
 *   node --no-node-snapshot --import tsx bench/micro/async-ab.ts --a <checkout> --b <checkout> [--rounds 6] [--seconds 3] [--prof <dir>]
 *
 * --a and --b default to this checkout; each runs from its dist/ (build it first). --prof
 * <dir> profiles side A (--cpu-prof, written when it stops). Paired: per round, A ÷ B.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { stepSource } from '../lib/functions.ts';
import { load } from '../lib/load.ts';
import { cpuMsOf, sleep } from '../lib/proc.ts';
import { BENCH_CONFIG } from '../scenarios/common.ts';
import { startNimbus, type NimbusTarget } from '../targets/nimbus.ts';

const strArg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const here = new URL('../../', import.meta.url).pathname;
const ROOTS = { A: strArg('a', here), B: strArg('b', here) };
const ROUNDS = Number(strArg('rounds', '6'));
const SECONDS = Number(strArg('seconds', '3'));
const PROF = strArg('prof', '');
const BODY = JSON.stringify({ order: 42, items: [1, 2, 3] });

/** CPU ms of the server's main thread alone (where its JavaScript and SQLite run). */
function mainCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

interface Side {
  readonly label: 'A' | 'B';
  readonly n: NimbusTarget;
}

async function setUp(label: 'A' | 'B'): Promise<Side> {
  const n = await startNimbus({ root: ROOTS[label], ...(PROF && label === 'A' ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROF}`] } : {}) });
  await n.deploy('step', stepSource(), BENCH_CONFIG);
  return { label, n };
}

async function counts(side: Side): Promise<{ done: number; pending: number }> {
  const r = await side.n.api('GET', '/api/v1/async?function=step&limit=1');
  const c = (JSON.parse(r.body) as { counts: Record<string, number> }).counts;
  return { done: c.succeeded + (c.dead ?? 0), pending: (c.queued ?? 0) + (c.running ?? 0) };
}

interface Round {
  readonly rate: number;
  readonly submits: number;
  readonly accepted: number;
  readonly cpuUs: number;
  readonly mainUs: number;
}

async function round(side: Side, seconds: number): Promise<Round> {
  while ((await counts(side)).pending > 0) await sleep(10);
  const base = (await counts(side)).done;
  const cpu0 = cpuMsOf(side.n.pid);
  const main0 = mainCpuMs(side.n.pid);
  const t0 = performance.now();
  const r = await load({
    url: side.n.baseUrl,
    connections: 50,
    durationSec: seconds,
    requests: [{ path: '/api/v1/functions/step/invoke', method: 'POST', body: BODY, headers: { authorization: `Bearer ${side.n.token}`, prefer: 'respond-async' } }],
  });
  if (r.non2xx + r.errors + r.timeouts > 0) throw new Error(`${side.label}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts`);
  while ((await counts(side)).done - base < r.ok) await sleep(10);
  const el = (performance.now() - t0) / 1000;
  const cpuMs = cpuMsOf(side.n.pid) - cpu0;
  const mainMs = mainCpuMs(side.n.pid) - main0;
  return { rate: r.ok / el, submits: r.rps, accepted: r.ok, cpuUs: (cpuMs * 1000) / r.ok, mainUs: (mainMs * 1000) / r.ok };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (xs: number[], digits = 0) => `${median(xs).toFixed(digits)} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;

const sides = [await setUp('A'), await setUp('B')];
const out: Record<string, Round[]> = { A: [], B: [] };
try {
  for (const s of sides) await round(s, 1); // warm-up: instances started, JIT warm
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (let i = 0; i < ROUNDS; i++) {
    const order = i % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) {
      const r = await round(s, SECONDS);
      out[s.label].push(r);
      console.log(
        `round ${i} ${s.label}: ${r.rate.toFixed(0)} inv/s end to end, ${r.submits.toFixed(0)} submits/s (${r.accepted}), ` +
          `${r.cpuUs.toFixed(1)} µs CPU/invocation (main thread ${r.mainUs.toFixed(1)}), load ${loadavg()[0].toFixed(2)}`,
      );
    }
  }
  console.log(`load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const label of ['A', 'B'] as const) {
    const rs = out[label];
    console.log(
      `${label} (${ROOTS[label]}): inv/s ${fmt(rs.map((r) => r.rate))}, submits/s ${fmt(rs.map((r) => r.submits))}, ` +
        `µs CPU/inv ${fmt(rs.map((r) => r.cpuUs))}, main thread ${fmt(rs.map((r) => r.mainUs))}`,
    );
  }
  const ratio = (f: (r: Round) => number) => median(out.A.map((a, i) => f(a) / f(out.B[i])));
  console.log(`paired A ÷ B (median over rounds): inv/s ${ratio((r) => r.rate).toFixed(3)}, CPU/inv ${ratio((r) => r.cpuUs).toFixed(3)}, main thread ${ratio((r) => r.mainUs).toFixed(3)}`);
} finally {
  for (const s of sides) await s.n.stop();
}
