/**
 * Cluster mode beyond plain async: workflow transitions per second and topic events per
 * second with 1, 2 and 3 nodes on one PostgreSQL and NATS on this machine (every node a
 * process of its own, all on the same 2 cores). Topic events travel on JetStream when the
 * nodes have a bus; one node without `--bus` (the store's queue carries them) is the baseline.
 */
import { sleep } from '../lib/proc.ts';
import { BENCH_NATS, benchSchema, servicesMissing } from '../lib/cluster-services.ts';
import { stepSource } from '../lib/functions.ts';
import type { Recorder, TargetInfo } from '../lib/results.ts';
import type { Scenario, ScenarioOutput, Settings } from '../lib/scenario.ts';
import type { NimbusTarget } from '../targets/nimbus.ts';
import { startNodes, stopAll } from './common.ts';

const nodesTarget = (k: number): TargetInfo => ({ id: `nodes-${k}`, label: `${k} node${k === 1 ? '' : 's'}`, description: `${k} Nimbus process${k === 1 ? '' : 'es'} on one PostgreSQL schema and NATS (topic events on JetStream).` });
const QUEUE_TARGET: TargetInfo = { id: 'queue-1', label: '1 node, no bus', description: 'One Nimbus process on PostgreSQL without --bus: topic events go through the store’s queue.' };
const CLIENTS = 16;
/** Pass states around one Task: each execution enters this many states. */
const STATES = 5;
const SUBSCRIBERS = ['sub-a', 'sub-b'];
const BATCH = 25;

const ARN = (fn: string) => `arn:aws:lambda:us-east-1:123456789012:function:${fn}`;
const MACHINE = {
  StartAt: 'A',
  States: {
    A: { Type: 'Pass', Next: 'B' },
    B: { Type: 'Pass', Next: 'Step' },
    Step: { Type: 'Task', Resource: ARN('step'), Next: 'C' },
    C: { Type: 'Pass', Next: 'D' },
    D: { Type: 'Pass', End: true },
  },
};

async function must(what: string, r: Promise<{ status: number; body: string }>): Promise<string> {
  const reply = await r;
  if (reply.status < 200 || reply.status > 299) throw new Error(`${what} answered ${reply.status}: ${reply.body.slice(0, 300)}`);
  return reply.body;
}

/** Runs `total` executions to completion (`/run`), by CLIENTS clients round-robin over the nodes; resolves with the ms it took. */
async function runExecutions(nodes: NimbusTarget[], total: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = next++; i < total; i = next++) {
        const body = await must('run', nodes[(c + i) % nodes.length].api('POST', '/api/v1/workflows/flow/run', { input: { i } }));
        if ((JSON.parse(body) as { status?: string }).status !== 'SUCCEEDED') throw new Error(`execution ${i}: ${body.slice(0, 200)}`);
      }
    }),
  );
  return performance.now() - t0;
}

/** Successful invocations of `fn` since `since`, by id, as any node knows them (its records not yet written included; at most 1000 a node: a round stays below). */
async function succeeded(nodes: NimbusTarget[], fn: string, since: number): Promise<number> {
  const ids = new Set<string>();
  for (const node of nodes) {
    const body = await must('invocations', node.api('GET', `/api/v1/invocations?function=${fn}&since=${since}&limit=1000`));
    for (const r of (JSON.parse(body) as { items: Array<{ id: string; status: string }> }).items) if (r.status === 'success') ids.add(r.id);
  }
  return ids.size;
}

/** Publishes `total` events in batches round-robin over the nodes, then waits until every subscriber ran each; resolves with [publish ms, end-to-end ms]. */
async function publishAll(nodes: NimbusTarget[], round: number, total: number): Promise<[number, number]> {
  const since = Date.now() - 1;
  const t0 = performance.now();
  const batches = Math.ceil(total / BATCH);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CLIENTS, batches) }, async (_, c) => {
      for (let b = next++; b < batches; b = next++) {
        const events = Array.from({ length: Math.min(BATCH, total - b * BATCH) }, (_, j) => ({ specversion: '1.0', id: `r${round}-${b * BATCH + j}`, source: '/bench', type: 'bench.event', data: { j } }));
        await must('publish', nodes[(c + b) % nodes.length].api('POST', '/api/v1/events/bench', events, { 'content-type': 'application/cloudevents-batch+json' }));
      }
    }),
  );
  const publishMs = performance.now() - t0;
  for (;;) {
    const done = await Promise.all(SUBSCRIBERS.map((fn) => succeeded(nodes, fn, since)));
    if (done.every((n) => n >= total)) break;
    if (performance.now() - t0 > 300_000) throw new Error(`topic deliveries not done in 300 s: ${done.join(', ')} of ${total}`);
    await sleep(50);
  }
  return [publishMs, performance.now() - t0];
}

