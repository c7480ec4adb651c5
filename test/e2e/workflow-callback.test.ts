/**
 * Callback tasks end to end (real server): `arn:aws:states:::lambda:invoke.waitForTaskToken`
 * with `$$.Task.Token` in the payload; the function completes its own task over HTTP with no
 * platform token; the CLI fails one (Catch takes it); a stop/start between the task start and
 * its completion still completes it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cli, eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

// Calls back from inside: the task token is the credential, the URL comes from NIMBUS_EVENTS_URL.
const WORKER = `
export async function handler(event, context) {
  if (event.mode === 'callback') {
    const url = new URL('/api/v1/tasks/' + encodeURIComponent(event.token) + '/success', context.env.NIMBUS_EVENTS_URL);
    await fetch(new URL('/api/v1/tasks/' + encodeURIComponent(event.token) + '/heartbeat', context.env.NIMBUS_EVENTS_URL), { method: 'POST' });
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ output: { approved: event.order, by: 'worker' } }) });
    if (res.status !== 200) throw new Error('callback failed: ' + res.status + ' ' + (await res.text()));
  }
  return 'not the result';
}`;

const definition = {
  StartAt: 'Approve',
  States: {
    Approve: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'worker', Payload: { 'token.$': '$$.Task.Token', 'mode.$': '$.mode', 'order.$': '$.order' } },
      HeartbeatSeconds: 120,
      TimeoutSeconds: 300,
      Catch: [{ ErrorEquals: ['Rejected'], ResultPath: '$.rejection', Next: 'Rejected' }],
      End: true,
    },
    Rejected: { Type: 'Pass', End: true },
  },
};

interface Execution {
  executionId: string;
  status: string;
  output: unknown;
  waitingFor?: Array<{ kind: string; callback?: boolean; taskToken?: string | null }>;
}

async function tokenOf(p: RunningPlatform, id: string): Promise<string> {
  return eventually(async () => {
    const e = (await (await p.api(`/api/v1/executions/${id}`)).json()) as Execution;
    return e.waitingFor?.find((w) => w.callback)?.taskToken ?? null;
  });
}

async function ended(p: RunningPlatform, id: string): Promise<Execution> {
  return eventually(async () => {
    const e = (await (await p.api(`/api/v1/executions/${id}`)).json()) as Execution;
    return e.status === 'RUNNING' ? null : e;
  }, 15_000);
}

async function start(p: RunningPlatform, input: unknown): Promise<string> {
  const res = await p.api('/api/v1/workflows/approve/executions', { method: 'POST', body: JSON.stringify({ input }) });
  assert.equal(res.status, 201);
  return ((await res.json()) as Execution).executionId;
}

describe('callback tasks (.waitForTaskToken)', () => {
  let p: RunningPlatform;
  let first: RunningPlatform | null = null;
  before(async () => {
    p = await startPlatform();
    await p.deploy('worker', WORKER);
    const res = await p.api('/api/v1/workflows/approve', { method: 'PUT', body: JSON.stringify({ definition }) });
    assert.equal(res.status, 201);
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    first?.cleanup(); // removes the data dir the restarted platform used
  });

  it('the function calls back with its token (no platform token): the execution succeeds with that output', async () => {
    const run = await p.api('/api/v1/workflows/approve/run', { method: 'POST', body: JSON.stringify({ input: { mode: 'callback', order: 42 }, timeoutSeconds: 20 }) });
    const body = (await run.json()) as { status: string; output: unknown };
    assert.equal(run.status, 200, JSON.stringify(body));
    assert.deepEqual(body.output, { approved: 42, by: 'worker' });
  });

  it('the CLI fails a waiting task and Catch takes it; a second completion and unknown tokens are refused', async () => {
    const id = await start(p, { mode: 'manual', order: 7 });
    const token = await tokenOf(p, id);
    const describe = await cli(p, ['wf', 'describe', id]);
    assert.match(describe.stdout, new RegExp(`task token ${token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const failed = await cli(p, ['wf', 'task-failure', token, '--error', 'Rejected', '--cause', 'out of stock']);
    assert.equal(failed.code, 0, failed.stderr);
    assert.match(failed.stdout, new RegExp(`task failed \\(execution ${id}\\)`));
    const e = await ended(p, id);
    assert.equal(e.status, 'SUCCEEDED');
    assert.deepEqual((e.output as { rejection: unknown }).rejection, { Error: 'Rejected', Cause: 'out of stock' });

    const again = await cli(p, ['wf', 'task-success', token, '--output', '{"late":true}']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /NIMBUS_ERR_TASK_ALREADY_COMPLETED|already has its result/);
    const unknown = await fetch(`${p.url}/api/v1/tasks/${encodeURIComponent(token.split('.')[0])}/success`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { code: string }).code, 'NIMBUS_ERR_TASK_TOKEN_NOT_FOUND');
    // The routes are public only for completing tasks: the rest of the API still wants the bearer token.
    assert.equal((await fetch(`${p.url}/api/v1/executions/${id}`)).status, 401);
  });

  it('a restart between the task start and its completion still completes it', async () => {
    const id = await start(p, { mode: 'manual', order: 9 });
    const token = await tokenOf(p, id);
    await eventually(async () => {
      const r = (await (await p.api('/api/v1/invocations?function=worker&limit=50')).json()) as { items: Array<{ triggerSource: string }> };
      return r.items.some((i) => i.triggerSource === id) ? true : null;
    });
    const dataDir = p.dataDir;
    assert.equal(await p.stop(), 0);
    first = p;
    p = await startPlatform({ dataDir });
    {
      const res = await fetch(`${p.url}/api/v1/tasks/${encodeURIComponent(token)}/success`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ output: { after: 'restart' } }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      const e = await ended(p, id);
      assert.deepEqual([e.status, e.output], ['SUCCEEDED', { after: 'restart' }]);
      const r = (await (await p.api('/api/v1/invocations?function=worker&limit=50')).json()) as { items: Array<{ triggerSource: string }> };
      assert.equal(r.items.filter((i) => i.triggerSource === id).length, 1, 'the function had returned: not invoked again after the restart');
    }
  });
});
