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
import { asyncSubmitter, completeAfterRestart, noteReports, REPORTING_WORKER, type Seen } from '../helpers/async-crash.ts';
import { eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { SINK_ALLOWED, startSink } from '../helpers/sink.ts';

const TOTAL = 300;
const CLIENTS = 16;


const skip = await pgSkipReason();

test('PostgreSQL: kill -9 during async invocations loses none; all complete after a restart elsewhere', { skip: skip ?? false, timeout: 150_000 }, async () => {
  const { schema, url } = freshSchema();
  const seen = new Map<string, Seen>();
  let onStart: (() => void) | null = null;
  const sink = await startSink(noteReports(seen, () => onStart?.()));
  // the node killed is silent for its lease time before its items run elsewhere: a short one keeps the test quick
  const args = [...SINK_ALLOWED, '--store', url, '--lease-time', '3s'];
  const platforms: RunningPlatform[] = [];
  try {
    let platform = await startPlatform({ args });
    platforms.push(platform);
    await platform.deploy('work', REPORTING_WORKER, { env: { SINK: sink.url }, maxInstances: 1, concurrency: 4, timeoutMs: 10_000 });

    const accepted = new Map<number, string>();
    let next = 0;
    let killed = false;
    const submit = asyncSubmitter(accepted);
    // Killed as an invocation starts once 180 are accepted: the worker sleeps 20–50 ms before
    // it reports done, so SIGKILL sent right then always finds it in flight.
    const killer = (async () => {
      await new Promise<void>((resolve) => {
        onStart = () => {
          if (accepted.size < 180) return;
          onStart = null;
          killed = true;
          platform.proc.kill('SIGKILL');
          resolve();
        };
      });
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
    const status = await completeAfterRestart(platform, { total: TOTAL, clients: CLIENTS, accepted, seen, inFlightAtKill, submit });
    assert.deepEqual([status.dead, status.succeeded], [0, TOTAL]);
  } finally {
    for (const p of platforms) p.cleanup();
    sink.close();
    await dropSchema(schema);
  }
});
