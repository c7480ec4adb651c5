/**
 * The real platform on PostgreSQL (`nimbus up --store postgres://…`): deploy, invoke over
 * HTTP, an async invoke, a workflow, records; then a restart on a NEW data directory with
 * the same database (given through NIMBUS_STORE this time) finds all of it, which the
 * embedded SQLite store (a file in the data directory) could not. Runs in a schema of its
 * own, dropped at the end; skipped with one line where no PostgreSQL answers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { dropSchema, freshSchema, pgSkipReason, PG_TEST_URL } from '../../src/store/postgres/test-database.ts';
import { eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const HELLO = `
export default { async fetch(request) { return new Response('hello ' + new URL(request.url).searchParams.get('who')); } };
export async function handler(event) { return { greeting: 'hello ' + event.who }; }
`;

const FLOW = { StartAt: 'Greet', States: { Greet: { Type: 'Task', Resource: 'fn:hello', End: true } } };

const skip = await pgSkipReason();

test('a platform on PostgreSQL: deploy, invoke, async, workflow, records; all still there after a restart elsewhere', { skip: skip ?? false, timeout: 120_000 }, async () => {
  const { schema, url } = freshSchema();
  const running: RunningPlatform[] = [];
  try {
    const p = await startPlatform({ args: ['--store', url] });
    running.push(p);
    assert.equal(existsSync(join(p.dataDir, 'nimbus.db')), false, 'no SQLite file: the state is in PostgreSQL');

    await p.deploy('hello', HELLO);
    const res = await fetch(`${p.url}/fn/hello?who=http`);
    assert.equal(await res.text(), 'hello http');

    const submitted = await p.api('/api/v1/functions/hello/invoke', { method: 'POST', headers: { prefer: 'respond-async' }, body: '{"who":"async"}' });
    assert.equal(submitted.status, 202);
    const { invocationId: asyncId } = (await submitted.json()) as { invocationId: string };
    await eventually(async () => ((await (await p.api(`/api/v1/async/${asyncId}`)).json()) as { state: string }).state === 'succeeded', 20_000);

    assert.equal((await p.api('/api/v1/workflows/greet', { method: 'PUT', body: JSON.stringify({ definition: FLOW }) })).status < 300, true);
    const run = await p.api('/api/v1/workflows/greet/run', { method: 'POST', body: JSON.stringify({ input: { who: 'workflow' } }) });
    assert.equal(run.status, 200);
    const { executionId, output } = (await run.json()) as { executionId: string; output: unknown };
    assert.deepEqual(output, { greeting: 'hello workflow' });

    const triggers = async (q: RunningPlatform) => {
      const body = (await (await q.api('/api/v1/invocations?function=hello&limit=50')).json()) as { items: Array<{ trigger: string; status: string }> };
      return body.items.map((r) => `${r.trigger}:${r.status}`).sort();
    };
    const want = ['async:success', 'http:success', 'workflow:success'];
    await eventually(async () => JSON.stringify(await triggers(p)) === JSON.stringify(want), 10_000);

    // The records (segments, and rows for async attempts) are in the schema the URL names (the API answers from records not written yet too: wait for the write).
    const client = new pg.Client({ connectionString: PG_TEST_URL });
    await client.connect();
    try {
      const count = async () =>
        (
          await client.query(
            `SELECT (SELECT COUNT(*) FROM ${schema}.functions)::int AS f,
               (SELECT COUNT(*) FROM ${schema}.invocations)::int + (SELECT COALESCE(SUM(records), 0) FROM ${schema}.invocation_segments)::int AS i`,
          )
        ).rows[0] as { f: number; i: number };
      await eventually(async () => (await count()).i === 3, 10_000);
      assert.deepEqual(await count(), { f: 1, i: 3 });
    } finally {
      await client.end();
    }

    assert.equal(await p.stop(), 0);
    running.pop();
    p.cleanup();

    // Another data directory, the same database: everything is there.
    const q = await startPlatform({ env: { NIMBUS_STORE: url } });
    running.push(q);
    assert.equal(await (await fetch(`${q.url}/fn/hello?who=again`)).text(), 'hello again');
    const fn = (await (await q.api('/api/v1/functions/hello')).json()) as { currentVersion?: number; name?: string };
    assert.equal(fn.name, 'hello');
    assert.equal(((await (await q.api(`/api/v1/async/${asyncId}`)).json()) as { state: string }).state, 'succeeded');
    const execution = (await (await q.api(`/api/v1/executions/${executionId}`)).json()) as { status: string; output: unknown };
    assert.deepEqual([execution.status, execution.output], ['SUCCEEDED', { greeting: 'hello workflow' }]);
    await eventually(async () => JSON.stringify(await triggers(q)) === JSON.stringify([...want, 'http:success'].sort()), 10_000);
  } finally {
    for (const r of running) {
      await r.stop().catch(() => {});
      r.cleanup();
    }
    await dropSchema(schema);
  }
});

test('nimbus up with an unreachable PostgreSQL stops at once and says where it looked (without the password)', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-e2e-pg-'));
  try {
    await assert.rejects(startPlatform({ dataDir, args: ['--store', 'postgres://nimbus:hunter2@127.0.0.1:1/none'] }), (e: Error) => {
      assert.match(e.message, /exited with 2 before it was ready/);
      assert.match(e.message, /cannot reach the PostgreSQL store at postgres:\/\/nimbus:\*\*\*@127\.0\.0\.1:1\/none/);
      assert.doesNotMatch(e.message, /hunter2/);
      return true;
    });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
