/**
 * Cluster mode: async throughput with 1, 2 and 3 nodes on one PostgreSQL and NATS on this
 * machine (every node a process of its own, all on the same 2 cores), and failover time:
 * a node running async invocations is killed with SIGKILL, and the time until the first of
 * its items starts again on another node is measured, for a short and the default lease.
 */
import { sleep } from '../lib/proc.ts';
import { BENCH_NATS, benchSchema, servicesMissing } from '../lib/cluster-services.ts';
import { stepSource } from '../lib/functions.ts';
import type { Recorder, TargetInfo } from '../lib/results.ts';
import type { Scenario, ScenarioOutput, Settings } from '../lib/scenario.ts';
import { startNimbus, type NimbusTarget } from '../targets/nimbus.ts';
import { startNodes, stopAll } from './common.ts';

const nodesTarget = (k: number): TargetInfo => ({ id: `nodes-${k}`, label: `${k} node${k === 1 ? '' : 's'}`, description: `${k} Nimbus process${k === 1 ? '' : 'es'} on one PostgreSQL schema and NATS.` });
const leaseTarget = (ms: number): TargetInfo => ({ id: `lease-${ms / 1000}s`, label: `lease ${ms / 1000} s`, description: `--lease-time ${ms / 1000}s (a node silent this long is dead).` });
const SLOW = `export async function handler(e) { await new Promise((r) => setTimeout(r, 4000)); return { ok: true }; }`;
const CLIENTS = 32;

const nodeArgs = (url: string, leaseMs: number) => ['--store', url, '--bus', BENCH_NATS, '--lease-time', `${leaseMs}ms`];

async function counts(node: NimbusTarget, fn: string): Promise<Record<string, number>> {
  const r = await node.api('GET', `/api/v1/async?function=${fn}&limit=1`);
  return (JSON.parse(r.body) as { counts: Record<string, number> }).counts;
}

/** Submits `total` async invocations of `fn` round-robin over the nodes; resolves with the ms it took. */
async function submitAll(nodes: NimbusTarget[], fn: string, total: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = next++; i < total; i = next++) {
        const node = nodes[(c + i) % nodes.length];
        const r = await node.api('POST', `/api/v1/functions/${fn}/invoke`, { n: i }, { prefer: 'respond-async' });
        if (r.status !== 202) throw new Error(`submit answered ${r.status}: ${r.body.slice(0, 200)}`);
      }
    }),
  );
  return performance.now() - t0;
}

async function asyncRounds(s: Settings, rec: Recorder, k: number): Promise<void> {
  const total = s.quick ? 300 : 2000;
  const schema = benchSchema();
  let nodes: NimbusTarget[] = [];
  try {
    nodes = await startNodes(k, nodeArgs(schema.url, 15_000));
    await nodes[0].deploy('step', stepSource(), { maxInstances: 4, concurrency: 16, timeoutMs: 10_000 });
    const target = nodesTarget(k).id;
    for (let round = 0; round <= s.rounds; round++) {
      const base = (await counts(nodes[0], 'step')).succeeded;
      const t0 = performance.now();
      const submitMs = await submitAll(nodes, 'step', total);
      for (;;) {
        const c = await counts(nodes[0], 'step');
        if (c.succeeded - base >= total) break;
        if (performance.now() - t0 > 300_000) throw new Error(`${k} nodes: backlog not drained in 300 s`);
        await sleep(20);
      }
      const e2eMs = performance.now() - t0;
      if (round === 0) continue; // warm-up
      rec.round('accept', target, total / (submitMs / 1000));
      rec.round('end-to-end', target, total / (e2eMs / 1000));
      s.log(`  ${target} round ${round}: accepted ${(total / (submitMs / 1000)).toFixed(0)}/s, end to end ${(total / (e2eMs / 1000)).toFixed(0)} inv/s`);
    }
  } finally {
    await stopAll(nodes);
    await schema.drop().catch(() => {});
  }
}

