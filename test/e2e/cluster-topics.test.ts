/**
 * Topic events on NATS JetStream, end to end: three real nodes on one PostgreSQL schema and
 * NATS, a topic with two subscriptions (a durable consumer each in the cluster's stream),
 * events published across the nodes while one is killed with kill -9 part-way. Each
 * subscription's function runs each event at least once; a repeat is a later attempt of the
 * same invocation (the one the dead node held, delivered again after the ack wait); each
 * invocation has its record, of its last attempt, and none is lost. Skipped with one line
 * where PostgreSQL or NATS is unreachable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { TEST_NATS } from '../../src/bus/nats/test-server.ts';
import { clusterSkipReason, publishEvent, startCluster } from '../helpers/cluster.ts';
import { eventually, type RunningPlatform } from '../helpers/platform.ts';
import { startSink } from '../helpers/sink.ts';

const skip = (await clusterSkipReason()) ?? false;

interface Seen {
  readonly id: string;
  readonly attempts: number[];
}

test('topic events over JetStream: 2 subscriptions × N events across three nodes, one killed -9 part-way: each runs at least once, repeats are later attempts, one record each, none lost', { skip, timeout: 180_000 }, async () => {
  const EVENTS = 120;
  const seen = new Map<string, Seen>();
  const sink = await startSink((r) => {
    const key = `${String(r.sub)}/${String(r.event)}`;
    const s = seen.get(key) ?? { id: String(r.id), attempts: [] };
    assert.equal(s.id, String(r.id), `${key}: every attempt has the one invocation id`);
    s.attempts.push(Number(r.attempt));
    seen.set(key, s);
  });
  const cluster = await startCluster(3);
  try {
    const [a, b, c] = cluster.nodes;
    // Slow enough that the killed node holds some deliveries when it dies.
    const consumer = (sub: string) =>
      `export async function handler(e, ctx) { await new Promise((r) => setTimeout(r, 300)); await fetch(ctx.env.SINK, { method: 'POST', body: JSON.stringify({ sub: '${sub}', event: e.id, attempt: ctx.attempt, id: ctx.invocationId }) }); return {}; }`;
    await a.deploy('js-a', consumer('a'), { env: { SINK: sink.url } });
    await b.deploy('js-b', consumer('b'), { env: { SINK: sink.url } });
    assert.equal((await a.api('/api/v1/topics', { method: 'POST', body: '{"name":"orders"}' })).status, 201);
    const subs: string[] = [];
    for (const [node, fn] of [[a, 'js-a'], [c, 'js-b']] as const) {
      const res = await node.api('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ function: fn, topic: 'orders' }) });
      assert.equal(res.status, 201);
      subs.push(((await res.json()) as { id: string }).id);
    }

    // The subscriptions are durable consumers of a JetStream stream: the events go there, not to the store's queue.
    const nc = await connect({ servers: new URL(TEST_NATS.split(',')[0]).host });
    try {
      const jsm = await nc.jetstreamManager();
      const stream = await eventually(async () => {
        for await (const s of jsm.streams.list()) {
          if (!s.config.name.endsWith('_topics')) continue;
          const names: string[] = [];
          for await (const ci of jsm.consumers.list(s.config.name)) names.push(ci.name);
          if (subs.every((id) => names.includes(`sub_${id}`))) return s.config.name;
        }
        return null;
      }, 20_000, 200);
      process.stdout.write(`# stream ${stream} has a durable consumer per subscription\n`);
    } finally {
      await nc.close();
    }

    const publish = (node: RunningPlatform, i: number) => publishEvent(node, 'orders', i);
    let killed = false;
    for (let i = 0; i < EVENTS; i++) {
      if (i === EVENTS / 2) {
        await eventually(async () => seen.size > 10, 30_000);
        await c.kill();
        killed = true;
      }
      const nodes = killed ? [a, b] : [a, b, c];
      // A publish that failed with its node is published again elsewhere: the same event, stored once.
      if (!(await publish(nodes[i % nodes.length], i))) assert.ok(await publish(a, i), `event ${i} republished`);
    }
    await eventually(async () => seen.size === EVENTS * 2, 120_000, 200).catch(() => assert.fail(`${seen.size} of ${EVENTS * 2} deliveries`));

    const repeated = [...seen.entries()].filter(([, s]) => s.attempts.length > 1);
    const later = [...seen.values()].filter((s) => Math.max(...s.attempts) > 1).length;
    process.stdout.write(`# ${EVENTS} events × 2 subscriptions over JetStream; ${later} ran again after the kill (${repeated.length} of them reported twice)\n`);
    for (const [key, s] of repeated) assert.equal(new Set(s.attempts).size, s.attempts.length, `${key}: a repeat is a later attempt (${s.attempts})`);
    assert.ok(repeated.length <= 128, `${repeated.length} repeats: only what the dead node held`);
    // Each invocation has one record, of its last attempt reported; no invocation beyond one per delivery.
    for (const fn of ['js-a', 'js-b']) {
      let last: Array<{ id: string; attempt: number; status: string }> = [];
      const items = await eventually(async () => {
        const list = (await (await a.api(`/api/v1/invocations?function=${fn}&limit=1000`)).json()) as { items: Array<{ id: string; attempt: number; status: string }> };
        last = list.items;
        return list.items.length >= EVENTS && list.items.every((r) => r.status === 'success') ? list.items : null;
      }, 30_000, 200).catch(() => {
        const have = new Set(last.map((r) => r.id));
        const missing = [...seen.entries()].filter(([k, s]) => k.startsWith(fn === 'js-a' ? 'a/' : 'b/') && !have.has(s.id));
        assert.fail(`${fn}: ${last.length} records; not successful ${JSON.stringify(last.filter((r) => r.status !== 'success').slice(0, 3))}; missing ${JSON.stringify(missing)}`);
      });
      assert.equal(items.length, EVENTS, `${fn}: one invocation per event`);
      const byId = new Map(items.map((r) => [r.id, r.attempt]));
      for (const [key, s] of seen) {
        if (!key.startsWith(fn === 'js-a' ? 'a/' : 'b/')) continue;
        assert.ok(byId.has(s.id), `${key}: its invocation has a record`);
        assert.ok(byId.get(s.id)! >= Math.max(...s.attempts), `${key}: the record is of its last attempt`);
      }
    }
  } finally {
    await cluster.close();
    sink.close();
  }
});
