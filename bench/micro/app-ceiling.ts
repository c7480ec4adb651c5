/**
 * What any Node proxy in front of an app can reach on this machine (issue #18): the apps
 * scenario's hello server (bench/apps/hello-server.mjs) hit directly and through proxies of
 * rising cost, the same load generator (bench/lib/load.ts: autocannon, 50 connections), rounds
 * alternated (order reversed every other round):
 *
 *   direct    the server itself
 *   pipe      a net.Server piping each connection to an upstream socket of its own (no parsing)
 *   lean      node:http server + a minimal HTTP/1.1 client on pooled keep-alive net.Sockets
 *   undici    node:http server + undici Pool.dispatch (the client app-call.ts uses)
 *   runtime-bare  node:http server + this tree's app runtime (AppInstance.invoke: AppCall on undici,
 *             deadlines, log attribution), no gateway route, dispatcher or records (app-ceiling-runtime.ts);
 *             the instance without sandbox or cgroup
 *   runtime   the same, the instance sandboxed as the platform runs it (bubblewrap, cgroup, where the host has them)
 *   platform  Nimbus from this tree's source, the server deployed as an app (--app-host-network),
 *             /fn/hello/ (gateway, dispatcher, records, the app runtime's proxy)
 *
 * The proxies are processes of their own (app-ceiling-proxy.mjs) in front of one shared app
 * process; the runtime and the platform run their own instance of the same server. Per round and target: req/s,
 * and CPU µs per response from /proc (10 ms ticks) of the proxy process (all its threads), of
 * the app process, and of this process (the load generator). Ratios are taken against the
 * direct round of the same round, then the median.
 *
 *   node --no-node-snapshot --import tsx bench/micro/app-ceiling.ts [--rounds 7] [--seconds 4] [--only direct,undici,runtime]
 *
 * (direct always runs: the ratios are against it.) `--runtime-trees base=/tmp/base,…` adds the runtime
 * proxy of other checkouts as targets of their own, for an A/B of the app runtime alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { HOST } from '../lib/guard.ts';
import { load } from '../lib/load.ts';
import { freePort, processTree } from '../lib/proc.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 7);
const SECONDS = arg('seconds', 4);
const CONNECTIONS = arg('connections', 50);
const ONLY = (() => {
  const i = process.argv.indexOf('--only');
  return i >= 0 ? new Set(process.argv[i + 1].split(',')) : null;
})();
const wanted = (label: string): boolean => ONLY === null || ONLY.has(label);
const ROOT = new URL('../../', import.meta.url).pathname;
const APP_FILE = new URL('../apps/hello-server.mjs', import.meta.url).pathname;
const PROXY_FILE = new URL('./app-ceiling-proxy.mjs', import.meta.url).pathname;
const RUNTIME_FILE = 'bench/micro/app-ceiling-runtime.ts';
/** `--runtime-trees label=DIR,…`: the runtime proxy of other checkouts too (an A/B of the app runtime alone). */
const RUNTIME_TREES: Array<[string, string]> = (() => {
  const i = process.argv.indexOf('--runtime-trees');
  return i >= 0 ? process.argv[i + 1].split(',').map((t) => t.split('=') as [string, string]) : [];
})();
const TICK_US = 1e6 / 100; // USER_HZ

interface Target {
  readonly label: string;
  readonly url: string;
  /** Where the proxy's CPU is read (null for direct). */
  readonly proxyPid: number | null;
  /** The app's processes (for the platform: its instance, the sandbox launcher included). */
  readonly appPids: () => number[];
  readonly rows: Array<{ rps: number; proxy: number; app: number; gen: number; p99: number }>;
}

const procs: ChildProcess[] = [];
const dirs: string[] = [];

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

const cmdline = (pid: number): string => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
};

/** utime + stime of processes (all their threads), ticks. */
const ticksOfAll = (pids: number[]): number => pids.reduce((sum, p) => sum + ticksOf(p), 0);

/** utime + stime of one process (all its threads), ticks. */
function ticksOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

