/**
 * CPU a warm request costs on PostgreSQL, two Nimbus trees side by side (e.g. before and
 * after a change to the PostgreSQL store): each serves the warm hello at the same fixed rate
 * in turns (A B B A …), and a round reads the CPU (time on a CPU from schedstat, all threads) of the
 * platform's process and of every `postgres` process from /proc before and after it. At a
 * fixed rate both do the same work, so CPU per request compares them where req/s on a shared
 * machine would not. The postgres side is the backends of that tree's connections (named
 * by application_name, so other clients of the same server do not count); the server's own
 * writers (walwriter, checkpointer, background writer) are shown apart, as other clients'
 * work lands there too.
 *
 *   node --no-node-snapshot --import tsx bench/micro/store-postgres-cpu.ts \
 *     --a /path/to/old/checkout --b . [--rate 2000] [--seconds 6] [--rounds 8] [--connections 20]
 *
 * `--a-sqlite`: A runs on its embedded SQLite store instead (the baseline of the
 * store-postgres scenario): its writes are in its own process, so its "backends" are none.
 * `--idle <s>`: first, both servers idle (hello deployed and warm) for that long, side by
 * side: the CPU a second of each platform process and of its postgres backends, which is
 * what its periodic work costs (heartbeats, leases, queue and workflow scans).
 *
 * Each tree must be built (`npm run build`) or runnable from source. PostgreSQL from
 * NIMBUS_BENCH_PG (default the local `test` database), a schema of its own per tree.
 */
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { BENCH_PG } from '../lib/cluster-services.ts';
import { HOST } from '../lib/guard.ts';
import { helloSource } from '../lib/functions.ts';
import { childEnv, freePort, start, type Started } from '../lib/proc.ts';

const { values: opts } = parseArgs({
  options: {
    a: { type: 'string' },
    'a-sqlite': { type: 'boolean', default: false },
    threads: { type: 'boolean', default: false },
    b: { type: 'string', default: '.' },
    rate: { type: 'string', default: '2000' },
    seconds: { type: 'string', default: '6' },
    rounds: { type: 'string', default: '8' },
    connections: { type: 'string', default: '20' },
    idle: { type: 'string', default: '0' },
  },
});
if (!opts.a) throw new Error('--a <checkout> is required (the tree to compare with --b)');
const rate = Number(opts.rate);
const seconds = Number(opts.seconds);
const rounds = Number(opts.rounds);
const connections = Number(opts.connections);
/** Time one task (thread) has run on a CPU, ms: /proc/…/schedstat counts nanoseconds (stat's utime + stime, 10 ms ticks, were ±1 µs a request over a round). */
function taskMs(path: string): number {
  return Number(readFileSync(`/proc/${path}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
}

/** CPU of a process, all its live threads (a thread that ended meanwhile is not counted), ms. */
function cpuMs(pid: number | string): number {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += taskMs(`${pid}/task/${tid}`);
    } catch {
      // ended meanwhile
    }
  }
  return sum;
}

/** CPU of each live process of `pids`, ms. */
function cpuOf(pids: readonly number[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      out.set(pid, cpuMs(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU spent between two readings by the processes of the second (one that started meanwhile: all of its CPU). */
function spent(before: Map<number, number>, after: Map<number, number>): number {
  let sum = 0;
  for (const [pid, ms] of after) sum += ms - (before.get(pid) ?? 0);
  return sum;
}

/** CPU of each thread of a process, ms, by thread id. */
function threadsOf(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(Number(tid), taskMs(`${pid}/task/${tid}`));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The main thread's CPU (its task has the process's id), ms. */
function mainThreadMs(pid: number): number {
  return taskMs(`${pid}/task/${pid}`);
}

interface Tree {
  readonly name: string;
  readonly root: string;
  readonly schema: string;
  readonly sqlite: boolean;
  proc?: Started;
  baseUrl?: string;
  dataDir?: string;
  readonly samples: Array<{ requests: number; nimbusUs: number; mainUs: number; postgresUs: number; auxUs: number }>;
}

async function startTree(t: Tree): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-pgcpu-'));
  const port = await freePort();
  const store = new URL(BENCH_PG);
  store.searchParams.set('schema', t.schema);
  store.searchParams.set('application_name', t.schema);
  const bin = join(t.root, 'bin/nimbus.mjs');
  const args = ['--no-node-snapshot', '--no-lazy', '--harmony-rab-gsab-transfer', bin, 'up', '--port', String(port), '--host', HOST, '--data', dataDir, '--no-examples', ...(t.sqlite ? [] : ['--store', store.toString()])];
  t.proc = start({ cmd: process.execPath, args, cwd: t.root, env: childEnv() });
  await t.proc.waitForLine(/ready/i, 60_000);
  t.dataDir = dataDir;
  t.baseUrl = `http://${HOST}:${port}`;
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const r = await fetch(`${t.baseUrl}/api/v1/functions/hello`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ source: { files: { 'index.ts': helloSource() }, entry: 'index.ts' } }),
  });
  if (!r.ok) throw new Error(`${t.name}: deploy failed: HTTP ${r.status} ${await r.text()}`);
  for (let i = 0; i < 20; i++) await (await fetch(`${t.baseUrl}/fn/hello/`)).text();
}

