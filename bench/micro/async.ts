/**
 * Micro-benchmark of async invocation on the embedded (SQLite) store, end to end over HTTP:
 *   node --no-node-snapshot --import tsx bench/micro/async.ts [--n 5000] [--clients 32] [--max 4] [--concurrency 50]
 *
 * Starts the real platform in this process (isolate runtime, fresh data dir on disk),
 * deploys a trivial handler, then N clients POST …/invoke with `Prefer: respond-async`.
 *   accepted/s   202s per second over the submit phase
 *   completed/s  N / (first submit → the last invocation succeeded), end to end
 *   enqueue→start  record.startedAt (dispatcher start) − item.acceptedAt (202), p50/p99,
 *                  read back through the API afterwards (no hooks in the hot path).
 * Baseline in the same run: synchronous invokes of the same function over the same API.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.ts';
import { systemClock } from '../../src/core/clock.ts';
import { startPlatform } from '../../src/server/platform.ts';
import { defaultRuntime } from '../../src/server/runtime-choice.ts';
import { arg } from './common.ts';

const N = arg('n', 5000);
const CLIENTS = arg('clients', 32);
const MAX = arg('max', 4);
const CONCURRENCY = arg('concurrency', 50);

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-bench-async-'));
  const config = loadConfig({}, ['--port', '0', '--host', '127.0.0.1', '--data', dataDir, '--no-examples', '--log-level', 'error'], process.cwd());
  const platform = await startPlatform({ config, clock: systemClock, runtime: defaultRuntime });
  const headers = { authorization: `Bearer ${platform.token}`, 'content-type': 'application/json' };
  const api = (path: string, init: RequestInit = {}) => fetch(platform.url + path, { ...init, headers: { ...headers, ...(init.headers ?? {}) } });
  try {
    await platform.deployer.deploy({
      name: 'bench',
      source: { kind: 'files', files: { 'index.ts': 'export async function handler(e) { return { n: e.n }; }' }, entry: 'index.ts' },
      config: { maxInstances: MAX, concurrency: CONCURRENCY, minInstances: 1 },
    });

    // Baseline: synchronous invokes, same clients, same function.
    const syncN = Math.min(N, 2000);
    let next = 0;
    const s0 = performance.now();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < syncN) {
          next++;
          const r = await api('/api/v1/functions/bench/invoke', { method: 'POST', body: '{"n":0}' });
          await r.arrayBuffer();
        }
      }),
    );
    const syncPerSec = syncN / ((performance.now() - s0) / 1000);

    // Async: submit N as fast as the clients go; watch completions.
    next = 0;
    const t0 = performance.now();
    let acceptedDone = 0;
    const submits = Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (next < N) {
          const n = next++;
          const r = await api('/api/v1/functions/bench/invoke', { method: 'POST', headers: { prefer: 'respond-async' }, body: JSON.stringify({ n }) });
          if (r.status !== 202) throw new Error(`submit ${n}: ${r.status} ${await r.text()}`);
          await r.arrayBuffer();
        }
      }),
    ).then(() => (acceptedDone = performance.now()));
    let completedAt = 0;
    for (;;) {
      const body = (await (await api('/api/v1/async?function=bench&limit=1')).json()) as { counts: Record<string, number> };
      if (body.counts.succeeded + body.counts.dead >= N) {
        completedAt = performance.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
    await submits;
    const acceptedPerSec = N / ((acceptedDone - t0) / 1000);
    const completedPerSec = N / ((completedAt - t0) / 1000);

    // Enqueue → start, from the API: queue items (acceptedAt) and records (startedAt), by id.
    const accepted = new Map<string, number>();
    for (let before: string | null = null; ; ) {
      const q: string = `/api/v1/async?function=bench&limit=1000${before ? `&before=${before}` : ''}`;
      const page = (await (await api(q)).json()) as { items: Array<{ id: string; acceptedAt: number }>; next: string | null };
      for (const i of page.items) accepted.set(i.id, i.acceptedAt);
      if (!page.next) break;
      before = page.next;
    }
    const waits: number[] = [];
    for (let before: string | null = null; ; ) {
      const q: string = `/api/v1/invocations?function=bench&limit=1000${before ? `&before=${before}` : ''}`;
      const page = (await (await api(q)).json()) as { items: Array<{ id: string; startedAt: number; trigger: string }>; next: string | null };
      for (const r of page.items) {
        const at = accepted.get(r.id);
        if (r.trigger === 'async' && at !== undefined) waits.push(r.startedAt - at);
      }
      if (!page.next) break;
      before = page.next;
    }
    waits.sort((a, b) => a - b);
    const out = {
      n: N,
      clients: CLIENTS,
      capacity: `${MAX} instances x ${CONCURRENCY}`,
      acceptedPerSec: Math.round(acceptedPerSec),
      completedPerSec: Math.round(completedPerSec),
      enqueueToStartMs: { samples: waits.length, p50: pct(waits, 50), p90: pct(waits, 90), p99: pct(waits, 99), max: waits[waits.length - 1] },
      baselineSyncInvokesPerSec: Math.round(syncPerSec),
    };
    console.log(JSON.stringify(out, null, 2));
  } finally {
    await platform.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
