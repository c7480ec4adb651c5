/**
 * A/B of the platform from several source trees (a checkout of the base commit beside this
 * one), warm, in one run: server CPU per response (all threads, the main thread and the
 * main thread's kernel time, from /proc) with the rounds alternated, so a busy machine weighs on every tree alike.
 *
 *   git -C <repo> archive <base> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/
 *   node --no-node-snapshot --import tsx bench/micro/ab-trees.ts [--rounds 5] [--seconds 4] [--echo 1] \
 *     raw=RAW base=/tmp/base this=. this-off=.:--no-observability
 *
 * `label=DIR[:flag,flag]` starts `src/cli/main.ts up` of that tree from source with the flags;
 * `label=RAW` is a bare node:http server answering the same. `--echo 1`: a 10 KB JSON POST
 * echoed by `await request.json()` and `Response.json` instead of a GET of "hello". `--app 1`:
 * bench/apps/hello-server.mjs deployed as an app (one instance, concurrency 64, as the apps
 * scenario does; give the trees `:--app-host-network`), against RAW, that server by hand.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { HOST } from '../lib/guard.ts';
import { load, type LoadRequest } from '../lib/load.ts';
import { freePort, processTree } from '../lib/proc.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 5);
const SECONDS = arg('seconds', 4);
const CONNECTIONS = arg('connections', 50);
const ECHO = arg('echo', 0) === 1;
const APP = arg('app', 0) === 1;
const APP_SERVER = readFileSync(new URL('../apps/hello-server.mjs', import.meta.url));
const TICK_US = 1e6 / 100; // USER_HZ

const BODY = JSON.stringify({ data: 'x'.repeat(10 * 1024 - 12) });
const SOURCE = ECHO ? `export default { async fetch(r) { return Response.json(await r.json()) } }` : `export default { fetch() { return new Response('hello') } }`;
const RAW_SERVER = `require('http').createServer((q, s) => {
  if (q.method !== 'POST') { s.writeHead(200, { 'content-type': 'text/plain' }); return s.end('hello'); }
  const c = []; q.on('data', (d) => c.push(d));
  q.on('end', () => { const v = JSON.parse(Buffer.concat(c)); s.writeHead(200, { 'content-type': 'application/json' }); s.end(JSON.stringify(v)); });
}).listen(Number(process.env.PORT), '${HOST}', () => console.log('ready'))`;

interface Server {
  readonly label: string;
  readonly origin: string;
  readonly path: string;
  readonly proc: ChildProcess;
  readonly dataDir: string | null;
  readonly rows: Array<{ rps: number; all: number; main: number; mainSys: number; p99: number }>;
}

function ticks(pid: number): { all: number; main: number; mainSys: number } {
  let all = 0;
  let main = 0;
  let mainSys = 0;
  for (const p of processTree(pid)) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      all += Number(f[11]) + Number(f[12]);
      const m = readFileSync(`/proc/${p}/task/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      main += Number(m[11]) + Number(m[12]);
      mainSys += Number(m[12]);
    } catch {
      /* exited */
    }
  }
  return { all, main, mainSys };
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
  if (dirIn === 'RAW') {
    const proc = spawn(process.execPath, ['-e', RAW_SERVER], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PORT: String(port) } });
    await ready(proc, label);
    return { label, origin: `http://${HOST}:${port}`, path: '/', proc, dataDir: null, rows: [] };
  }
  const dir = resolve(dirIn);
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-ab-'));
  const flags = flagList.split(',').filter((f) => f !== '');
  const proc = spawn(
    process.execPath,
    ['--no-node-snapshot', '--no-lazy', '--harmony-rab-gsab-transfer', '--import', 'tsx', join(dir, 'src/cli/main.ts'), 'up', '--port', String(port), '--host', HOST, '--data', dataDir, '--no-examples', '--log-level', 'warn', ...flags],
    { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NIMBUS_FROM_SOURCE: '1' } },
  );
  await ready(proc, label);
  const origin = `http://${HOST}:${port}`;
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const body = APP
    ? { source: { app: { files: { 'server.mjs': APP_SERVER.toString('base64') } } }, config: { runtime: 'app', app: { command: 'node server.mjs' }, concurrency: 64, targetConcurrency: 64, maxInstances: 1, minInstances: 1 } }
    : { source: { files: { 'index.ts': SOURCE }, entry: 'index.ts' }, config: { memoryMb: 128, concurrency: 16, targetConcurrency: 10, maxInstances: 50 } };
  const deployed = await fetch(`${origin}/api/v1/functions/hello`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!deployed.ok) throw new Error(`${label}: deploy answered ${deployed.status}: ${await deployed.text()}`);
  return { label, origin, path: '/fn/hello/', proc, dataDir, rows: [] };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const specs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const servers: Server[] = [];
try {
  for (const spec of specs) servers.push(await startServer(spec));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of round % 2 === 1 ? servers : [...servers].reverse()) {
      const request: LoadRequest = ECHO ? { path: s.path, method: 'POST', body: BODY } : { path: s.path };
      const spec = { url: s.origin, connections: CONNECTIONS, requests: [request] };
      await load({ ...spec, durationSec: 1 });
      const before = ticks(s.proc.pid ?? 0);
      const r = await load({ ...spec, durationSec: SECONDS });
      const after = ticks(s.proc.pid ?? 0);
      if (r.non2xx + r.errors > 0) throw new Error(`${s.label}: ${r.non2xx} non-2xx and ${r.errors} errors`);
      const row = { rps: r.rps, all: ((after.all - before.all) * TICK_US) / r.ok, main: ((after.main - before.main) * TICK_US) / r.ok, mainSys: ((after.mainSys - before.mainSys) * TICK_US) / r.ok, p99: r.hist.percentileMs(99) };
      s.rows.push(row);
      const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      console.log(`round ${round} ${s.label.padEnd(14)} ${row.rps.toFixed(0).padStart(6)} req/s  CPU ${row.all.toFixed(1)} µs (main ${row.main.toFixed(1)}, of it kernel ${row.mainSys.toFixed(1)})  p99 ${row.p99.toFixed(1)} ms  load ${loadAvg}`);
    }
  }
} finally {
  for (const s of servers) s.proc.kill('SIGTERM');
}
console.log(`\nmedians of ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections${ECHO ? ', 10 KB JSON echo' : APP ? ', hello app' : ', hello'}\n`);
console.log('| server | req/s | CPU µs/response, all threads | main thread | of it in the kernel | other threads | p99 ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const s of servers) {
  const m = (f: (r: Server['rows'][number]) => number) => median(s.rows.map(f));
  console.log(`| ${s.label} | ${m((r) => r.rps).toFixed(0)} | ${m((r) => r.all).toFixed(1)} | ${m((r) => r.main).toFixed(1)} | ${m((r) => r.mainSys).toFixed(1)} | ${m((r) => r.all - r.main).toFixed(1)} | ${m((r) => r.p99).toFixed(1)} |`);
}
await new Promise((r) => setTimeout(r, 500));
for (const s of servers) if (s.dataDir !== null) rmSync(s.dataDir, { recursive: true, force: true });
