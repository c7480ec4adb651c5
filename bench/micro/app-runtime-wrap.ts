/**
 * What the app runtime adds to undici per call, in one process: calls to one warm instance of
 * bench/apps/hello-server.mjs (sandboxed as the platform runs it, host network) made through
 * AppInstance.invoke (AppCall on undici's dispatch, the deadline, the after-turn hand-over,
 * the answer as an InstanceResult) and through a bare undici Pool.dispatch to the same port
 * with a handler that only collects the answer. 50 calls in flight, rounds alternated (order
 * swapped every round); medians of this process's CPU (process.cpuUsage) per call and of calls/s.
 *
 *   node --no-node-snapshot --import tsx bench/micro/app-runtime-wrap.ts [--rounds 6] [--calls 20000]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { systemClock } from '../../src/core/clock.ts';
import { packApp } from '../../src/runtime/process/app-archive.ts';
import type { AppInstance, AppInstanceDeps } from '../../src/runtime/process/app-instance.ts';
import { createAppRuntime } from '../../src/runtime/process/app-runtime.ts';
import { arg, HELLO_APP_CONFIG } from './common.ts';

const ROUNDS = arg('rounds', 6);
const CALLS = arg('calls', 20_000);
const IN_FLIGHT = 50;

const appsDir = mkdtempSync(join(tmpdir(), 'nimbus-wrap-'));
const runtime = createAppRuntime({ clock: systemClock, appsDir, maxResponseBytes: 6 * 1024 * 1024, allowHostNetwork: true });
const instance = (await runtime.start({
  instanceId: `wrap-${process.pid}`,
  functionName: 'hello',
  version: 1,
  code: packApp({ files: { 'server.mjs': readFileSync(new URL('../apps/hello-server.mjs', import.meta.url)).toString('base64') } }),
  config: HELLO_APP_CONFIG,
  onLog: () => {},
  fetch: () => Promise.reject(new Error('no egress in this bench')),
})) as AppInstance;
// the instance's own port (host network): the bare pool talks to the same app process
const port = (instance as unknown as { port: number }).port;
// the platform's undici (the repository's), not the bench workspace's newer one
const { Pool } = createRequire(new URL('../../package.json', import.meta.url))('undici') as { Pool: AppInstanceDeps['PoolClass'] };
const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 64, keepAliveTimeout: 30_000 });
type Handler = Parameters<InstanceType<AppInstanceDeps['PoolClass']>['dispatch']>[1];

const headers: Array<[string, string]> = [
  ['host', '127.0.0.1'],
  ['x-forwarded-prefix', '/fn/hello'],
  ['x-forwarded-for', '127.0.0.1'],
  ['x-forwarded-proto', 'http'],
];
let seq = 0;

async function viaRuntime(): Promise<void> {
  const r = await instance.invoke({
    mode: 'fetch',
    request: { method: 'GET', url: 'http://127.0.0.1/', headers, body: null },
    meta: { invocationId: `c${++seq}`, functionName: 'hello', version: 1, deadline: Date.now() + 30_000, attempt: 1, memoryMb: 256 },
  });
  if (r.mode !== 'fetch' || r.response.status !== 200 || r.response.stream !== undefined) throw new Error('runtime: unexpected answer');
}

function viaUndici(): Promise<void> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const chunks: Buffer[] = [];
    const handler: Handler = {
      onConnect() {},
      onHeaders(s: number, raw: Buffer[]) {
        status = s;
        // the runtime converts the head's headers too
        for (const b of raw) b.toString('latin1');
        return true;
      },
      onData(c: Buffer) {
        chunks.push(c);
        return true;
      },
      onComplete() {
        if (status === 200 && Buffer.concat(chunks).toString() === 'hello') resolve();
        else reject(new Error(`undici: unexpected answer ${status}`));
      },
      onError: reject,
    };
    pool.dispatch({ method: 'GET', path: '/', headers: headers.flat(), body: null, headersTimeout: 0, bodyTimeout: 0 }, handler);
  });
}

async function round(call: () => Promise<void>, calls: number): Promise<{ cpu: number; rate: number }> {
  let left = calls;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
    while (left-- > 0) await call();
  }));
  const used = process.cpuUsage(cpu0);
  return { cpu: (used.user + used.system) / calls, rate: calls / ((performance.now() - t0) / 1000) };
}

const sides = { runtime: viaRuntime, undici: viaUndici } as const;
const rows: Record<keyof typeof sides, Array<{ cpu: number; rate: number }>> = { runtime: [], undici: [] };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const name of Object.keys(sides) as Array<keyof typeof sides>) await round(sides[name], 5000);
  for (let r = 1; r <= ROUNDS; r++) {
    const order = (r % 2 === 1 ? ['runtime', 'undici'] : ['undici', 'runtime']) as Array<keyof typeof sides>;
    for (const name of order) {
      const row = await round(sides[name], CALLS);
      rows[name].push(row);
      console.log(`round ${r} ${name.padEnd(8)} ${row.cpu.toFixed(1)} µs a call  ${row.rate.toFixed(0)} calls/s  load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
    }
  }
} finally {
  instance.dispose();
  await pool.close();
  await runtime.close();
  rmSync(appsDir, { recursive: true, force: true });
}
for (const name of Object.keys(rows) as Array<keyof typeof sides>) {
  const cpu = rows[name].map((r) => r.cpu);
  console.log(`${name}: ${median(cpu).toFixed(1)} µs a call (${Math.min(...cpu).toFixed(1)}–${Math.max(...cpu).toFixed(1)}), ${median(rows[name].map((r) => r.rate)).toFixed(0)} calls/s`);
}
