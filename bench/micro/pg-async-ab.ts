/**
 * Async invocations on the PostgreSQL store, two checkouts of Nimbus taking turns in one run
 * (A B B A …): the `cluster` scenario's 1-node case, measured per round as rates and as CPU
 * per invocation (rates on a shared machine move with its load; CPU per invocation less so).
 *
 *   node --no-node-snapshot --import tsx bench/micro/pg-async-ab.ts --a <checkout> --b <checkout> \
 *     [--rounds 5] [--n 2000] [--clients 32] [--nodes 1] [--no-bus]
 *
 * Each side is one node, or --nodes of them on one schema (`nimbus up --store <the side's
 * schema> --bus <NATS>`, as the cluster scenario starts them) with the step function deployed
 * as there (4 instances x 16). A round submits N invocations with `Prefer: respond-async` from
 * C clients (round-robin over the side's nodes), then waits until every one succeeded (read
 * from the queue counts, as the scenario does):
 *   accepted/s     N ÷ the submit phase; submit p50/p99 the 202's latency at the client
 *   end to end     N ÷ (first submit → last one succeeded)
 *   node µs/inv    CPU of the nodes' process trees (all threads), ÷ N; main: their main threads
 *   pg µs/inv      CPU of the PostgreSQL backends of that side's connections (by
 *                  application_name, so other clients of the server do not count), ÷ N
 * --a and --b default to this checkout; each runs from dist/ when built, else from src/.
 * --prof <dir>: side B runs with --cpu-prof into <dir> (written when it stops).
 * --env-a / --env-b K=V,K2=V2: environment for that side only (experiments behind a variable).
 * PostgreSQL from NIMBUS_BENCH_PG (default the local `test` database), NATS from NIMBUS_BENCH_NATS.
 */
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import pg from 'pg';
import { BENCH_NATS, BENCH_PG, benchSchema } from '../lib/cluster-services.ts';
import { stepSource } from '../lib/functions.ts';
import { cpuMsOf, sleep } from '../lib/proc.ts';
import { startNimbus, type NimbusTarget } from '../targets/nimbus.ts';

const strArg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const here = new URL('../../', import.meta.url).pathname;
const ROOTS = { A: resolve(strArg('a', here)), B: resolve(strArg('b', here)) };
const ROUNDS = Number(strArg('rounds', '5'));
const N = Number(strArg('n', '2000'));
const CLIENTS = Number(strArg('clients', '32'));
const NODES = Number(strArg('nodes', '1'));
const BUS = !process.argv.includes('--no-bus');
const PROF = strArg('prof', '');
const envOf = (side: string) => Object.fromEntries(strArg(`env-${side}`, '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((done, fail) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => done({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', fail);
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

/** CPU ms of one thread from schedstat (nanoseconds). */
const taskMs = (path: string) => Number(readFileSync(`/proc/${path}/schedstat`, 'utf8').split(' ')[0]) / 1e6;

/** CPU ms of every live thread of the processes. */
function cpuOf(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      let sum = 0;
      for (const tid of readdirSync(`/proc/${pid}/task`)) sum += taskMs(`${pid}/task/${tid}`);
      out.set(pid, sum);
    } catch {
      // gone meanwhile
    }
  }
  return out;
}
const spent = (before: Map<number, number>, after: Map<number, number>) => [...after].reduce((s, [pid, ms]) => s + ms - (before.get(pid) ?? 0), 0);

interface Side {
  readonly label: string;
  readonly n: NimbusTarget;
  readonly all: NimbusTarget[];
  readonly app: string;
  readonly drop: () => Promise<void>;
}

