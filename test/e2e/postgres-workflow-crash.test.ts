/**
 * Crash safety of workflows on PostgreSQL: an execution standing in a Wait when the platform
 * is killed with kill -9 finishes, with the right output, on a platform started afterwards
 * on another data directory with the same database (its journal and timer are there).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropSchema, freshSchema, pgSkipReason } from '../../src/store/postgres/test-database.ts';
import { eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const skip = await pgSkipReason();

const TAG = `export async function handler(event) { return { tagged: event.tag + '!' }; }`;
const WAIT_THEN_TAG = { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 4, Next: 'T' }, T: { Type: 'Task', Resource: 'fn:tag', End: true } } };

test('PostgreSQL: a workflow waiting when the platform is killed finishes after a restart elsewhere', { skip: skip ?? false, timeout: 90_000 }, async () => {
  const { schema, url } = freshSchema();
  const platforms: RunningPlatform[] = [];
  try {
    const first = await startPlatform({ args: ['--store', url, '--lease-time', '3s'] });
    platforms.push(first);
    await first.deploy('tag', TAG);
    assert.ok((await first.api('/api/v1/workflows/waiter', { method: 'PUT', body: JSON.stringify({ definition: WAIT_THEN_TAG }) })).ok);
    const started = await first.api('/api/v1/workflows/waiter/executions', { method: 'POST', body: JSON.stringify({ input: { tag: 'pg' } }) });
    const { executionId } = (await started.json()) as { executionId: string };
    const status = async (p: RunningPlatform) => ((await (await p.api(`/api/v1/executions/${executionId}`)).json()) as { status: string; output: unknown });
    assert.equal((await status(first)).status, 'RUNNING');
    await first.kill();

    const second = await startPlatform({ args: ['--store', url, '--lease-time', '3s'] });
    platforms.push(second);
    const done = await eventually(async () => {
      const e = await status(second);
      return e.status !== 'RUNNING' ? e : null;
    }, 30_000, 100);
    assert.deepEqual([done.status, done.output], ['SUCCEEDED', { tagged: 'pg!' }]);
  } finally {
    for (const p of platforms) p.cleanup();
    await dropSchema(schema);
  }
});