async function startApp(): Promise<{ pid: number; port: number }> {
  const port = await freePort();
  const proc = spawn(process.execPath, [APP_FILE], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PORT: String(port), HOST } });
  procs.push(proc);
  for (let i = 0; i < 200; i++) {
    const up = await fetch(`http://${HOST}:${port}/`).then((r) => r.text(), () => null);
    if (up === 'hello') return { pid: proc.pid!, port };
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('the hello server did not come up');
}

async function startProxy(kind: string, upstream: number): Promise<{ pid: number; port: number }> {
  const port = await freePort();
  // undici-tsx: the same proxy with tsx's loader in the process, as the runtime proxy and the platform from source have it
  const args = kind === 'undici-tsx' ? ['--import', 'tsx', PROXY_FILE, 'undici'] : [PROXY_FILE, kind];
  const proc = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PORT: String(port), UPSTREAM: String(upstream) } });
  procs.push(proc);
  await ready(proc, kind);
  return { pid: proc.pid!, port };
}

/** The runtime proxy of a checkout as one ES module, built as the platform's dist is (esbuild, no name-keeping). */
async function bundled(root: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-ceiling-bundle-'));
  dirs.push(dir);
  const outfile = join(dir, 'runtime.mjs');
  await build({
    entryPoints: [join(root, RUNTIME_FILE)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
  });
  return outfile;
}

/** Nimbus of this checkout: the built CLI (as the apps scenario runs it) when dist/ exists, else from source through tsx. */
async function startPlatform(): Promise<{ pid: number; port: number }> {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-ceiling-'));
  dirs.push(dataDir);
  const built = existsSync(join(ROOT, 'dist/cli.js'));
  console.log(`platform: ${built ? 'the built CLI (dist/)' : 'from source through tsx (no dist/: npm run build for the built one)'}`);
  const entry = built ? [join(ROOT, 'bin/nimbus.mjs')] : ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
  const proc = spawn(
    process.execPath,
    ['--no-node-snapshot', '--no-lazy', '--harmony-rab-gsab-transfer', ...entry, 'up', '--port', String(port), '--host', HOST, '--data', dataDir, '--no-examples', '--log-level', 'warn', '--app-host-network'],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...(built ? {} : { NIMBUS_FROM_SOURCE: '1' }) } },
  );
  procs.push(proc);
  await ready(proc, 'platform');
  const token = readFileSync(join(dataDir, 'token'), 'utf8').trim();
  const body = {
    source: { app: { files: { 'server.mjs': readFileSync(APP_FILE).toString('base64') } } },
    config: { runtime: 'app', app: { command: 'node server.mjs' }, concurrency: 64, targetConcurrency: 64, maxInstances: 1, minInstances: 1 },
  };
  const r = await fetch(`http://${HOST}:${port}/api/v1/functions/hello`, { method: 'PUT', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`platform: deploy answered ${r.status}: ${await r.text()}`);
  return { pid: proc.pid!, port };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const targets: Target[] = [];
try {
  const app = await startApp();
  targets.push({ label: 'direct', url: `http://${HOST}:${app.port}/`, proxyPid: null, appPids: () => [app.pid], rows: [] });
  for (const kind of ['pipe', 'lean', 'undici', ...(ONLY?.has('undici-tsx') ? ['undici-tsx'] : [])].filter(wanted)) {
    const p = await startProxy(kind, app.port);
    targets.push({ label: kind, url: `http://${HOST}:${p.port}/`, proxyPid: p.pid, appPids: () => [app.pid], rows: [] });
  }
  const runtimes: Array<[string, string, string]> = [
    ...(wanted('runtime-bare') ? [['runtime-bare', ROOT, 'bare'] as [string, string, string]] : []),
    ...(wanted('runtime') ? [['runtime', ROOT, ''] as [string, string, string]] : []),
    ...RUNTIME_TREES.map(([label, dir]): [string, string, string] => [label, dir, '']),
  ];
  for (const [label, root, mode] of runtimes) {
    const port = await freePort();
    const file = await bundled(root);
    const proc = spawn(process.execPath, ['--no-node-snapshot', file, mode], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, PORT: String(port), APP_FILE } });
    procs.push(proc);
    await ready(proc, label);
    const pid = proc.pid!;
    targets.push({ label, url: `http://${HOST}:${port}/`, proxyPid: pid, appPids: () => processTree(pid).filter((q) => q !== pid && cmdline(q).includes('server.mjs')), rows: [] });
  }
  if (wanted('platform')) {
    const p = await startPlatform();
    // the platform's app instance: its child process tree (the sandbox launcher, then node)
    const appPids = () => processTree(p.pid).filter((q) => q !== p.pid && cmdline(q).includes('server.mjs'));
    targets.push({ label: 'platform', url: `http://${HOST}:${p.port}/fn/hello/`, proxyPid: p.pid, appPids, rows: [] });
  }
  for (const t of targets) {
    const r = await fetch(t.url);
    const text = await r.text();
    if (r.status !== 200 || text !== 'hello') throw new Error(`${t.label} answered ${r.status} ${text.slice(0, 100)}`);
  }
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of round % 2 === 1 ? targets : [...targets].reverse()) {
      const u = new URL(t.url);
      const spec = { url: u.origin, connections: CONNECTIONS, requests: [{ path: u.pathname }] };
      await load({ ...spec, durationSec: round === 1 ? 3 : 1 });
      const appPids = t.appPids();
      const before = { proxy: t.proxyPid === null ? 0 : ticksOf(t.proxyPid), app: ticksOfAll(appPids), gen: process.cpuUsage() };
      const r = await load({ ...spec, durationSec: SECONDS });
      const gen = process.cpuUsage(before.gen);
      const proxy = t.proxyPid === null ? 0 : ((ticksOf(t.proxyPid) - before.proxy) * TICK_US) / r.ok;
      if (r.non2xx + r.errors > 0) throw new Error(`${t.label}: ${r.non2xx} non-2xx and ${r.errors} errors`);
      if (r.ok === 0) {
        // the machine stalled this round (seen at load 30+): nothing to divide by, the round is left out
        console.log(`round ${round} ${t.label.padEnd(9)} no responses in ${SECONDS} s: left out`);
        t.rows.push({ rps: 0, proxy: NaN, app: NaN, gen: NaN, p99: NaN });
        continue;
      }
      const row = { rps: r.rps, proxy, app: ((ticksOfAll(appPids) - before.app) * TICK_US) / r.ok, gen: (gen.user + gen.system) / r.ok, p99: r.hist.percentileMs(99) };
      t.rows.push(row);
      const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      console.log(
        `round ${round} ${t.label.padEnd(9)} ${row.rps.toFixed(0).padStart(6)} req/s  proxy ${row.proxy.toFixed(1)} µs  app ${row.app.toFixed(1)} µs  generator ${row.gen.toFixed(1)} µs  p99 ${row.p99.toFixed(1)} ms  load ${loadAvg}`,
      );
    }
  }
} finally {
  for (const p of procs) p.kill('SIGTERM');
}
const direct = targets[0];
console.log(`\nmedians of ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections (spread: min–max over rounds)\n`);
console.log('| target | req/s | ÷ direct (paired) | proxy CPU µs/resp | app µs/resp | proxy + app | load generator µs/resp | p99 ms |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
const span = (all: number[], d = 0) => {
  const xs = all.filter((x) => Number.isFinite(x));
  return `${median(xs).toFixed(d)} (${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)})`;
};
for (const t of targets) {
  const ratios = t.rows.map((r, i) => (r.rps > 0 && direct.rows[i].rps > 0 ? r.rps / direct.rows[i].rps : NaN));
  console.log(
    `| ${t.label} | ${span(t.rows.map((r) => r.rps))} | ${span(ratios, 2)} | ${span(t.rows.map((r) => r.proxy), 1)} | ${span(t.rows.map((r) => r.app), 1)} | ${span(t.rows.map((r) => r.proxy + r.app), 1)} | ${span(t.rows.map((r) => r.gen), 1)} | ${span(t.rows.map((r) => r.p99), 1)} |`,
  );
}
await new Promise((r) => setTimeout(r, 500));
for (const d of dirs) rmSync(d, { recursive: true, force: true });
