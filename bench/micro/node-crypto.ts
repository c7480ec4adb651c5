/**
 * node:crypto and node:zlib inside a function against plain Node (no HTTP):
 *   node --no-node-snapshot --no-lazy --import tsx bench/micro/node-crypto.ts [--rounds N]
 *
 * The same loop runs in one warm isolate instance (the Node layer, each operation one host
 * call) and in this process with Node's own modules, alternated round by round; the figure
 * is operations per second, median over rounds, and the ratio isolate ÷ Node.
 */
import nodeCrypto from 'node:crypto';
import nodeZlib from 'node:zlib';
import { systemClock } from '../../src/core/clock.ts';
import type { FunctionConfig } from '../../src/core/types.ts';
import { bundleSource } from '../../src/deploy/bundle.ts';
import { createIsolateRuntime } from '../../src/runtime/isolate/index.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 5);

/** name → [iterations, body of `(crypto, zlib, data, key) => void`]. */
const CASES: Record<string, [number, string]> = {
  'sha256 1 KB': [20_000, `crypto.createHash('sha256').update(data.k1).digest()`],
  'sha256 64 KB': [2_000, `crypto.createHash('sha256').update(data.k64).digest()`],
  'hmac-sha256 1 KB': [20_000, `crypto.createHmac('sha256', 'key').update(data.k1).digest()`],
  'ed25519 sign 1 KB': [2_000, `crypto.sign(null, data.k1, key)`],
  'aes-256-gcm 64 KB': [2_000, `const c = crypto.createCipheriv('aes-256-gcm', data.key32, data.iv12); c.update(data.k64); c.final(); c.getAuthTag()`],
  'aes-256-cbc 1 KB': [20_000, `const c = crypto.createCipheriv('aes-256-cbc', data.key32, data.iv16); c.update(data.k1); c.final()`],
  'aes-256-cbc 64 KB in 16 updates': [2_000, `const c = crypto.createCipheriv('aes-256-cbc', data.key32, data.iv16); for (let p = 0; p < 65536; p += 4096) c.update(data.k64.subarray(p, p + 4096)); c.final()`],
  'gzip 64 KB': [300, `zlib.gzipSync(data.k64)`],
  'gunzip 64 KB': [2_000, `zlib.gunzipSync(data.gz64)`],
};

const setup = `
  const k1 = Buffer.alloc(1024, 'a');
  const k64 = Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7) % 251));
  const data = { k1, k64, key32: Buffer.alloc(32, 1), iv12: Buffer.alloc(12, 2), iv16: Buffer.alloc(16, 3), gz64: zlib.gzipSync(k64) };
  const key = crypto.generateKeyPairSync('ed25519').privateKey;
`;
const loops = Object.entries(CASES).map(([name, [n, body]]) => `${JSON.stringify(name)}: () => { const t0 = Date.now(); for (let i = 0; i < ${n}; i++) { ${body}; } return Date.now() - t0; }`).join(',\n');
const source = `import crypto from 'node:crypto'; import zlib from 'node:zlib'; import { Buffer } from 'node:buffer';
${setup}
const cases = { ${loops} };
export async function handler(name) { return cases[name](); }`;

const config: FunctionConfig = {
  memoryMb: 256, timeoutMs: 60_000, cpuLimitMs: 60_000, env: {}, concurrency: 1, targetConcurrency: 1, minInstances: 0, maxInstances: 1, idleTimeoutMs: 600_000, runtime: 'isolate',
};
const code = (await bundleSource({ 'index.ts': source }, 'index.ts')).code;
const runtime = createIsolateRuntime({ clock: systemClock, spares: 0, onError: () => undefined });
const inst = await runtime.start({ instanceId: 'c', functionName: 'c', version: 1, code, config, onLog: () => undefined, fetch: () => Promise.reject(new Error('none')) });
let n = 0;
const inIsolate = async (name: string): Promise<number> => {
  const r = await inst.invoke({ mode: 'handler', event: name, meta: { invocationId: `c${++n}`, functionName: 'c', version: 1, deadline: Date.now() + 60_000, attempt: 1, memoryMb: 256 } });
  return (r as { value: number }).value;
};
const inNode = new Function('crypto', 'zlib', 'Buffer', `${setup}\nreturn { ${loops} };`)(nodeCrypto, nodeZlib, Buffer) as Record<string, () => number>;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(`node:crypto / node:zlib in a function vs plain Node (node ${process.version}, ${ROUNDS} rounds, alternated)\n`);
for (const [name, [iterations]] of Object.entries(CASES)) {
  const iso: number[] = [];
  const node: number[] = [];
  await inIsolate(name);
  inNode[name]!();
  for (let r = 0; r < ROUNDS; r++) {
    iso.push(iterations / (Math.max(1, await inIsolate(name)) / 1000));
    node.push(iterations / (Math.max(1, inNode[name]!()) / 1000));
  }
  const a = median(iso);
  const b = median(node);
  console.log(`${name.padEnd(20)} function ${Math.round(a).toString().padStart(8)} ops/s   node ${Math.round(b).toString().padStart(8)} ops/s   ${(a / b).toFixed(2)}x`);
}
inst.dispose();
await runtime.close();
