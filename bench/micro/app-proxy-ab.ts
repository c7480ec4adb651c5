/**
 * The app runtime's proxy alone, two checkouts taking turns in one process: CPU of this
 * process per call of AppInstance.invoke() to a warm instance of bench/apps/hello-server.mjs
 * (no gateway, no dispatcher, no records), 50 calls in flight, the answer read as the
 * dispatcher reads it. The app runs on the host network (each checkout's own instance, in
 * its sandbox where bubblewrap is installed). Rounds alternate A and B, so a busy machine
 * weighs on both alike; medians of process.cpuUsage() per call.
 *
 *   git -C <repo> archive <base> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/
 *   node --no-node-snapshot --import tsx bench/micro/app-proxy-ab.ts --a /tmp/base --b . [--rounds 10] [--calls 20000]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Instance, InstanceCall, Runtime } from '../../src/runtime/port.ts';
import { arg, HELLO_APP_CONFIG } from './common.ts';

const strArg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const here = new URL('../../', import.meta.url).pathname;
const ROOTS = { A: resolve(strArg('a', here)), B: resolve(strArg('b', here)) };
const ROUNDS = arg('rounds', 10);
const CALLS = arg('calls', 20_000);
const IN_FLIGHT = arg('in-flight', 50);
const SERVER = readFileSync(new URL('../apps/hello-server.mjs', import.meta.url)).toString('base64');

const CONFIG = HELLO_APP_CONFIG;

interface Side {
  readonly label: string;
  readonly runtime: Runtime;
  readonly instance: Instance;
  readonly appsDir: string;
  readonly perCall: number[];
}

async function side(label: string, root: string): Promise<Side> {
  const { createAppRuntime } = (await import(join(root, 'src/runtime/process/app-runtime.ts'))) as typeof import('../../src/runtime/process/app-runtime.ts');
  const { packApp } = (await import(join(root, 'src/runtime/process/app-archive.ts'))) as typeof import('../../src/runtime/process/app-archive.ts');
  const { systemClock } = (await import(join(root, 'src/core/clock.ts'))) as typeof import('../../src/core/clock.ts');
  const appsDir = mkdtempSync(join(tmpdir(), 'nimbus-proxy-ab-'));
  const runtime = createAppRuntime({ clock: systemClock, appsDir, maxResponseBytes: 6 * 1024 * 1024, allowHostNetwork: true });
  const instance = await runtime.start({
    instanceId: `ab-${label}-${process.pid}`,
    functionName: 'hello',
    version: 1,
    code: packApp({ files: { 'server.mjs': SERVER } }),
    config: CONFIG,
    onLog: () => {},
    fetch: () => Promise.reject(new Error('no egress in this bench')),
  });
  return { label, runtime, instance, appsDir, perCall: [] };
}

let seq = 0;
function call(): InstanceCall {
  const invocationId = `c${++seq}`;
  return {
    mode: 'fetch',
    request: { method: 'GET', url: 'http://127.0.0.1/', headers: [['host', '127.0.0.1'], ['x-forwarded-prefix', '/fn/hello'], ['x-forwarded-for', '127.0.0.1'], ['x-forwarded-proto', 'http']], body: null },
    meta: { invocationId, functionName: 'hello', version: 1, deadline: Date.now() + 30_000, attempt: 1, memoryMb: 256 },
  };
}

/** CALLS calls, IN_FLIGHT at a time; µs of this process's CPU per call. */
async function round(s: Side): Promise<number> {
  let left = CALLS;
  const worker = async (): Promise<void> => {
    while (left-- > 0) {
      const result = await s.instance.invoke(call());
      if (result.mode !== 'fetch' || result.response.status !== 200) throw new Error(`${s.label}: unexpected answer`);
      const stream = result.response.stream;
      if (stream !== undefined) while ((await stream.read()) !== null);
      if (result.streamEnd !== undefined) await result.streamEnd;
    }
  };
  const before = process.cpuUsage();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const used = process.cpuUsage(before);
  return (used.user + used.system) / CALLS;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sides = [await side('A', ROOTS.A), await side('B', ROOTS.B)];
try {
  for (const s of sides) await round(s); // warm
  for (let r = 1; r <= ROUNDS; r++) {
    for (const s of r % 2 === 1 ? sides : [...sides].reverse()) {
      const us = await round(s);
      s.perCall.push(us);
      console.log(`round ${r} ${s.label} ${us.toFixed(1)} µs a call  load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
    }
  }
} finally {
  for (const s of sides) {
    s.instance.dispose();
    await s.runtime.close();
    rmSync(s.appsDir, { recursive: true, force: true });
  }
}
const [a, b] = sides.map((s) => median(s.perCall));
console.log(`\nmedians of ${ROUNDS} rounds × ${CALLS} calls, ${IN_FLIGHT} in flight: A ${ROOTS.A} ${a.toFixed(1)} µs, B ${ROOTS.B} ${b.toFixed(1)} µs a call (B/A ${(b / a).toFixed(2)})`);