const sent = new Map<Tree, number>();

function fixedLoad(t: Tree, durationSec: number): Promise<number> {
  const url = `${t.baseUrl}/fn/hello/`;
  return new Promise((resolveLoad, reject) => {
    autocannon({ url, connections, overallRate: rate, duration: durationSec, pipelining: 1 }, (err, res) => {
      if (err) return reject(err);
      if (res.non2xx > 0 || res.errors > 0) return reject(new Error(`${url}: ${res.non2xx} non-2xx, ${res.errors} errors`));
      sent.set(t, (sent.get(t) ?? 20) + res['2xx']);
      resolveLoad(res['2xx']);
    });
  });
}

const run = Date.now().toString(36);
const trees: Tree[] = [
  { name: 'A', root: resolve(opts.a), schema: `nimbus_cpu_a_${run}`, sqlite: opts['a-sqlite'] ?? false, samples: [] },
  { name: 'B', root: resolve(opts.b), schema: `nimbus_cpu_b_${run}`, sqlite: false, samples: [] },
];
const admin = new pg.Client({ connectionString: BENCH_PG });
await admin.connect();
const pidsOf = async (where: string, arg: string) =>
  (await admin.query(`SELECT pid FROM pg_stat_activity WHERE ${where}`, [arg])).rows.map((r) => r.pid as number);
