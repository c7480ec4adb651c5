/**
 * Where the request path spends CPU, as server CPU per request (all threads; and the main
 * thread alone, which runs every request's JavaScript) next to req/s, for five servers
 * taking turns in the same run:
 *   raw node:http · a bare isolated-vm call per request (ivm-floor-server.ts) ·
 *   the isolate runtime alone behind node:http (runtime-server.ts) ·
 *   Nimbus with observability · Nimbus with --no-observability · Nimbus with
 *   --no-rejection-logs (entries into isolates with applyIgnored, as before unhandled
 *   rejections were reported)
 * Each serves the 5-byte "hello"; autocannon runs in this process, 50 connections.
 *
 *   node --no-node-snapshot --import tsx bench/micro/hot-path.ts [--rounds 3] [--seconds 5]
 *
 * CPU comes from /proc (utime + stime of the server's process tree, in clock ticks), so a
 * figure is exact for the server and independent of how busy the machine is; req/s is not.
 */
import { fileURLToPath } from 'node:url';
import { HOST } from '../lib/guard.ts';
import { load } from '../lib/load.ts';
import { childEnv, cpuTicksOf, freePort, start } from '../lib/proc.ts';
import { startNimbus } from '../targets/nimbus.ts';
import { startRaw } from '../targets/raw-node.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 3);
const SECONDS = arg('seconds', 5);
const CONNECTIONS = 50;
const TICK_US = 1e6 / 100; // USER_HZ: /proc reports CPU time in 1/100 s

interface Server {
  readonly label: string;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}


async function runtimeAlone(): Promise<Server> {
  const port = await freePort();
  const script = fileURLToPath(new URL('./runtime-server.ts', import.meta.url));
  const p = start({ cmd: process.execPath, args: ['--no-node-snapshot', '--no-lazy', '--import', 'tsx', script], env: childEnv({ PORT: String(port) }) });
  await Promise.race([p.waitForLine(/ready/, 60_000), p.died()]);
  return { label: 'isolate runtime alone', url: `http://${HOST}:${port}/`, pid: p.pid, stop: () => p.stop() };
}

async function ivmFloor(): Promise<Server> {
  const port = await freePort();
  const script = fileURLToPath(new URL('./ivm-floor-server.ts', import.meta.url));
  const p = start({ cmd: process.execPath, args: ['--no-node-snapshot', '--import', 'tsx', script], env: childEnv({ PORT: String(port) }) });
  await Promise.race([p.waitForLine(/ready/, 60_000), p.died()]);
  return { label: 'bare isolated-vm crossing', url: `http://${HOST}:${port}/`, pid: p.pid, stop: () => p.stop() };
}

async function nimbus(flag: string | null): Promise<Server> {
  const n = await startNimbus(flag === null ? {} : { extraArgs: [flag] });
  await n.deploy('hello', `export default { fetch() { return new Response('hello') } }`, { memoryMb: 128, concurrency: 16, targetConcurrency: 10, maxInstances: 50 });
  return { label: flag === null ? 'Nimbus' : `Nimbus ${flag}`, url: n.baseUrl + n.fnPath('hello'), pid: n.pid, stop: () => n.stop() };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const raw = await startRaw();
const servers: Server[] = [
  { label: 'raw node:http', url: raw.baseUrl + raw.fnPath('hello'), pid: raw.pid, stop: () => raw.stop() },
  await ivmFloor(),
  await runtimeAlone(),
  await nimbus(null),
  await nimbus('--no-observability'),
  await nimbus('--no-rejection-logs'),
];
const rows = new Map<Server, Array<{ rps: number; all: number; main: number }>>(servers.map((s) => [s, []]));
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of servers) {
      const url = new URL(s.url);
      const spec = { url: url.origin, connections: CONNECTIONS, requests: [{ path: url.pathname }] };
      await load({ ...spec, durationSec: 1 }); // warm-up
      const before = cpuTicksOf(s.pid);
      const r = await load({ ...spec, durationSec: SECONDS });
      const after = cpuTicksOf(s.pid);
      if (r.non2xx + r.errors > 0) throw new Error(`${s.label}: ${r.non2xx} non-2xx and ${r.errors} errors`);
      const perReq = (ticks: number) => (ticks * TICK_US) / r.ok;
      const row = { rps: r.rps, all: perReq(after.all - before.all), main: perReq(after.main - before.main) };
      rows.get(s)?.push(row);
      console.log(`round ${round} ${s.label.padEnd(28)} ${row.rps.toFixed(0).padStart(6)} req/s  CPU/request ${row.all.toFixed(1)} µs (main thread ${row.main.toFixed(1)})`);
    }
  }
} finally {
  for (const s of servers) await s.stop();
}

const rawRow = rows.get(servers[0]) ?? [];
const rawRps = median(rawRow.map((r) => r.rps));
console.log(`\nmedians of ${ROUNDS} rounds × ${SECONDS} s, ${CONNECTIONS} connections\n`);
console.log('| server | req/s | ratio to raw | CPU µs/request, all threads | main thread | other threads |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const s of servers) {
  const xs = rows.get(s) ?? [];
  const rps = median(xs.map((r) => r.rps));
  const all = median(xs.map((r) => r.all));
  const main = median(xs.map((r) => r.main));
  console.log(`| ${s.label} | ${rps.toFixed(0)} | ${(rps / rawRps).toFixed(2)}x | ${all.toFixed(1)} | ${main.toFixed(1)} | ${median(xs.map((r) => r.all - r.main)).toFixed(1)} |`);
}
