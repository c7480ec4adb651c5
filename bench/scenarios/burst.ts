/**
 * Burst from zero: 200 requests fired at the same instant at a function with nothing
 * running. Nimbus: a freshly deployed function (no instance yet), scaled by the platform;
 * its instance count is sampled during the burst for the scale-up timeline. raw node and
 * workerd have no notion of zero instances: their process is started, we wait until its
 * port accepts a TCP connection (no request, so nothing is warmed), then fire.
 */
import { burst, completionSteps, type BurstOutcome } from '../lib/burst.ts';
import { helloSource } from '../lib/functions.ts';
import { sleep } from '../lib/proc.ts';
import type { Recorder } from '../lib/results.ts';
import type { Scenario, Settings } from '../lib/scenario.ts';
import type { NimbusTarget } from '../targets/nimbus.ts';
import { startRaw } from '../targets/raw-node.ts';
import { NIMBUS, RAW, WORKERD, type HttpTarget } from '../targets/types.ts';
import { startWorkerd } from '../targets/workerd.ts';
import { BENCH_CONFIG, attempt, nimbusWith } from './common.ts';

const BURST = 200;

type FailureKinds = Record<string, Record<string, number>>;

function record(rec: Recorder, target: string, o: BurstOutcome, failureKinds: FailureKinds): void {
  for (const ms of o.okMs) rec.sample('latency', target, ms);
  rec.round('makespan', target, o.makespanMs);
  for (const [k, v] of Object.entries(o.failures)) {
    const kinds = (failureKinds[target] ??= {});
    kinds[k] = (kinds[k] ?? 0) + v;
  }
  const failed = Object.values(o.failures).reduce((a, b) => a + b, 0);
  rec.round('failed', target, failed);
  if (failed > 0) rec.failure('latency', target, failed);
}

/** Samples the function's live instance count every ~20 ms until `stop` is set. */
async function sampleInstances(n: NimbusTarget, name: string, t0: number, stop: { done: boolean }): Promise<Array<[number, number]>> {
  const pts: Array<[number, number]> = [[0, 0]];
  for (let i = 0; i < 3000 && !stop.done; i++) {
    const r = await n.api('GET', `/api/v1/functions/${name}`).catch(() => null);
    if (r?.status === 200) {
      const pools = (JSON.parse(r.body) as { pools?: Array<{ ready: number; starting: number }> }).pools ?? [];
      pts.push([Math.round((performance.now() - t0) * 10) / 10, pools.reduce((a, p) => a + p.ready + p.starting, 0)]);
    }
    await sleep(20);
  }
  return pts;
}

/** Process targets: a fresh process per round; fire once the port accepts. */
async function processRound(
  s: Settings,
  rec: Recorder,
  info: { id: string },
  startIt: () => Promise<HttpTarget>,
  completions: Record<string, Array<[number, number]>>,
  failureKinds: FailureKinds,
): Promise<void> {
  const t = await startIt();
  try {
    const o = await burst(t.baseUrl + t.fnPath('hello'), BURST);
    record(rec, info.id, o, failureKinds);
    completions[info.id] = completionSteps(o.okMs);
  } finally {
    await t.stop();
  }
}