async function rounds(s: Settings, rec: Recorder, target: TargetInfo, k: number, bus: boolean): Promise<void> {
  const executions = s.quick ? 60 : 300;
  const events = s.quick ? 100 : 400;
  const schema = benchSchema();
  let nodes: NimbusTarget[] = [];
  try {
    nodes = await startNodes(k, ['--store', schema.url, ...(bus ? ['--bus', BENCH_NATS] : [])]);
    const [first] = nodes;
    await first.deploy('step', stepSource(), { maxInstances: 4, concurrency: 16, timeoutMs: 10_000 });
    for (const fn of SUBSCRIBERS) await first.deploy(fn, stepSource(), { maxInstances: 4, concurrency: 16, timeoutMs: 10_000 });
    await must('workflow', first.api('PUT', '/api/v1/workflows/flow', { definition: MACHINE }));
    await must('topic', first.api('POST', '/api/v1/topics', { name: 'bench' }));
    for (const fn of SUBSCRIBERS) await must('subscription', first.api('POST', '/api/v1/triggers', { function: fn, topic: 'bench' }));
    // Other nodes learn of the subscriptions over the bus: wait until each has run one event.
    await publishAll(nodes, 0, nodes.length * 2);
    for (let round = 0; round <= s.rounds; round++) {
      const ms = await runExecutions(nodes, executions);
      const [publishMs, endMs] = await publishAll(nodes, round + 1, events);
      if (round === 0) continue; // warm-up
      const transitions = (executions * STATES) / (ms / 1000);
      const deliveries = (events * SUBSCRIBERS.length) / (endMs / 1000);
      rec.round('transitions', target.id, transitions);
      rec.round('topic-deliveries', target.id, deliveries);
      rec.round('topic-accept', target.id, events / (publishMs / 1000));
      s.log(`  ${target.id} round ${round}: ${transitions.toFixed(0)} transitions/s, ${deliveries.toFixed(0)} topic deliveries/s (published ${(events / (publishMs / 1000)).toFixed(0)} events/s)`);
    }
  } finally {
    await stopAll(nodes);
    await schema.drop().catch(() => {});
  }
}

export const clusterFlows: Scenario = {
  id: 'cluster-flows',
  title: 'Cluster: workflow transitions and topic events by node count',
  description:
    `Nimbus nodes on one PostgreSQL schema and NATS, all processes on this machine. Workflows: ${CLIENTS} clients run executions ` +
    `of a ${STATES}-state machine (4 Pass around one Task calling the step handler) to completion with POST /run, round-robin ` +
    'over the nodes; transitions (states entered) per second. Topics: events published in batches of 25 round-robin over the ' +
    'nodes to a topic with two subscriptions; deliveries (both subscribers ran each event, read from the invocation records) ' +
    'per second end to end, and events accepted per second. With a bus the events travel on JetStream (a durable consumer per ' +
    'subscription); one node without --bus is the store-queue baseline. On 2 shared cores more nodes add processes, not cores.',
  async run(s, rec): Promise<ScenarioOutput> {
    rec.metric({ id: 'transitions', label: 'Workflow transitions per second', unit: 'transitions/s', better: 'higher', kind: 'rate' });
    rec.metric({ id: 'topic-deliveries', label: 'Topic deliveries run per second, end to end', unit: 'deliveries/s', better: 'higher', kind: 'rate' });
    rec.metric({ id: 'topic-accept', label: 'Topic events accepted per second', unit: 'events/s', better: 'higher', kind: 'rate' });
    const targets = [QUEUE_TARGET, ...[1, 2, 3].map(nodesTarget)];
    const missing = await servicesMissing(true);
    if (missing) {
      for (const t of targets) rec.skip(t.id, 'all figures', missing);
      return { targets, settings: { clients: CLIENTS }, baseline: QUEUE_TARGET.id };
    }
    await rounds(s, rec, QUEUE_TARGET, 1, false);
    for (const k of [1, 2, 3]) await rounds(s, rec, nodesTarget(k), k, true);
    return { targets, settings: { clients: CLIENTS, executions: s.quick ? 60 : 300, events: s.quick ? 100 : 400, batch: BATCH }, baseline: QUEUE_TARGET.id, headline: 'topic-deliveries' };
  },
};
