/**
 * CPU per node:crypto operation in one warm instance (no HTTP), for A/B runs of source trees:
 *   git archive <base> | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/
 *   for i in 1 2 3; do for t in /tmp/base .; do
 *     node --no-node-snapshot --no-lazy --harmony-rab-gsab-transfer --import tsx bench/micro/node-crypto-cpu.ts $t [--shared 1]
 *   done; done
 *
 * Each line is one run: per operation, the process's CPU (all threads: the isolate's and the
 * main thread's host calls) over one invocation looping the operation, divided by the count,
 * median of 5 invocations, in µs. `--shared 1`: bundled as deploys do (the shared layer when
 * the layer's modules weigh enough); by default the layer's modules are bundled in.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { arg } from './common.ts';

const tree = resolve(process.argv.slice(2).find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? '.');
const from = (path: string) => import(pathToFileURL(resolve(tree, path)).href);
const { systemClock } = await from('src/core/clock.ts');
const { bundleSource } = await from('src/deploy/bundle.ts');
const { createIsolateRuntime } = await from('src/runtime/isolate/index.ts');

/** name → [iterations, body]. */
const CASES: Record<string, [number, string]> = {
  'createHash alone': [5000, `crypto.createHash('sha256')`],
  'sha256 1 KB': [5000, `crypto.createHash('sha256').update(k1).digest()`],
  'hmac-sha256 1 KB': [5000, `crypto.createHmac('sha256', 'k').update(k1).digest()`],
  'aes-256-cbc 1 KB, one update': [5000, `const c = crypto.createCipheriv('aes-256-cbc', key32, iv16); c.update(k1); c.final()`],
  'aes-256-gcm 64 KB, one update': [500, `const c = crypto.createCipheriv('aes-256-gcm', key32, iv12); c.update(k64); c.final(); c.getAuthTag()`],
  'aes-256-cbc 64 KB in 16 updates': [500, `const c = crypto.createCipheriv('aes-256-cbc', key32, iv16); for (let p = 0; p < 65536; p += 4096) c.update(k64.subarray(p, p + 4096)); c.final()`],
};
const loops = Object.entries(CASES).map(([name, [n, body]]) => `${JSON.stringify(name)}: () => { for (let i = 0; i < ${n}; i++) { ${body}; } }`).join(',\n');
const source = `import crypto from 'node:crypto';
const k1 = Buffer.alloc(1024, 'a'); const k64 = Buffer.alloc(65536, 7);
const key32 = Buffer.alloc(32, 1); const iv16 = Buffer.alloc(16, 2); const iv12 = Buffer.alloc(12, 3);
const cases = { ${loops} };
export async function handler(name) { cases[name](); return 0; }`;
const code = (await bundleSource({ 'index.ts': source }, 'index.ts', 'isolate', { sharedLayer: arg('shared', 0) === 1 })).code as string;
const config = { memoryMb: 256, timeoutMs: 60_000, cpuLimitMs: 60_000, env: {}, concurrency: 1, targetConcurrency: 1, minInstances: 0, maxInstances: 1, idleTimeoutMs: 600_000, runtime: 'isolate' };
const runtime = createIsolateRuntime({ clock: systemClock, spares: 0, onError: () => undefined });
const inst = await runtime.start({ instanceId: 'c', functionName: 'c', version: 1, code, config, onLog: () => undefined, fetch: () => Promise.reject(new Error('none')) });
let n = 0;
const invoke = (name: string) => inst.invoke({ mode: 'handler', event: name, meta: { invocationId: `c${++n}`, functionName: 'c', version: 1, deadline: Date.now() + 60_000, attempt: 1, memoryMb: 256 } });
const result: Record<string, number> = {};
for (const [name, [count]] of Object.entries(CASES)) {
  await invoke(name);
  const xs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const before = process.cpuUsage();
    await invoke(name);
    const used = process.cpuUsage(before);
    xs.push((used.user + used.system) / count);
  }
  result[name] = Number([...xs].sort((a, b) => a - b)[2]!.toFixed(2));
}
console.log(JSON.stringify({ tree, shared: arg('shared', 0) === 1, cpuMicrosPerOp: result }));
inst.dispose();
await runtime.close();