export const burstFromZero: Scenario = {
  id: 'burst',
  title: `Burst from zero (${BURST} concurrent)`,
  description:
    `${BURST} GET requests fired at the same instant, each on its own new connection, at a function with nothing running. ` +
    'Nimbus: a function deployed just before (no instance yet), default scaling with concurrency 16 per instance. ' +
    'raw node / workerd: a process started just before; we wait until its port accepts a TCP connection, then fire. ' +
    'Latency is per request from the instant of firing; makespan is until the last response.',
  async run(s, rec) {
    rec.metric({ id: 'latency', label: 'Burst request latency', unit: 'ms', better: 'lower', kind: 'latency' });
    rec.metric({ id: 'makespan', label: 'Time to answer the whole burst', unit: 'ms', better: 'lower', kind: 'time' });
    rec.metric({ id: 'failed', label: 'Failed requests per burst', unit: 'requests', better: 'lower', kind: 'count' });
    rec.metric({ id: 'instances', label: 'Nimbus instances at the end of the burst', unit: 'instances', better: 'lower', kind: 'count' });
    rec.metric({ id: 'instances-started', label: 'Nimbus instances started by the burst (distinct instances in its records)', unit: 'instances', better: 'lower', kind: 'count' });
    rec.metric({ id: 'cold-starts', label: 'Nimbus requests that waited for a cold start (records with coldStart)', unit: 'requests', better: 'lower', kind: 'count' });
    const completions: Record<string, Array<[number, number]>> = {};
    const failureKinds: FailureKinds = {};
    const instances: Record<string, Array<[number, number]>> = {};
    const ran = new Set<string>();
    const nimbus = await nimbusWith(s, rec, 'all figures', {});
    try {
      for (let round = 1; round <= s.rounds; round++) {
        const raw = await attempt(s, rec, RAW, 'all figures', () =>
          processRound(s, rec, RAW, () => startRaw({ readiness: 'port' }), completions, failureKinds),
        );
        if (raw !== null) ran.add(RAW.id);
        const wd = await attempt(s, rec, WORKERD, 'all figures', () =>
          processRound(s, rec, WORKERD, () => startWorkerd({ workers: [{ name: 'hello', source: helloSource() }], readiness: 'port' }), completions, failureKinds),
        );
        if (wd !== null) ran.add(WORKERD.id);
        if (nimbus) {
          const name = `burst-${round}`;
          await nimbus.deploy(name, helloSource(), BENCH_CONFIG);
          const stop = { done: false };
          const t0 = performance.now();
          const sampler = sampleInstances(nimbus, name, t0, stop);
          const o = await burst(nimbus.baseUrl + nimbus.fnPath(name), BURST);
          stop.done = true;
          const pts = await sampler;
          record(rec, NIMBUS.id, o, failureKinds);
          rec.round('instances', NIMBUS.id, pts[pts.length - 1][1]);
          // The burst's own records: how many instances served it and how many requests paid a cold start.
          const answer = await nimbus.api('GET', `/api/v1/invocations?function=${encodeURIComponent(name)}&limit=1000`);
          const records = (JSON.parse(answer.body) as { items: Array<{ coldStart: boolean; instanceId: string | null }> }).items;
          rec.round('instances-started', NIMBUS.id, new Set(records.map((r) => r.instanceId).filter(Boolean)).size);
          rec.round('cold-starts', NIMBUS.id, records.filter((r) => r.coldStart).length);
          completions[NIMBUS.id] = completionSteps(o.okMs);
          instances[NIMBUS.id] = pts;
          ran.add(NIMBUS.id);
        }
        s.log(`  round ${round}/${s.rounds} done`);
      }
    } finally {
      await nimbus?.stop();
    }
    rec.timelines.push({ id: 'completions', label: 'responses completed over time (last round)', xUnit: 'ms since firing', yUnit: 'responses', series: completions });
    if (Object.keys(instances).length > 0) {
      rec.timelines.push({ id: 'instances', label: 'Nimbus live instances during the burst (last round)', xUnit: 'ms since firing', yUnit: 'instances', series: instances });
    }
    for (const [target, kinds] of Object.entries(failureKinds)) {
      const list = Object.entries(kinds).map(([k, v]) => `${k} ×${v}`).join(', ');
      rec.note(`${target}: failed burst requests over all rounds: ${list}.`);
    }
    rec.note('raw node and workerd serve the burst from one already-started process: their figures exclude process start (see cold-start for that cost).');
    return { targets: [RAW, WORKERD, NIMBUS].filter((t) => ran.has(t.id)), settings: { burst: BURST, nimbusConfig: JSON.stringify(BENCH_CONFIG) } };
  },
};
