/**
 * Topic events on NATS JetStream that run out of attempts, end to end on two real nodes
 * sharing PostgreSQL and NATS: a subscription whose function always fails ends with its
 * events in `nimbus dlq ls` with the reason and the last error, the policy's onFailure
 * destination (a function reporting to a sink) gets one event per dead letter, and a dead
 * letter redriven on the other node runs (on the queue) once the function is fixed.
 * Skipped with one line where PostgreSQL or NATS is unreachable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterSkipReason, publishEvent, startCluster } from '../helpers/cluster.ts';
import { cli, eventually } from '../helpers/platform.ts';
import { startSink } from '../helpers/sink.ts';

const skip = (await clusterSkipReason()) ?? false;

interface DeadView {
  readonly id: string;
  readonly function: string;
  readonly trigger: string;
  readonly source: string;
  readonly attempts: number;
  readonly deadReason: string;
  readonly lastError: { code: string; message: string } | null;
}

test('topic events over JetStream whose attempts run out: in `dlq ls` with the reason, onFailure sent once each, redrive works from another node', { skip, timeout: 120_000 }, async () => {
  const EVENTS = 3;
  const failures: Array<Record<string, unknown>> = [];
  const sink = await startSink((r) => failures.push(r));
  const cluster = await startCluster(2);
  try {
    const [a, b] = cluster.nodes;
    await a.deploy('always-fails', `export async function handler(e) { throw new Error('nope ' + e.id); }`);
    await a.deploy(
      'audit',
      `export async function handler(e, ctx) { await fetch(ctx.env.SINK, { method: 'POST', body: JSON.stringify({ type: e.type, subject: e.subject, reason: e.data.requestContext.condition, event: e.data.requestPayload.id }) }); return {}; }`,
      { env: { SINK: sink.url } },
    );
    const policy = { maxAttempts: 2, initialDelayMs: 100, maxDelayMs: 100, onFailure: { kind: 'function', name: 'audit' } };
    assert.equal((await a.api('/api/v1/functions/always-fails/async-policy', { method: 'PUT', body: JSON.stringify(policy) })).status, 200);
    assert.equal((await a.api('/api/v1/topics', { method: 'POST', body: '{"name":"orders"}' })).status, 201);
    const res = await b.api('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ function: 'always-fails', topic: 'orders' }) });
    assert.equal(res.status, 201);
    const sub = ((await res.json()) as { id: string }).id;
    for (let i = 0; i < EVENTS; i++) assert.ok(await publishEvent(i % 2 ? b : a, 'orders', i), `event ${i} published`);

    const dead = await eventually(async () => {
      const body = (await (await b.api('/api/v1/dlq?function=always-fails')).json()) as { items: DeadView[] };
      return body.items.length >= EVENTS ? body.items : null;
    }, 60_000, 200).catch(() => assert.fail('the events did not reach the dead-letter list'));
    assert.equal(dead.length, EVENTS, 'one dead letter per event');
    for (const d of dead) {
      assert.deepEqual([d.function, d.trigger, d.source, d.attempts, d.deadReason, d.lastError?.code], ['always-fails', 'event', `event:orders:${sub}`, 2, 'max-attempts', 'NIMBUS_ERR_FUNCTION_ERROR']);
      assert.match(d.lastError!.message, /nope e\d/);
    }
    const ls = await cli(a, ['dlq', 'ls', 'always-fails']);
    assert.equal(ls.code, 0, ls.stderr);
    for (const d of dead) assert.ok(ls.stdout.includes(d.id), `dlq ls shows ${d.id}:\n${ls.stdout}`);
    assert.match(ls.stdout, /max-attempts/);

    await eventually(async () => failures.length >= EVENTS, 30_000, 200).catch(() => assert.fail(`${failures.length} of ${EVENTS} onFailure events`));
    assert.deepEqual(failures.map((f) => f.subject).sort(), dead.map((d) => d.id).sort(), 'onFailure names each dead letter');
    assert.ok(failures.every((f) => f.type === 'dev.nimbus.async.failure' && f.reason === 'max-attempts'));
    assert.deepEqual(failures.map((f) => f.event).sort(), Array.from({ length: EVENTS }, (_, i) => `e${i}`));

    // Fixed, then redriven from the other node: it runs on the queue as attempt 1 of the same invocation.
    await a.deploy('always-fails', `export async function handler(e) { return { ok: e.id }; }`);
    const redrive = await b.api(`/api/v1/dlq/${dead[0].id}/redrive`, { method: 'POST' });
    assert.ok(redrive.status < 300, `redrive answered ${redrive.status}`);
    await eventually(async () => {
      const item = (await (await a.api(`/api/v1/async/${dead[0].id}`)).json()) as { state: string };
      return item.state === 'succeeded';
    }, 30_000, 200).catch(() => assert.fail('the redriven event did not succeed'));
    const left = (await (await a.api('/api/v1/dlq?function=always-fails')).json()) as { items: DeadView[] };
    assert.equal(left.items.length, EVENTS - 1);
    // Given up and acked: nothing more arrives (the sink saw one onFailure per event).
    assert.equal(failures.length, EVENTS);
  } finally {
    await cluster.close();
    sink.close();
  }
});
