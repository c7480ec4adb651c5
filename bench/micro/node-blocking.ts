/**
 * How long heavy synchronous node:crypto / node:zlib calls in a function hold the
 * platform's main thread (no HTTP):
 *   node --no-node-snapshot --no-lazy --import tsx bench/micro/node-blocking.ts [--rounds N]
 *
 * For each operation, alternated round by round:
 * - "main thread": the host call as the isolate made it before the thread-pool door
 *   (nodeHostCall, synchronous on the main thread, which is what the platform's event loop
 *   could not do meanwhile);
 * - "pool door": the function calling it (pbkdf2Sync…) in a warm instance, which now waits on
 *   libuv's pool while the main thread runs.
 * Both measured the same way: the longest event-loop stall seen while the call was in
 * progress (perf_hooks.monitorEventLoopDelay, 1 ms resolution), and the call's wall time.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemClock } from '../../src/core/clock.ts';
import { bundleSource } from '../../src/deploy/bundle.ts';
import { createIsolateRuntime } from '../../src/runtime/isolate/index.ts';
import { nodeHostCall, OP_GENERATE, OP_PBKDF2, OP_SCRYPT, OP_ZLIB } from '../../src/runtime/isolate/node-host.ts';
import { arg, HELLO_CONFIG } from './common.ts';

const ROUNDS = arg('rounds', 5);

const bytes = (s: string) => new TextEncoder().encode(s).buffer as ArrayBuffer;
const big = new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 7) % 251).buffer as ArrayBuffer;

/** name → [the function's code (body of handler), the same work as one host call]. */
const CASES: Record<string, [string, () => unknown]> = {
  'pbkdf2Sync sha256, 100,000 iterations': [`crypto.pbkdf2Sync('pw', 'salt', 100000, 32, 'sha256')`, () => nodeHostCall(OP_PBKDF2, bytes('pw'), bytes('salt'), 100_000, 32, 'sha256')],
  'scryptSync N=2^15 r=8': [`crypto.scryptSync('pw', 'salt', 32, { N: 32768, r: 8, p: 1 })`, () => nodeHostCall(OP_SCRYPT, bytes('pw'), bytes('salt'), 32, 32768, 8, 1)],
  'generateKeyPairSync RSA 2048': [`crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })`, () => nodeHostCall(OP_GENERATE, 'rsa', { modulusLength: 2048 })],
  'gzipSync 4 MB': [`zlib.gzipSync(data)`, () => nodeHostCall(OP_ZLIB, 'gzip', big, {})],
};

const names = Object.keys(CASES);
const source = `import crypto from 'node:crypto'; import zlib from 'node:zlib'; import { Buffer } from 'node:buffer';
const data = Buffer.from(new Uint8Array(4 * 1024 * 1024).map((_, i) => (i * 7) % 251));
const cases = [${names.map((n) => `() => { ${CASES[n]![0]}; }`).join(', ')}];
export async function handler(i) { cases[i](); return i; }`;
const code = (await bundleSource({ 'index.ts': source }, 'index.ts')).code;
const runtime = createIsolateRuntime({ clock: systemClock, spares: 0, onError: () => undefined });
const config = { ...HELLO_CONFIG, memoryMb: 256, timeoutMs: 60_000, cpuLimitMs: 60_000 };
const inst = await runtime.start({ instanceId: 'b', functionName: 'b', version: 1, code, config, onLog: () => undefined, fetch: () => Promise.reject(new Error('none')) });
let n = 0;

/** Longest event-loop stall (ms) and wall time (ms) while `work` runs. */
async function stall(work: () => Promise<unknown>): Promise<[number, number]> {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  // let the monitor's timer start before the work
  await new Promise((r) => setTimeout(r, 5));
  const t0 = performance.now();
  await work();
  const wall = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5));
  h.disable();
  return [h.max / 1e6, wall];
}

const viaIsolate = (i: number) => () => inst.invoke({ mode: 'handler', event: i, meta: { invocationId: `b${++n}`, functionName: 'b', version: 1, deadline: Date.now() + 60_000, attempt: 1, memoryMb: 256 } });
const onMain = (f: () => unknown) => () => new Promise<void>((resolve) => setImmediate(() => (f(), resolve())));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const { loadavg } = await import('node:os');
console.log(`Main-thread stall of heavy sync crypto/zlib (node ${process.version}, ${ROUNDS} rounds, alternated; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')})\n`);
console.log('| operation | stall, main thread (before) | stall, pool door (now) | call wall time, before / now |');
console.log('|---|---|---|---|');
for (let i = 0; i < names.length; i++) {
  const before: number[][] = [];
  const now: number[][] = [];
  await viaIsolate(i)();
  for (let r = 0; r < ROUNDS; r++) {
    before.push(await stall(onMain(CASES[names[i]!]![1])));
    now.push(await stall(viaIsolate(i)));
  }
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  console.log(`| ${names[i]} | ${ms(median(before.map((x) => x[0]!)))} | ${ms(median(now.map((x) => x[0]!)))} | ${ms(median(before.map((x) => x[1]!)))} / ${ms(median(now.map((x) => x[1]!)))} |`);
}
const idle: number[] = [];
for (let r = 0; r < ROUNDS; r++) idle.push((await stall(() => new Promise((resolve) => setTimeout(resolve, 100))))[0]);
console.log(`\nThe same monitor over 100 ms of nothing (the machine's own noise): ${median(idle).toFixed(1)} ms`);
inst.dispose();
await runtime.close();
