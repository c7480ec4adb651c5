/**
 * What a request costs when the load is spread over many warm functions rather than sent to
 * one (issue #23's many-functions row), for one or several source trees in one run: each tree
 * gets W functions deployed (bench/functions/named.js) and called once, then in every round
 * each tree takes two loads, all on f0 ("one") and round-robin over f0…f(W-1) ("many"), the
 * order of trees and loads alternated round by round. Server CPU per response from /proc
 * (utime + stime of every thread of the tree, the main thread apart) and the context switches
 * per response, all threads (voluntary + involuntary, /proc/<tid>/status).
 *
 *   node --no-node-snapshot --import tsx bench/micro/many-ab.ts [--rounds 5] [--seconds 4] [--warm 100] \
 *     base=/work/wt/x-base this=.
 *
 * `label=DIR[:flag,flag[:nodeflag,nodeflag]]` starts `src/cli/main.ts up` of that tree from source
 * with the flags (and Node or V8 flags before them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { namedSource } from '../lib/functions.ts';
import { HOST } from '../lib/guard.ts';
import { load } from '../lib/load.ts';
import { freePort, processTree } from '../lib/proc.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 5);
const SECONDS = arg('seconds', 4);
const CONNECTIONS = arg('connections', 50);
const WARM = arg('warm', 100);
/** `--one 0`: only the spread load (more rounds of it in the same time). */
const ONE = arg('one', 1) === 1;
const TICK_US = 1e6 / 100; // USER_HZ

interface Row {
  readonly rps: number;
  readonly all: number;
  readonly main: number;
  readonly switches: number;
  /** Threads and processes created on the whole machine per response (/proc/stat `processes`). */
  readonly forks: number;
}

interface Server {
  readonly label: string;
  readonly origin: string;
  readonly proc: ChildProcess;
  readonly dataDir: string;
  readonly rows: { one: Row[]; many: Row[] };
}