async function failoverRounds(s: Settings, rec: Recorder, leaseMs: number, rounds: number): Promise<void> {
  const schema = benchSchema();
  const target = leaseTarget(leaseMs).id;
  let nodes: NimbusTarget[] = [];
  try {
    nodes = await startNodes(2, nodeArgs(schema.url, leaseMs));
    await nodes[0].deploy('slow', SLOW, { maxInstances: 4, concurrency: 16, timeoutMs: 30_000 });
    for (let round = 1; round <= rounds; round++) {
      const [victim, survivor] = nodes;
      // Work the victim claims at once (its consumer wakes on its own submits)
      for (let i = 0; i < 20; i++) await victim.api('POST', '/api/v1/functions/slow/invoke', { i }, { prefer: 'respond-async' });
      for (;;) {
        if ((await counts(survivor, 'slow')).running > 0) break;
        await sleep(10);
      }
      const killedAt = performance.now();
      await victim.kill();
      let resumedAt = 0;
      for (;;) {
        const r = await survivor.api('GET', '/api/v1/async?function=slow&state=running&limit=100');
        const items = (JSON.parse(r.body) as { items: Array<{ attempts: number }> }).items;
        if (items.some((i) => i.attempts >= 2)) {
          resumedAt = performance.now();
          break;
        }
        if (performance.now() - killedAt > leaseMs * 4 + 30_000) throw new Error(`nothing resumed ${((performance.now() - killedAt) / 1000).toFixed(0)} s after the kill`);
        await sleep(20);
      }
      rec.sample('failover', target, resumedAt - killedAt);
      s.log(`  ${target} round ${round}: first item resumed ${(resumedAt - killedAt).toFixed(0)} ms after kill -9`);
      // wait for the backlog, then a new victim joins for the next round
      for (;;) {
        const c = await counts(survivor, 'slow');
        if (c.queued + c.running === 0) break;
        await sleep(100);
      }
      nodes = [survivor, await startNimbus({ extraArgs: nodeArgs(schema.url, leaseMs), seedFrom: survivor.dataDir })];
      // the survivor is the next victim: the newcomer has nothing claimed
      nodes.reverse();
      nodes = [nodes[1], nodes[0]];
    }
  } finally {
    await stopAll(nodes);
    await schema.drop().catch(() => {});
  }
}

export const cluster: Scenario = {
  id: 'cluster',
  title: 'Cluster: async throughput by node count, failover time',
  description:
    'Nimbus nodes on one PostgreSQL schema and NATS, all processes on this machine. Async: 2,000 invocations of the step ' +
    `handler submitted by ${CLIENTS} clients round-robin over 1, 2 or 3 nodes (202 once persisted), accepted per second and ` +
    'end to end (all succeeded, read from the queue counts). Failover: two nodes, 20 invocations of a 4 s function on ' +
    'one, killed with SIGKILL once they run; the time from the kill to the first of them running again (attempt 2) on the ' +
    'other, for --lease-time 3 s and the default 15 s. On 2 shared cores more nodes add processes, not cores: the ' +
    'figures show what the coordination costs, not how a cluster of machines scales.',
  async run(s, rec): Promise<ScenarioOutput> {
    rec.metric({ id: 'end-to-end', label: 'Async invocations run per second, end to end', unit: 'inv/s', better: 'higher', kind: 'rate' });
    rec.metric({ id: 'accept', label: 'Async submits accepted per second', unit: 'req/s', better: 'higher', kind: 'rate' });
    rec.metric({ id: 'failover', label: 'kill -9 to the first item resumed on another node', unit: 'ms', better: 'lower', kind: 'latency' });
    const missing = await servicesMissing(true);
    const targets = [1, 2, 3].map(nodesTarget).concat([3_000, 15_000].map(leaseTarget));
    if (missing) {
      for (const t of targets) rec.skip(t.id, 'all figures', missing);
      return { targets, settings: { clients: CLIENTS }, baseline: 'nodes-1' };
    }
    for (const k of [1, 2, 3]) await asyncRounds(s, rec, k);
    await failoverRounds(s, rec, 3_000, s.quick ? 1 : 3);
    await failoverRounds(s, rec, 15_000, 1);
    return { targets, settings: { clients: CLIENTS, invocations: s.quick ? 300 : 2000 }, baseline: 'nodes-1', headline: 'end-to-end' };
  },
};