const admin = new pg.Client({ connectionString: BENCH_PG });
await admin.connect();
const backends = async (app: string) => (await admin.query('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [app])).rows.map((r) => r.pid as number);

async function setUp(label: string, root: string): Promise<Side> {
  const schema = benchSchema();
  const url = new URL(schema.url);
  const app = `${url.searchParams.get('schema')}`;
  url.searchParams.set('application_name', app);
  const prof = PROF && label === 'B' ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROF}`] } : {};
  const extraArgs = ['--store', url.toString(), ...(BUS ? ['--bus', BENCH_NATS] : [])];
  const n = await startNimbus({ root, ...prof, env: envOf(label.toLowerCase()), extraArgs });
  const all = [n];
  for (let i = 1; i < NODES; i++) all.push(await startNimbus({ root, env: envOf(label.toLowerCase()), extraArgs, seedFrom: n.dataDir }));
  await n.deploy('step', stepSource(), { maxInstances: 4, concurrency: 16, timeoutMs: 10_000 });
  for (const other of all.slice(1)) while ((await other.api('GET', '/api/v1/functions/step')).status !== 200) await sleep(20);
  return { label, n, all, app, drop: schema.drop };
}

async function counts(side: Side): Promise<Record<string, number>> {
  const r = await side.n.api('GET', '/api/v1/async?function=step&limit=1');
  return (JSON.parse(r.body) as { counts: Record<string, number> }).counts;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

async function round(side: Side) {
  const base = (await counts(side)).succeeded;
  const headers = { authorization: `Bearer ${side.n.token}`, prefer: 'respond-async' };
  const latencies: number[] = [];
  const pg0 = cpuOf(await backends(side.app));
  const nodeMs = () => side.all.reduce((sum, n) => sum + cpuMsOf(n.pid), 0);
  const mainMs = () => side.all.reduce((sum, n) => sum + taskMs(`${n.pid}/task/${n.pid}`), 0);
  const cpu0 = nodeMs();
  const main0 = mainMs();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let i = next++; i < N; i = next++) {
        const s = performance.now();
        const r = await post(side.all[i % side.all.length].baseUrl + '/api/v1/functions/step/invoke', JSON.stringify({ n: i }), headers);
        if (r.status !== 202) throw new Error(`${side.label}: submit answered ${r.status}: ${r.body.slice(0, 300)}`);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const submitMs = performance.now() - t0;
  for (;;) {
    const c = await counts(side);
    if (c.succeeded - base >= N) break;
    if (performance.now() - t0 > 300_000) throw new Error(`${side.label}: not drained in 300 s`);
    await sleep(10);
  }
  const e2eMs = performance.now() - t0;
  const cpuMs = nodeMs() - cpu0;
  const mainSpent = mainMs() - main0;
  const pgMs = spent(pg0, cpuOf(await backends(side.app)));
  latencies.sort((a, b) => a - b);
  return {
    'accepted/s': N / (submitMs / 1000),
    'end-to-end inv/s': N / (e2eMs / 1000),
    'submit p50 ms': pct(latencies, 50),
    'submit p99 ms': pct(latencies, 99),
    'node µs/inv': (cpuMs * 1000) / N,
    'main µs/inv': (mainSpent * 1000) / N,
    'pg µs/inv': (pgMs * 1000) / N,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

const sides: Side[] = [];
const out: Record<string, Record<string, number[]>> = {};
try {
  sides.push(await setUp('A', ROOTS.A), await setUp('B', ROOTS.B));
  console.log(`load average ${load()}; N ${N}, ${CLIENTS} clients, ${NODES} node(s) a side, bus ${BUS ? 'NATS' : 'none'}`);
  for (const s of sides) await round(s); // warm-up: instances started, JIT warm
  for (let r = 0; r < ROUNDS; r++) {
    for (const s of r % 2 === 0 ? sides : [...sides].reverse()) {
      const m = await round(s);
      for (const [k, v] of Object.entries(m)) ((out[s.label] ??= {})[k] ??= []).push(v);
      console.log(`round ${r + 1} ${s.label}: ${Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ')}`);
    }
  }
  console.log(`load average ${load()}`);
  for (const [label, m] of Object.entries(out)) {
    console.log(`${label} (${label === 'A' ? ROOTS.A : ROOTS.B}), medians (min–max):\n  ${Object.entries(m).map(([k, v]) => `${k} ${fmt(v)}`).join('\n  ')}`);
  }
} finally {
  for (const s of sides) {
    for (const n of s.all) await n.stop().catch(() => {});
    await s.drop().catch(() => {});
  }
  await admin.end();
  agent.destroy();
}
