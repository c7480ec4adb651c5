/**
 * What reporting unhandled promise rejections costs the hot path (no HTTP):
 *   node --no-node-snapshot --no-lazy --import tsx bench/micro/rejections.ts [--rounds N] [--calls N]
 *
 * Two isolate runtimes in one process, one with `reportRejections` (entries go in with
 * isolated-vm's apply, whose promise reports a task's unhandled rejection) and one without
 * (applyIgnored, as before), each with one warm hello instance. Rounds alternate between
 * them: per round, N sequential invokes and N with 8 in flight; CPU per invoke is the
 * process's (all threads: the isolates run on isolated-vm's), so the two are measured on
 * the same machine state and compared as a ratio.
 */
import { cpuUsage } from 'node:process';
import { systemClock } from '../../src/core/clock.ts';
import { bundleSource } from '../../src/deploy/bundle.ts';
import { createIsolateRuntime } from '../../src/runtime/isolate/index.ts';
import type { Instance, InstanceCall } from '../../src/runtime/port.ts';
import { arg, HELLO_CONFIG } from './common.ts';

const ROUNDS = arg('rounds', 10);
const CALLS = arg('calls', 2000);

const code = (await bundleSource({ 'index.ts': `export default { fetch: () => new Response('hello world') };` }, 'index.ts')).code;
let n = 0;
const call = (): InstanceCall => ({
  mode: 'fetch',
  request: { method: 'GET', url: 'http://127.0.0.1:8080/fn/hello', headers: [['host', '127.0.0.1:8080']], body: null },
  meta: { invocationId: `r${++n}`, functionName: 'hello', version: 1, deadline: Date.now() + 10_000, attempt: 1, memoryMb: 128 },
});

const variants = [
  { label: 'applyIgnored (rejections not reported)', report: false },
  { label: 'apply (rejections reported)', report: true },
];
const runtimes = variants.map((v) => createIsolateRuntime({ clock: systemClock, spares: 0, reportRejections: v.report, onError: () => undefined }));
const instances: Instance[] = [];
for (const [i, runtime] of runtimes.entries()) {
  instances.push(
    await runtime.start({ instanceId: `i${i}`, functionName: 'hello', version: 1, code, config: HELLO_CONFIG, onLog: () => undefined, fetch: () => Promise.reject(new Error('none')) }),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const seqUs: number[][] = variants.map(() => []);
const seqCpu: number[][] = variants.map(() => []);
const parUs: number[][] = variants.map(() => []);
const parCpu: number[][] = variants.map(() => []);

for (let round = 0; round < ROUNDS + 1; round++) {
  for (const [i, inst] of instances.entries()) {
    let c0 = cpuUsage();
    let t0 = performance.now();
    for (let k = 0; k < CALLS; k++) await inst.invoke(call());
    const seqWall = ((performance.now() - t0) * 1000) / CALLS;
    let c = cpuUsage(c0);
    const seqC = (c.user + c.system) / CALLS;
    c0 = cpuUsage();
    t0 = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < CALLS) await inst.invoke(call());
      }),
    );
    const parWall = ((performance.now() - t0) * 1000) / CALLS;
    c = cpuUsage(c0);
    if (round === 0) continue; // warm-up
    seqUs[i]!.push(seqWall);
    seqCpu[i]!.push(seqC);
    parUs[i]!.push(parWall);
    parCpu[i]!.push((c.user + c.system) / CALLS);
  }
}
for (const inst of instances) inst.dispose();
await Promise.all(runtimes.map((r) => r.close()));

console.log(`unhandled-rejection reporting (node ${process.version}, ${ROUNDS} rounds × ${CALLS} invokes each way, alternating; medians)\n`);
console.log('| entries go in with | sequential µs/invoke | CPU µs/invoke | 8 in flight µs/invoke | CPU µs/invoke |');
console.log('|---|---:|---:|---:|---:|');
for (const [i, v] of variants.entries()) {
  console.log(`| ${v.label} | ${median(seqUs[i]!).toFixed(1)} | ${median(seqCpu[i]!).toFixed(1)} | ${median(parUs[i]!).toFixed(1)} | ${median(parCpu[i]!).toFixed(1)} |`);
}