/** CPU ticks of the tree and of its main threads, and context switches of all its threads. */
function sample(pid: number): { all: number; main: number; switches: number; forks: number } {
  const forks = Number(/^processes (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1] ?? 0);
  let all = 0;
  let main = 0;
  let switches = 0;
  for (const p of processTree(pid)) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      all += Number(f[11]) + Number(f[12]);
      const m = readFileSync(`/proc/${p}/task/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      main += Number(m[11]) + Number(m[12]);
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const status = readFileSync(`/proc/${p}/task/${tid}/status`, 'utf8');
        for (const k of ['voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches']) {
          const at = status.indexOf(k + ':');
          if (at !== -1) switches += Number(status.slice(at + k.length + 1, status.indexOf('\n', at)).trim());
        }
      }
    } catch {
      /* exited */
    }
  }
  return { all, main, switches, forks };
}

function ready(proc: ChildProcess, label: string): Promise<void> {
  return new Promise((ok, fail) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (/ready/i.test(out)) ok();
    });
    proc.once('exit', (code) => fail(new Error(`${label} exited (${code}) before it was ready`)));
  });
}

const fnName = (i: number) => `f${i}`;

async function startServer(spec: string): Promise<Server> {
  const eq = spec.indexOf('=');
  const label = spec.slice(0, eq);
  const rest = spec.slice(eq + 1);
  const [dirIn, flagList = '', nodeList = ''] = rest.split(':');
  const port = await freePort();
  const dir = resolve(dirIn);
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-many-'));
  const flags = flagList.split(',').filter((f) => f !== '');
  const nodeFlags = nodeList.split(',').filter((f) => f !== '');
  const proc = spawn(
    process.execPath,
    [...nodeFlags, '--no-node-snapshot', '--no-lazy', '--harmony-rab-gsab-transfer', '--import', 'tsx', join(dir, 'src/cli/main.ts'), 'up', '--port', String(port), '--host', HOST, '--data', dataDir, '--no-examples', '--log-level', 'warn', ...flags],
    { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NIMBUS_FROM_SOURCE: '1' } },
  );
  await ready(proc, label);
  const origin = `http://${HOST}:${port}`;
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  for (let i = 0; i < WARM; i++) {
    const body = {
      source: { files: { 'index.js': namedSource(fnName(i)) }, entry: 'index.js' },
      config: { memoryMb: 128, concurrency: 16, targetConcurrency: 10, maxInstances: 50, idleTimeoutMs: 30 * 60 * 1000 },
    };
    const deployed = await fetch(`${origin}/api/v1/functions/${fnName(i)}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!deployed.ok) throw new Error(`${label}: deploy answered ${deployed.status}: ${await deployed.text()}`);
    const r = await fetch(`${origin}/fn/${fnName(i)}/`);
    const text = await r.text();
    if (text !== `hello from ${fnName(i)}`) throw new Error(`${label}: ${fnName(i)} answered "${text}"`);
  }
  return { label, origin, proc, dataDir, rows: { one: [], many: [] } };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const specs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const servers: Server[] = [];
const paths = { one: [{ path: '/fn/f0/' }], many: Array.from({ length: WARM }, (_, i) => ({ path: `/fn/${fnName(i)}/` })) };
try {
  for (const spec of specs) servers.push(await startServer(spec));
  for (let round = 1; round <= ROUNDS; round++) {
    const kinds = !ONE ? (['many'] as const) : round % 2 === 1 ? (['one', 'many'] as const) : (['many', 'one'] as const);
    for (const s of round % 2 === 1 ? servers : [...servers].reverse()) {
      for (const kind of kinds) {
        const spec = { url: s.origin, connections: CONNECTIONS, requests: paths[kind] };
        await load({ ...spec, durationSec: 1 });
        const before = sample(s.proc.pid ?? 0);
        const r = await load({ ...spec, durationSec: SECONDS });
        const after = sample(s.proc.pid ?? 0);
        if (r.non2xx + r.errors > 0) throw new Error(`${s.label}: ${r.non2xx} non-2xx and ${r.errors} errors`);
        const row: Row = {
          rps: r.rps,
          all: ((after.all - before.all) * TICK_US) / r.ok,
          main: ((after.main - before.main) * TICK_US) / r.ok,
          switches: (after.switches - before.switches) / r.ok,
          forks: (after.forks - before.forks) / r.ok,
        };
        s.rows[kind].push(row);
        const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
        console.log(`round ${round} ${s.label.padEnd(10)} ${kind.padEnd(4)} ${row.rps.toFixed(0).padStart(6)} req/s  CPU ${row.all.toFixed(1)} µs (main ${row.main.toFixed(1)})  switches ${row.switches.toFixed(2)}  threads made ${row.forks.toFixed(3)}  load ${loadAvg}`);
      }
    }
  }
} finally {
  for (const s of servers) s.proc.kill('SIGTERM');
}
console.log(`\nmedians of ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections, ${WARM} warm functions\n`);
console.log('| server | load | req/s | CPU µs/response, all threads | main thread | other threads | context switches/response | threads made/response (machine) |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|');
for (const s of servers) {
  for (const kind of ['one', 'many'] as const) {
    const rows = s.rows[kind];
    if (rows.length === 0) continue;
    const m = (f: (r: Row) => number) => median(rows.map(f));
    console.log(`| ${s.label} | ${kind} | ${m((r) => r.rps).toFixed(0)} | ${m((r) => r.all).toFixed(1)} | ${m((r) => r.main).toFixed(1)} | ${m((r) => r.all - r.main).toFixed(1)} | ${m((r) => r.switches).toFixed(2)} | ${m((r) => r.forks).toFixed(3)} |`);
  }
}
// Paired: each round's first tree against the others in the same round, per load.
for (const kind of ['one', 'many'] as const) {
  for (const s of servers.slice(1)) {
    const ratios = s.rows[kind].map((r, i) => r.all / servers[0].rows[kind][i].all);
    if (ratios.length === 0) continue;
    console.log(`${kind}: ${s.label} ÷ ${servers[0].label}, CPU per response, per round: median ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}; ${ratios.map((x) => x.toFixed(2)).join(' ')})`);
  }
}
await new Promise((r) => setTimeout(r, 500));
for (const s of servers) rmSync(s.dataDir, { recursive: true, force: true });
