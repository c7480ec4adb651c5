/**
 * Crash safety on PostgreSQL: async invocations submitted to a platform on PostgreSQL, kill
 * -9 while many are queued and some in flight, a restart on a NEW data directory with the
 * same database: every accepted (202) invocation completes, counted by id at a sink outside
 * the platform, and what the kill interrupted runs again under the same id with a higher
 * attempt. The state that makes this work is all in PostgreSQL (queue rows and their
 * leases); postgres-workflow-crash.test.ts does the same for a workflow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropSchema, freshSchema, pgSkipReason } from '../../src/store/postgres/test-database.ts';
import { eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { SINK_ALLOWED, startSink } from '../helpers/sink.ts';

const TOTAL = 300;
const CLIENTS = 16;

const WORKER = `
async function tell(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error('sink said ' + res.status);
}
export async function handler(event, context) {
  const me = { seq: event.seq, id: context.invocationId, attempt: context.attempt };
  await tell(context.env.SINK, { ...me, phase: 'start' });
  await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 30)));
  await tell(context.env.SINK, { ...me, phase: 'done' });
  return { seq: event.seq };
}
`;

const skip = await pgSkipReason();

test('PostgreSQL: kill -9 during async invocations loses none; all complete after a restart elsewhere', { skip: skip ?? false, timeout: 150_000 }, async () => {
  const { schema, url } = freshSchema();
  const seen = new Map<string, { seq: number; started: number[]; done: number[] }>();
  const sink = await startSink((report) => {
    const { seq, id, attempt, phase } = report as { seq: number; id: string; attempt: number; phase: 'start' | 'done' };
    const s = seen.get(id) ?? { seq, started: [], done: [] };
    (phase === 'start' ? s.started : s.done).push(attempt);
    seen.set(id, s);
  });
  const args = [...SINK_ALLOWED, '--store', url];
  const platforms: RunningPlatform[] = [];
  try {
    let platform = await startPlatform({ args });
    platforms.push(platform);
    await platform.deploy('work', WORKER, { env: { SINK: sink.url }, maxInstances: 1, concurrency: 4, timeoutMs: 10_000 });

    const accepted = new Map<number, string>();
    let next = 0;
    let killed = false;
    const submit = async (p: RunningPlatform, seq: number): Promise<boolean> => {
      try {
        const res = await p.api('/api/v1/functions/work/invoke', {
          method: 'POST',
          headers: { prefer: 'respond-async', 'idempotency-key': `seq-${seq}` },
          body: JSON.stringify({ seq }),
        });
        if (res.status !== 202) return false;
        accepted.set(seq, ((await res.json()) as { invocationId: string }).invocationId);
        return true;
      } catch {
        return false; // the platform died under us: not accepted
      }
    };
    const killer = (async () => {
      await eventually(async () => accepted.size >= 180 && [...seen.values()].some((s) => s.done.length === 0), 60_000, 5);
      killed = true;
      await platform.kill();
    })();
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        while (!killed && next < TOTAL) if (!(await submit(platform, next++))) return;
      }),
    );
    await killer;
    const inFlightAtKill = [...seen.entries()].filter(([, s]) => s.done.length === 0).map(([id]) => id);
    const completedAtKill = seen.size - inFlightAtKill.length;
    assert.ok(accepted.size - completedAtKill > 0, 'the kill should catch a backlog');
    assert.ok(inFlightAtKill.length > 0, 'the kill should catch invocations in flight');

    // Another data directory, the same database; the rest is submitted there (idempotency keys make resubmits safe).
    platform = await startPlatform({ args });
    platforms.push(platform);
    const missing = Array.from({ length: TOTAL }, (_, i) => i).filter((seq) => !accepted.has(seq));
    await Promise.all(
      Array.from({ length: CLIENTS }, async () => {
        for (let seq = missing.shift(); seq !== undefined; seq = missing.shift()) assert.ok(await submit(platform, seq), `resubmit ${seq}`);
      }),
    );
    assert.equal(accepted.size, TOTAL);

    const ids = new Set(accepted.values());
    const completed = (id: string) => (seen.get(id)?.done.length ?? 0) > 0;
    await eventually(async () => [...ids].every(completed), 90_000, 200).catch(() => {
      const lost = [...ids].filter((id) => !completed(id));
      assert.fail(`${lost.length} accepted invocations never completed, e.g. ${lost.slice(0, 3).join(', ')}`);
    });
    for (const [seq, id] of accepted) assert.equal(seen.get(id)!.seq, seq);
    for (const id of inFlightAtKill) {
      const s = seen.get(id)!;
      assert.ok(s.done.some((a) => a >= 2), `interrupted ${id} finished with attempt ≥ 2 (started ${s.started}, done ${s.done})`);
    }
    const status = await eventually(async () => {
      const body = (await (await platform.api('/api/v1/async?function=work&limit=1')).json()) as { counts: Record<string, number> };
      return body.counts.queued + body.counts.running === 0 ? body.counts : null;
    }, 30_000);
    assert.deepEqual([status.dead, status.succeeded], [0, TOTAL]);
  } finally {
    for (const p of platforms) p.cleanup();
    sink.close();
    await dropSchema(schema);
  }
});
