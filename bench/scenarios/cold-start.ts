/**
 * Cold start: how long from "nothing of this function is running" to its first response.
 * For raw node and workerd that means starting the process; for Nimbus, the first
 * request to a freshly deployed function, and the first request after it scaled to zero.
 */
import { helloSource, namedNodeLayerSource, namedSource } from '../lib/functions.ts';
import { request } from '../lib/http.ts';
import { sleep } from '../lib/proc.ts';
import type { Recorder } from '../lib/results.ts';
import type { Scenario, Settings } from '../lib/scenario.ts';
import { startNimbus, nimbusMissing, type NimbusTarget } from '../targets/nimbus.ts';
import { startRaw } from '../targets/raw-node.ts';
import { NIMBUS, RAW, WORKERD } from '../targets/types.ts';
import { startWorkerd } from '../targets/workerd.ts';
import { BENCH_CONFIG, attempt } from './common.ts';

const IDLE_MS = 1000;

/** Polls the function until its pools report no live instance (bounded). */
export async function waitForZero(n: NimbusTarget, name: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    const r = await n.api('GET', `/api/v1/functions/${name}`);
    if (r.status !== 200) throw new Error(`GET /api/v1/functions/${name} answered ${r.status}: ${r.body.slice(0, 200)}`);
    const body = JSON.parse(r.body) as { pools?: Array<{ ready: number; starting: number }> };
    if (!Array.isArray(body.pools)) throw new Error('GET /api/v1/functions/<name> has no `pools` field to tell when it reached zero');
    if (body.pools.every((p) => p.ready + p.starting === 0)) return performance.now() - t0;
    await sleep(100);
  }
  throw new Error(`function ${name} did not scale to zero within ${timeoutMs} ms (idleTimeoutMs ${IDLE_MS})`);
}

async function timedGet(url: string): Promise<number> {
  const r = await request(url);
  if (r.status < 200 || r.status >= 300) throw new Error(`GET ${url} answered ${r.status}: ${r.body.slice(0, 200)}`);
  return r.doneAt - r.sentAt;
}

async function nimbusRound(s: Settings, rec: Recorder, round: number, perRound: number): Promise<void> {
  const n = await startNimbus();
  try {
    rec.sample('platform-start', NIMBUS.id, n.startMs);
    // Fresh deploys: a new function each time, first request right after the deploy returns;
    // hello and the Node-layer function alternate.
    const names: Array<[string, string]> = [];
    for (let i = 0; i < perRound; i++) {
      for (const [kind, source] of [['', namedSource], ['-node', namedNodeLayerSource]] as const) {
        const name = `cold-r${round}-${i}${kind}`;
        const d0 = performance.now();
        await n.deploy(name, source(name), { ...BENCH_CONFIG, idleTimeoutMs: IDLE_MS });
        if (kind === '') rec.sample('deploy', NIMBUS.id, performance.now() - d0);
        rec.sample(`first${kind}`, NIMBUS.id, await timedGet(n.baseUrl + n.fnPath(name)));
        names.push([name, kind]);
      }
    }
    // After scale to zero: the same functions, once their instance was retired for idleness.
    for (const [name] of names) await waitForZero(n, name, 30000 + IDLE_MS);
    for (const [name, kind] of names) rec.sample(`after-zero${kind}`, NIMBUS.id, await timedGet(n.baseUrl + n.fnPath(name)));
    s.log(`  round ${round}: nimbus platform start ${n.startMs.toFixed(0)} ms`);
  } finally {
    await n.stop();
  }
}

export const coldStart: Scenario = {
  id: 'cold-start',
  title: 'Cold start',
  description:
    'Time from "nothing of this function is running" to its first response. raw node and workerd: spawn of a fresh ' +
    'process serving the hello function until its first 2xx (polled every 1 ms on new connections). Nimbus: the first ' +
    'request to a function right after its deploy call returned, and the first request after its only instance was ' +
    `retired for idleness (idleTimeoutMs=${IDLE_MS}, zero confirmed through GET /api/v1/functions/<name>). ` +
    'The Nimbus figures are also taken for a Node-layer function (bench/functions/node-layer.js: ten node: modules ' +
    'incl. stream and async_hooks), deployed and requested alternately with the hello one. ' +
    'Also reported: the deploy call itself and the Nimbus platform start (spawn → "ready" line).',
  async run(s, rec) {
    rec.metric({ id: 'first', label: 'First response, nothing running', unit: 'ms', better: 'lower', kind: 'latency' });
    rec.metric({ id: 'after-zero', label: 'First response after scale to zero', unit: 'ms', better: 'lower', kind: 'latency' });
    rec.metric({ id: 'first-node', label: 'First response, nothing running: Node layer (ten node: modules)', unit: 'ms', better: 'lower', kind: 'latency' });
    rec.metric({ id: 'after-zero-node', label: 'First response after scale to zero: Node layer (ten node: modules)', unit: 'ms', better: 'lower', kind: 'latency' });
    rec.metric({ id: 'deploy', label: 'Deploy call (PUT /api/v1/functions)', unit: 'ms', better: 'lower', kind: 'latency' });
    rec.metric({ id: 'platform-start', label: 'Platform start (spawn → ready)', unit: 'ms', better: 'lower', kind: 'latency' });
    const perRound = s.quick ? 2 : 4;
    const missing = nimbusMissing();
    if (missing) rec.skip(NIMBUS.id, 'all figures', missing);
    let nimbusOk = !missing;
    const ran = new Set<string>();
    for (let round = 1; round <= s.rounds; round++) {
      for (let i = 0; i < perRound; i++) {
        const raw = await attempt(s, rec, RAW, 'process start', () => startRaw());
        if (raw) {
          rec.sample('first', RAW.id, raw.startMs);
          ran.add(RAW.id);
          await raw.stop();
        }
        const wd = await attempt(s, rec, WORKERD, 'process start', () => startWorkerd({ workers: [{ name: 'hello', source: helloSource() }] }));
        if (wd) {
          rec.sample('first', WORKERD.id, wd.startMs);
          ran.add(WORKERD.id);
          await wd.stop();
        }
      }
      if (nimbusOk) {
        const ok = await attempt(s, rec, NIMBUS, 'all figures', () => nimbusRound(s, rec, round, perRound));
        if (ok === null) nimbusOk = false;
        else ran.add(NIMBUS.id);
      }
    }
    rec.note(
      'raw node and workerd have no scale-to-zero of their own: for a platform that runs one process per function, ' +
        '"after scale to zero" costs the same as their process start.',
    );
    rec.note('Latency distributions here are exact order statistics of the samples (n is small: p99 ≈ the worst sample).');
    return {
      targets: [RAW, WORKERD, NIMBUS].filter((t) => ran.has(t.id)),
      settings: { samplesPerRound: perRound, idleTimeoutMs: IDLE_MS },
    };
  },
};