const backends = (t: Tree) => pidsOf('application_name = $1', t.schema);
const auxiliary = () => pidsOf('backend_type = ANY(string_to_array($1, \',\'))', 'walwriter,checkpointer,background writer');
try {
  for (const t of trees) await startTree(t);
  const idleSec = Number(opts.idle);
  if (idleSec > 0) {
    // Backends come and go while idle (a pool closes idle connections and opens new ones):
    // each is read every 250 ms, so one that ended counts up to its last reading.
    const first = trees.map(() => new Map<number, number>());
    const last = trees.map(() => new Map<number, number>());
    const seen = trees.map(() => 0);
    const read = async () => {
      for (const [i, t] of trees.entries()) {
        for (const [pid, ms] of cpuOf(await backends(t))) {
          if (!first[i].has(pid)) {
            first[i].set(pid, ms);
            seen[i]++;
          }
          last[i].set(pid, ms);
        }
      }
    };
    await read();
    const started = first.map((pids) => new Set(pids.keys()));
    const nimbus0 = trees.map((t) => cpuMs(t.proc!.pid));
    const until = Date.now() + idleSec * 1000;
    while (Date.now() < until) {
      await new Promise((res) => setTimeout(res, 250));
      await read();
    }
    for (const [i, t] of trees.entries()) {
      const nimbus = (cpuMs(t.proc!.pid) - nimbus0[i]) / idleSec;
      let pgMs = 0;
      for (const [pid, ms] of last[i]) pgMs += ms - (started[i].has(pid) ? first[i].get(pid)! : 0);
      console.log(
        `idle ${t.name}${t.sqlite ? ' (SQLite)' : ''}, ${idleSec} s: Nimbus ${nimbus.toFixed(2)} ms of CPU a second, ` +
          `its postgres backends ${(pgMs / idleSec).toFixed(2)} (${seen[i] - started[i].size} backends started meanwhile)`,
      );
    }
  }
  // Warm-up: each tree a short round, not counted.
  for (const t of trees) await fixedLoad(t, 2);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? trees : [...trees].reverse();
    for (const t of order) {
      const p0 = cpuOf(await backends(t));
      const x0 = cpuOf(await auxiliary());
      const n0 = cpuMs(t.proc!.pid);
      const m0 = mainThreadMs(t.proc!.pid);
      const th0 = opts.threads ? threadsOf(t.proc!.pid) : null;
      const requests = await fixedLoad(t, seconds);
      // The last batch: written within a flush interval and a write; wait for it before reading.
      await new Promise((res) => setTimeout(res, 300));
      const n1 = cpuMs(t.proc!.pid);
      const m1 = mainThreadMs(t.proc!.pid);
      const th1 = opts.threads ? threadsOf(t.proc!.pid) : null;
      const p1 = cpuOf(await backends(t));
      const x1 = cpuOf(await auxiliary());
      const per = (ms: number) => (ms * 1000) / requests;
      const s = { requests, nimbusUs: per(n1 - n0), mainUs: per(m1 - m0), postgresUs: per(spent(p0, p1)), auxUs: per(spent(x0, x1)) };
      t.samples.push(s);
      console.log(
        `round ${r + 1} ${t.name}: ${requests} requests, Nimbus ${s.nimbusUs.toFixed(1)} µs/req (main thread ${s.mainUs.toFixed(1)}), ` +
          `its postgres backends ${s.postgresUs.toFixed(1)} µs/req (server's writers ${s.auxUs.toFixed(1)})`,
      );
      if (th0 && th1) {
        const busy = [...th1].map(([tid, ms]) => [tid, per(ms - (th0.get(tid) ?? 0))] as const).filter(([, us]) => us >= 0.5).sort((x, y) => y[1] - x[1]);
        console.log(`  threads, µs/req: ${busy.map(([tid, us]) => `${tid === t.proc!.pid ? 'main' : tid} ${us.toFixed(1)}`).join(', ')}`);
      }
    }
  }
  /** The records a tree stored: rows of `invocations`, and the records of its segments where it keeps them (a tree from before migration 10 has none). */
  const storedRecords = (schema: string, segments: boolean) =>
    segments
      ? `SELECT ((SELECT count(*) FROM ${schema}.invocations) + (SELECT COALESCE(SUM(records), 0) FROM ${schema}.invocation_segments))::int AS n,
           (SELECT string_agg(DISTINCT f, ', ') FROM (SELECT 'row ' || function_name AS f FROM ${schema}.invocations UNION SELECT 'segment ' || function_name FROM ${schema}.invocation_segments) x) AS what`
      : `SELECT count(*)::int AS n, string_agg(DISTINCT trigger || ' ' || function_name, ', ') AS what FROM ${schema}.invocations`;
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
  for (const t of trees) {
    const { rows } = t.sqlite
      ? { rows: [{ n: '(in SQLite)', what: 'not counted' }] }
      : await admin.query(storedRecords(t.schema, (await admin.query('SELECT to_regclass($1) AS t', [`${t.schema}.invocation_segments`])).rows[0].t !== null));
    const m = (k: keyof Tree['samples'][number]) => median(t.samples.map((s) => s[k])).toFixed(1);
    const sums = median(t.samples.map((s) => s.nimbusUs + s.postgresUs)).toFixed(1);
    console.log(
      `${t.name} (${t.root}${t.sqlite ? ', SQLite' : ''}): medians of ${t.samples.length} rounds, µs a request: Nimbus ${m('nimbusUs')} (main thread ${m('mainUs')}), ` +
        `its postgres backends ${m('postgresUs')} (server's writers ${m('auxUs')}), Nimbus + backends ${sums}; ` +
        `${rows[0].n} records stored (${rows[0].what}) for ${sent.get(t)} requests sent`,
    );
  }
  // Rounds r of A and B ran next to each other (A B, then B A): their difference leaves out the load that changed between rounds.
  const [a, b] = trees;
  const paired = (k: (s: Tree['samples'][number]) => number) => median(a.samples.map((s, r) => k(b.samples[r]) - k(s))).toFixed(1);
  console.log(
    `B − A, median of the ${a.samples.length} paired rounds, µs a request: Nimbus ${paired((s) => s.nimbusUs)}, ` +
      `its postgres backends ${paired((s) => s.postgresUs)}, Nimbus + backends ${paired((s) => s.nimbusUs + s.postgresUs)}`,
  );
} finally {
  for (const t of trees) {
    await t.proc?.stop(10_000);
    if (t.dataDir) rmSync(t.dataDir, { recursive: true, force: true });
    await admin.query(`DROP SCHEMA IF EXISTS ${t.schema} CASCADE`).catch(() => {});
  }
  await admin.end();
}
