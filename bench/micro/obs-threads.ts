/**
 * Servers from one or more source trees (as ab-trees.ts starts them) under the same fixed
 * request rate (autocannon's overallRate), so every server does the same work whatever its
 * speed, with the rounds alternated: CPU per response of the main thread and of the other
 * threads together (the record writer, V8's GC and compiler helpers, isolated-vm's pool)
 * from /proc/<pid>/task/<tid>/stat, medians over rounds. Node 20 names every thread "node",
 * so the other threads are not told apart.
 *
 *   node --no-node-snapshot --import tsx bench/micro/obs-threads.ts [--rounds 5] [--seconds 4] [--rate 6000] \
 *     old=/tmp/old old-off=/tmp/old:--no-observability new=. new-off=.:--no-observability
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import { HOST } from '../lib/guard.ts';
import { freePort } from '../lib/proc.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 5);
const SECONDS = arg('seconds', 4);
const RATE = arg('rate', 6000);
const CONNECTIONS = arg('connections', 50);
const TICK_US = 1e6 / 100; // USER_HZ
const SOURCE = `export default { fetch() { return new Response('hello') } }`;

interface Server {
  readonly label: string;
  readonly origin: string;
  readonly proc: ChildProcess;
  readonly dataDir: string;
  readonly rows: Array<Record<string, number>>;
}

function ticks(pid: number): Record<string, number> {
  const out: Record<string, number> = { all: 0 };
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const raw = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
      const n = Number(f[11]) + Number(f[12]);
      const g = Number(t) === pid ? 'main' : 'other';
      out[g] = (out[g] ?? 0) + n;
      out.all += n;
    } catch {
      /* exited */
    }
  }
  return out;
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

async function startServer(spec: string): Promise<Server> {
  const [label, rest = ''] = spec.split('=');
  const [dirIn, flagList = ''] = rest.split(':');
  const port = await freePort();
  const dir = resolve(dirIn);
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-obs-'));
  const flags = flagList.split(',').filter((f) => f !== '');
  const proc = spawn(
    process.execPath,
    ['--no-node-snapshot', '--no-lazy', '--harmony-rab-gsab-transfer', '--import', 'tsx', join(dir, 'src/cli/main.ts'), 'up', '--port', String(port), '--host', HOST, '--data', dataDir, '--no-examples', '--log-level', 'warn', ...flags],
    { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NIMBUS_FROM_SOURCE: '1' } },
  );
  await ready(proc, label);
  const origin = `http://${HOST}:${port}`;
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const body = { source: { files: { 'index.ts': SOURCE }, entry: 'index.ts' }, config: { memoryMb: 128, concurrency: 16, targetConcurrency: 10, maxInstances: 50 } };
  const deployed = await fetch(`${origin}/api/v1/functions/hello`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!deployed.ok) throw new Error(`${label}: deploy answered ${deployed.status}: ${await deployed.text()}`);
  return { label, origin, proc, dataDir, rows: [] };
}

function run(url: string, seconds: number): Promise<{ ok: number; bad: number }> {
  return new Promise((ok, fail) => {
    autocannon({ url, connections: CONNECTIONS, duration: seconds, overallRate: RATE }, (err, res) => {
      if (err) return fail(err);
      ok({ ok: res['2xx'], bad: res.non2xx + res.errors });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const specs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const servers: Server[] = [];
const GROUPS = ['all', 'main', 'other'];
try {
  for (const spec of specs) servers.push(await startServer(spec));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of round % 2 === 1 ? servers : [...servers].reverse()) {
      const url = `${s.origin}/fn/hello/`;
      await run(url, 1);
      const before = ticks(s.proc.pid ?? 0);
      const r = await run(url, SECONDS);
      const after = ticks(s.proc.pid ?? 0);
      if (r.bad > 0) throw new Error(`${s.label}: ${r.bad} failed requests`);
      const row: Record<string, number> = { rps: r.ok / SECONDS };
      for (const g of GROUPS) row[g] = (((after[g] ?? 0) - (before[g] ?? 0)) * TICK_US) / r.ok;
      s.rows.push(row);
      const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      console.log(`round ${round} ${s.label.padEnd(10)} ${row.rps.toFixed(0).padStart(6)} req/s  ${GROUPS.map((g) => `${g} ${row[g].toFixed(1)}`).join('  ')}  load ${loadAvg}`);
    }
  }
} finally {
  for (const s of servers) s.proc.kill('SIGTERM');
}
console.log(`\nmedians of ${ROUNDS} rounds × ${SECONDS} s at ${RATE} req/s, ${CONNECTIONS} connections; CPU µs a response\n`);
console.log(`| server | req/s | ${GROUPS.join(' | ')} |`);
console.log(`|---|${GROUPS.map(() => '---:').join('|')}|---:|`);
for (const s of servers) console.log(`| ${s.label} | ${median(s.rows.map((r) => r.rps)).toFixed(0)} | ${GROUPS.map((g) => median(s.rows.map((r) => r[g])).toFixed(1)).join(' | ')} |`);
await new Promise((r) => setTimeout(r, 500));
for (const s of servers) rmSync(s.dataDir, { recursive: true, force: true });
