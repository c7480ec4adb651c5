/** Workflows end to end through the real server: API and CLI (deploy, start, run, ls, describe, history, stop, redrive). */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const DOUBLE = `export async function handler(e) { if (e.fail) { const err = new Error('asked to fail'); err.name = 'AskedToFail'; throw err; } return { n: e.n * 2 }; }`;

const YAML = `
Comment: double twice
StartAt: One
States:
  One:
    Type: Task
    Resource: fn:double
    Next: Two
  Two:
    Type: Task
    Resource: arn:aws:states:::lambda:invoke
    Parameters:
      FunctionName: double
      Payload.$: $
    OutputPath: $.Payload
    End: true
`;

describe('workflows over the API and the CLI', () => {
  let p: RunningPlatform;
  let dir: string;
  before(async () => {
    p = await startPlatform();
    dir = mkdtempSync(join(tmpdir(), 'nimbus-wf-cli-'));
    await p.deploy('double', DOUBLE);
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  it('deploys from YAML with the CLI, runs synchronously, lists, describes, and shows ASL history', async () => {
    writeFileSync(join(dir, 'twice.yaml'), YAML);
    const dep = await cli(p, ['wf', 'deploy', 'twice', join(dir, 'twice.yaml')]);
    assert.equal(dep.code, 0, dep.stderr);
    assert.match(dep.stdout, /deployed twice version 1/);
    const again = await cli(p, ['wf', 'deploy', 'twice', join(dir, 'twice.yaml')]);
    assert.match(again.stdout, /unchanged \(version 1\)/);

    const run = await p.api('/api/v1/workflows/twice/run', { method: 'POST', body: JSON.stringify({ input: { n: 3 } }) });
    assert.equal(run.status, 200);
    const result = (await run.json()) as { executionId: string; output: unknown };
    assert.deepEqual(result.output, { n: 12 });

    const started = await cli(p, ['wf', 'start', 'twice', '--input', '{"n":5}', '--json']);
    assert.equal(started.code, 0, started.stderr);
    const id = (JSON.parse(started.stdout) as { executionId: string }).executionId;
    const done = await eventually(async () => {
      const d = await cli(p, ['wf', 'describe', id, '--json']);
      const e = JSON.parse(d.stdout) as { status: string; output: unknown; version: number };
      return e.status === 'SUCCEEDED' ? e : null;
    });
    assert.deepEqual([done.output, done.version], [{ n: 20 }, 1]);

    const ls = await cli(p, ['wf', 'ls']);
    assert.match(ls.stdout, /twice\s+1/);
    const execs = await cli(p, ['wf', 'ls', 'twice', '--status', 'succeeded', '--json']);
    assert.deepEqual(new Set((JSON.parse(execs.stdout) as Array<{ executionId: string }>).map((e) => e.executionId)), new Set([id, result.executionId]));

    const history = await cli(p, ['wf', 'history', id, '--json']);
    const types = (JSON.parse(history.stdout) as Array<{ type: string }>).map((e) => e.type);
    assert.deepEqual(types.filter((t) => t.startsWith('Task') || t.startsWith('Execution')), [
      'ExecutionStarted', 'TaskStateEntered', 'TaskScheduled', 'TaskSucceeded', 'TaskStateExited',
      'TaskStateEntered', 'TaskScheduled', 'TaskSucceeded', 'TaskStateExited', 'ExecutionSucceeded',
    ]);
    // Task invocations are recorded with trigger "workflow", sourced by the execution.
    const records = (await (await p.api('/api/v1/invocations?function=double&limit=50')).json()) as { items: Array<{ trigger: string; triggerSource: string }> };
    assert.equal(records.items.filter((r) => r.trigger === 'workflow' && r.triggerSource === id).length, 2);

    // --wait prints the execution id (what `wf history` needs next), then the output.
    const waited = await cli(p, ['wf', 'start', 'twice', '--input', '{"n":1}', '--wait']);
    assert.equal(waited.code, 0, waited.stderr);
    const [first, ...output] = waited.stdout.trimEnd().split('\n');
    const waitedId = /^(\S+)  SUCCEEDED$/.exec(first)?.[1];
    assert.ok(waitedId, `first line: ${first}`);
    assert.deepEqual(JSON.parse(output.join('\n')), { n: 4 });
    const waitedHistory = await cli(p, ['wf', 'history', waitedId]);
    assert.equal(waitedHistory.code, 0, waitedHistory.stderr);
    assert.match(waitedHistory.stdout, /ExecutionSucceeded/);
  });

  it('whole-number query parameters are digits only: history after, limit, a definition version; nothing else is read as a number', async () => {
    const steps = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'C' }, C: { Type: 'Pass', End: true } } };
    assert.ok((await p.api('/api/v1/workflows/paged', { method: 'PUT', body: JSON.stringify({ definition: steps }) })).ok);
    const run = (await (await p.api('/api/v1/workflows/paged/run', { method: 'POST', body: '{}' })).json()) as { executionId: string };
    const history = async (query: string) => p.api(`/api/v1/executions/${run.executionId}/history${query}`);
    const all = ((await (await history('')).json()) as { events: Array<{ id: number }> }).events;
    assert.ok(all.length > 4, JSON.stringify(all));
    // Paging with `after` (the `next` of a page) still walks the whole history.
    const first = (await (await history('?limit=2')).json()) as { events: Array<{ id: number }>; next: number };
    const rest = (await (await history(`?after=${first.next}`)).json()) as { events: Array<{ id: number }> };
    assert.deepEqual([...first.events, ...rest.events].map((e) => e.id), all.map((e) => e.id));
    assert.deepEqual(((await (await history('?after=0002')).json()) as { events: Array<{ id: number }> }).events.map((e) => e.id), all.slice(2).map((e) => e.id));
    const refused = async (path: string, field: string) => {
      const res = await p.api(path);
      const problem = (await res.json()) as { code: string; field: string; detail: string };
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(problem)}`);
      assert.deepEqual([problem.code, problem.field], ['NIMBUS_ERR_VALIDATION', field], path);
      assert.match(problem.detail, /digits only/, path);
    };
    for (const after of ['0x10', '', '%20', '99999999999999999999', '-1', '1e1', '1.0']) await refused(`/api/v1/executions/${run.executionId}/history?after=${after}`, 'after');
    await refused(`/api/v1/executions/${run.executionId}/history?limit=0x10`, 'limit');
    await refused('/api/v1/executions?limit=1e2', 'limit');
    await refused('/api/v1/workflows/paged?version=0x1', 'version');
    await refused('/api/v1/invocations?since=0x10', 'since');
    await refused('/api/v1/invocations?limit=%2010', 'limit');
    await refused('/api/v1/triggers?next=0x3', 'next');
    await refused('/api/v1/logs?limit=1e2', 'limit');
  });

  it('executions page with `next` as the `before` cursor; a cursor that is not an id is a 400', async () => {
    const once = { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } };
    assert.ok((await p.api('/api/v1/workflows/pages', { method: 'PUT', body: JSON.stringify({ definition: once }) })).ok);
    for (let i = 0; i < 3; i++) assert.equal((await p.api('/api/v1/workflows/pages/run', { method: 'POST', body: '{}' })).status, 200);
    const list = async (query: string) => (await (await p.api(`/api/v1/executions?workflow=pages${query}`)).json()) as { items: Array<{ executionId: string }>; next: string | null };
    const whole = (await list('')).items.map((e) => e.executionId);
    assert.equal(whole.length, 3);
    const first = await list('&limit=2');
    assert.ok(first.next !== null);
    const rest = await list(`&limit=2&before=${first.next}`);
    assert.deepEqual([...first.items, ...rest.items].map((e) => e.executionId), whole);
    assert.equal(rest.next, null);
    const bad = await p.api('/api/v1/executions?workflow=pages&before=garbage');
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { field: string }).field, 'before');
  });

  it('rejects an invalid definition naming state and field; pins executions to their version', async () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Task', Resource: 'fn:double', Next: 'Missing' } } }));
    const bad = await cli(p, ['wf', 'deploy', 'bad', join(dir, 'bad.json')]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /state A, Next: .*Missing/);
    const res = await p.api('/api/v1/workflows/bad', { method: 'PUT', body: JSON.stringify({ definition: { StartAt: 'A', States: { A: { Type: 'Wait', End: true } } } }) });
    assert.equal(res.status, 400);
    const problem = (await res.json()) as { code: string; errors: Array<{ state: string; field: string }> };
    assert.equal(problem.code, 'NIMBUS_ERR_VALIDATION');
    assert.equal(problem.errors[0].state, 'A');

    const v1 = { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 1, Next: 'P' }, P: { Type: 'Pass', Result: 'v1', End: true } } };
    await p.api('/api/v1/workflows/pinned', { method: 'PUT', body: JSON.stringify({ definition: v1 }) });
    const e1 = (await (await p.api('/api/v1/workflows/pinned/executions', { method: 'POST', body: '{}' })).json()) as { executionId: string };
    const v2 = { StartAt: 'P', States: { P: { Type: 'Pass', Result: 'v2', End: true } } };
    const dep2 = (await (await p.api('/api/v1/workflows/pinned', { method: 'PUT', body: JSON.stringify({ definition: v2 }) })).json()) as { version: number };
    assert.equal(dep2.version, 2);
    const end = await eventually(async () => {
      const e = (await (await p.api(`/api/v1/executions/${e1.executionId}`)).json()) as { status: string; output: unknown; version: number };
      return e.status === 'SUCCEEDED' ? e : null;
    }, 10_000);
    assert.deepEqual([end.version, end.output], [1, 'v1'], 'the execution ran the version it started with');
  });

  it('a failed execution is redriven from the failed state; a running one is stopped', async () => {
    const runRes = await p.api('/api/v1/workflows/twice/run', { method: 'POST', body: JSON.stringify({ input: { n: 1, fail: true } }) });
    assert.equal(runRes.status, 500);
    const failed = (await runRes.json()) as { code: string; executionId: string; error: string; errorCause: string };
    assert.deepEqual([failed.code, failed.error, failed.errorCause], ['NIMBUS_ERR_EXECUTION_FAILED', 'AskedToFail', 'asked to fail']);
    const redrive = await cli(p, ['wf', 'redrive', failed.executionId]);
    assert.equal(redrive.code, 0, redrive.stderr);
    const after = (await (await p.api(`/api/v1/executions/${failed.executionId}`)).json()) as { status: string; redriveCount: number };
    assert.deepEqual([after.status, after.redriveCount], ['FAILED', 1], 'the same input fails again, but it was redriven');
    const hist = (await (await p.api(`/api/v1/executions/${failed.executionId}/history`)).json()) as { events: Array<{ type: string }> };
    assert.ok(hist.events.some((e) => e.type === 'ExecutionRedriven'));

    await p.api('/api/v1/workflows/sleepy', { method: 'PUT', body: JSON.stringify({ definition: { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 600, End: true } } } }) });
    const s = (await (await p.api('/api/v1/workflows/sleepy/executions', { method: 'POST', body: JSON.stringify({ name: 'nap' }) })).json()) as { executionId: string; waitingFor: Array<{ kind: string }> };
    assert.equal(s.waitingFor[0].kind, 'timer');
    const stop = await cli(p, ['wf', 'stop', s.executionId, '--error', 'Bored']);
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /ABORTED/);
    const again = await p.api('/api/v1/workflows/sleepy/executions', { method: 'POST', body: JSON.stringify({ name: 'nap' }) });
    assert.equal(again.status, 200, 'same name and input: the first execution');
    const missing = await cli(p, ['wf', 'describe', 'no-such-thing']);
    assert.equal(missing.code, 1);
  });
  it('a Task qualifier runs that version of the function, or what its alias points at; an unknown alias fails the task', async () => {
    await p.deploy('ver', `export async function handler() { return 'one' }`);
    await p.deploy('ver', `export async function handler() { return 'two' }`);
    const definition = {
      StartAt: 'Pinned',
      States: {
        Pinned: { Type: 'Task', Resource: 'fn:ver:1', ResultPath: '$.pinned', Next: 'Current' },
        Current: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:ver', ResultPath: '$.current', Next: 'Latest' },
        Latest: { Type: 'Task', Resource: 'fn:ver:$LATEST', ResultPath: '$.latest', End: true },
      },
    };
    await p.api('/api/v1/workflows/qualified', { method: 'PUT', body: JSON.stringify({ definition }) });
    const run = await p.api('/api/v1/workflows/qualified/run', { method: 'POST', body: JSON.stringify({ input: {} }) });
    assert.equal(run.status, 200);
    assert.deepEqual(((await run.json()) as { output: unknown }).output, { pinned: 'one', current: 'two', latest: 'two' });

    const alias = { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'fn:ver:prod', End: true } } };
    await p.api('/api/v1/workflows/aliased', { method: 'PUT', body: JSON.stringify({ definition: alias }) });
    const failed = await p.api('/api/v1/workflows/aliased/run', { method: 'POST', body: JSON.stringify({ input: {} }) });
    const body = JSON.stringify(await failed.json());
    assert.match(body, /Lambda.ResourceNotFoundException/);
    assert.match(body, /has no alias .{0,4}prod/);
    const set = await p.api('/api/v1/functions/ver/aliases/prod', { method: 'PUT', body: JSON.stringify({ routes: [{ version: 1, weight: 100 }] }) });
    assert.equal(set.status, 200);
    const ok = await p.api('/api/v1/workflows/aliased/run', { method: 'POST', body: JSON.stringify({ input: {} }) });
    assert.deepEqual(((await ok.json()) as { output: unknown }).output, 'one');
  });

  it("an execution joins the caller's trace; each task's invocation is a child of the execution's span", async () => {
    await p.api('/api/v1/workflows/traced', { method: 'PUT', body: JSON.stringify({ definition: { StartAt: 'D', States: { D: { Type: 'Task', Resource: 'fn:double', End: true } } } }) });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const callerSpan = '00f067aa0ba902b7';
    const run = await p.api('/api/v1/workflows/traced/run', {
      method: 'POST',
      headers: { traceparent: `00-${traceId}-${callerSpan}-01` },
      body: JSON.stringify({ input: { n: 1 } }),
    });
    assert.equal(run.status, 200);
    const { executionId } = (await run.json()) as { executionId: string };
    const execution = (await (await p.api(`/api/v1/executions/${executionId}`)).json()) as { traceId: string | null };
    assert.equal(execution.traceId, traceId);
    const record = await eventually(async () => {
      const r = (await (await p.api('/api/v1/invocations?function=double&limit=50')).json()) as {
        items: Array<{ triggerSource: string; traceId: string | null; parentSpanId: string | null }>;
      };
      return r.items.find((i) => i.triggerSource === executionId) ?? null;
    });
    assert.equal(record.traceId, traceId);
    assert.match(record.parentSpanId ?? '', /^[0-9a-f]{16}$/);
    assert.notEqual(record.parentSpanId, callerSpan, "the task's parent is the execution's own span, not the caller's");

    // without a traceparent the execution starts a trace of its own, shared by its tasks
    const plain = await p.api('/api/v1/workflows/traced/run', { method: 'POST', body: JSON.stringify({ input: { n: 2 } }) });
    const own = (await plain.json()) as { executionId: string };
    const ownTrace = ((await (await p.api(`/api/v1/executions/${own.executionId}`)).json()) as { traceId: string | null }).traceId;
    assert.match(ownTrace ?? '', /^[0-9a-f]{32}$/);
    assert.notEqual(ownTrace, traceId);
  });
});
