/**
 * Node layer socket events, two source trees taking turns (A B B A …): a function on the
 * isolate runtime does ROUND_TRIPS echo round trips (64 bytes) on one kept `net` socket per
 * invocation, against a loopback echo server in this (parent) process. Each round starts a
 * child process on one tree, warms it, then reads the child's CPU (process.cpuUsage: all
 * its threads, the isolate's too) over INVOCATIONS invocations: µs of CPU per round trip,
 * and round trips/s. Medians and spread over the rounds, the B/A ratio of CPU paired by
 * round, and the load average.
 *
 *   node --no-node-snapshot --import tsx bench/micro/node-socket-ab.ts --a <tree> --b <tree> \
 *     [--rounds 6] [--invocations 200] [--trips 20]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import { arg } from './common.ts';

const strArg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};

const CHILD = process.argv.includes('--child');

async function child(): Promise<void> {
  const tree = strArg('tree', '.');
  const port = Number(strArg('port', '0'));
  const invocations = arg('invocations', 200);
  const trips = arg('trips', 20);
  const { createIsolateRuntime } = await import(resolve(tree, 'src/runtime/isolate/index.ts'));
  const { bundleSource } = await import(resolve(tree, 'src/deploy/bundle.ts'));
  const { createEgressGuard } = await import(resolve(tree, 'src/runtime/egress-guard.ts'));
  const { egressPolicy } = await import(resolve(tree, 'src/runtime/egress-policy.ts'));
  const { systemClock } = await import(resolve(tree, 'src/core/clock.ts'));
  const { HELLO_CONFIG } = await import(resolve(tree, 'bench/micro/common.ts'));
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [], onError: () => undefined });
  const guard = createEgressGuard({ policy: egressPolicy('127.0.0.1'), platformOrigins: () => [], monotonic: () => performance.now() });
  const code = (await bundleSource({ 'index.ts': `import net from 'node:net';
    let socket;
    let wanted = 0, got = 0, done = () => undefined;
    export async function handler({ port, trips }) {
      if (socket === undefined) {
        socket = net.connect(port, '127.0.0.1');
        socket.on('data', (c) => { got += c.length; if (got >= wanted) done(); });
        await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
      }
      const msg = 'x'.repeat(64);
      for (let i = 0; i < trips; i++) {
        wanted = got + 64;
        const answered = new Promise((resolve) => (done = resolve));
        socket.write(msg);
        await answered;
      }
      return got;
    }` }, 'index.ts')).code;
  const inst = await runtime.start({
    instanceId: 'sock', functionName: 'sock', version: 1, code, config: HELLO_CONFIG, onLog: () => undefined,
    fetch: () => Promise.reject(new Error('no fetch')), connect: guard.connect, lookup: guard.lookup, resolve: guard.resolve,
  });
  let n = 0;
  const invoke = () => inst.invoke({ mode: 'handler', event: { port, trips }, meta: { invocationId: `i${++n}`, functionName: 'sock', version: 1, deadline: Date.now() + 10_000, attempt: 1, memoryMb: 128 } });
  for (let i = 0; i < 50; i++) await invoke();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < invocations; i++) await invoke();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const total = invocations * trips;
  process.stdout.write(JSON.stringify({ cpuUsPerTrip: (cpu.user + cpu.system) / total, tripsPerS: total / (ms / 1000) }) + '\n');
  inst.dispose();
  await runtime.close();
}

async function parent(): Promise<void> {
  const trees = { A: resolve(strArg('a', '.')), B: resolve(strArg('b', '.')) };
  const rounds = arg('rounds', 6);
  const server = createServer((s) => {
    s.on('data', (d) => s.write(d));
    s.on('error', () => undefined);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const results: Record<'A' | 'B', Array<{ cpuUsPerTrip: number; tripsPerS: number }>> = { A: [], B: [] };
  const loads: number[] = [];
  for (let r = 0; r < rounds; r++) {
    for (const side of (r % 2 === 0 ? ['A', 'B'] : ['B', 'A']) as Array<'A' | 'B'>) {
      const p = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', new URL(import.meta.url).pathname, '--child', '--tree', trees[side], '--port', String(port),
        '--invocations', String(arg('invocations', 200)), '--trips', String(arg('trips', 20))], { cwd: trees[side], env: { ...process.env, NIMBUS_FROM_SOURCE: '1' }, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      await once(p, 'exit');
      results[side].push(JSON.parse(out.trim().split('\n').at(-1)!));
      loads.push(loadavg()[0]);
    }
  }
  server.close();
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const side of ['A', 'B'] as const) {
    const cpu = results[side].map((x) => x.cpuUsPerTrip);
    const rate = results[side].map((x) => x.tripsPerS);
    console.log(`${side} ${trees[side]}: CPU µs/round trip median ${med(cpu).toFixed(1)} (${Math.min(...cpu).toFixed(1)}–${Math.max(...cpu).toFixed(1)}), round trips/s median ${med(rate).toFixed(0)} (${Math.min(...rate).toFixed(0)}–${Math.max(...rate).toFixed(0)})`);
  }
  const ratios = results.B.map((b, i) => b.cpuUsPerTrip / results.A[i].cpuUsPerTrip);
  console.log(`B/A CPU per round trip, paired by round: median ${med(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`);
  console.log(`load average (1 min) over the rounds: ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`);
}

await (CHILD ? child() : parent());
