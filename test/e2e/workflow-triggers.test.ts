/**
 * Triggers that start workflows, end to end through the real server: a timer with seconds
 * (added with the CLI) starts executions that succeed; a CloudEvent published to a topic
 * starts the subscribed workflow with the event as input; a trigger for a missing
 * workflow is refused like one for a missing function.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cli, eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const ECHO = `export async function handler(e) { return { got: e }; }`;

interface Execution {
  executionId: string;
  name: string;
  status: string;
  input: Record<string, unknown>;
  output: Record<string, unknown> | null;
  source: string;
}

describe('triggers that start workflows', () => {
  let p: RunningPlatform;
  before(async () => {
    p = await startPlatform();
    await p.deploy('echo', ECHO);
    for (const [name, definition] of [
      ['ticker', { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: 'fn:echo', End: true } } }],
      ['on-order', { StartAt: 'Pick', States: { Pick: { Type: 'Pass', Parameters: { 'type.$': '$.type', 'order.$': '$.data' }, End: true } } }],
    ] as const) {
      const res = await p.api(`/api/v1/workflows/${name}`, { method: 'PUT', body: JSON.stringify({ definition }) });
      assert.equal(res.status, 201, await res.text());
    }
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  const executions = async (workflow: string) =>
    ((await (await p.api(`/api/v1/executions?workflow=${workflow}&limit=100`)).json()) as { items: Execution[] }).items;

  it('a timer with seconds starts executions of the workflow that succeed, with the tick event as input', async () => {
    const added = await cli(p, ['triggers', 'add', '--workflow', 'ticker', '--schedule', '*/2 * * * * *', '--input', '{"k":1}', '--json']);
    assert.equal(added.code, 0, added.stderr);
    const trigger = JSON.parse(added.stdout) as { id: string; workflow: string; target: unknown; function?: string };
    assert.deepEqual([trigger.workflow, trigger.target, trigger.function], ['ticker', { workflow: 'ticker' }, undefined]);
    const ls = await cli(p, ['triggers', 'ls', '--workflow', 'ticker']);
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, new RegExp(`${trigger.id}\\s+workflow:ticker\\s+timer`));

    const done = await eventually(async () => (await executions('ticker')).find((e) => e.status === 'SUCCEEDED'), 15_000, 200);
    assert.equal(done.source, `timer:${trigger.id}`);
    assert.match(done.name, new RegExp(`^timer-${trigger.id}-\\d+$`));
    assert.equal(done.input.type, 'dev.nimbus.timer.tick');
    assert.deepEqual((done.input.data as { input: unknown }).input, { k: 1 });
    // The Task got the tick event, as a function on a timer would.
    assert.deepEqual(done.output, { got: done.input });
    assert.equal((await cli(p, ['triggers', 'rm', trigger.id])).code, 0);
    // One execution per tick: names (tick times) never repeat.
    const names = (await executions('ticker')).map((e) => e.name);
    assert.equal(new Set(names).size, names.length);
  });

  it('a CloudEvent published to a topic starts the subscribed workflow once, its output holding the event data', async () => {
    const res = await p.api('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ workflow: 'on-order', topic: 'orders', filter: { type: 'com.shop.order.paid' } }) });
    assert.equal(res.status, 201, await res.clone().text());
    const sub = (await res.json()) as { id: string; workflow: string; topic: string };
    assert.deepEqual([sub.workflow, sub.topic], ['on-order', 'orders']);
    const event = { specversion: '1.0', id: 'o-42', source: '/shop', type: 'com.shop.order.paid', data: { total: 9.5, items: ['cat'] } };
    for (let i = 0; i < 2; i++) {
      const pub = await p.api('/api/v1/events/orders', { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(event) });
      assert.equal(pub.status, 202);
      assert.equal(((await pub.json()) as { deliveries: number }).deliveries, i === 0 ? 1 : 0);
    }
    const done = await eventually(async () => (await executions('on-order')).find((e) => e.status === 'SUCCEEDED'), 10_000, 100);
    assert.deepEqual(done.output, { type: 'com.shop.order.paid', order: { total: 9.5, items: ['cat'] } });
    assert.equal(done.input.id, 'o-42');
    assert.equal(done.source, `event:orders:${sub.id}`);
    assert.equal((await executions('on-order')).length, 1);
    // It went through the durable queue as a start-workflow item, shown with its workflow.
    const items = ((await (await p.api('/api/v1/async?limit=100')).json()) as { items: Array<{ kind: string; workflow?: string; state: string; source: string }> }).items;
    const item = items.find((i) => i.kind === 'start-workflow' && i.workflow === 'on-order');
    assert.deepEqual([item?.state, item?.source], ['succeeded', `event:orders:${sub.id}`]);
  });

  it('a trigger or subscription for a missing workflow is refused (404 NIMBUS_ERR_WORKFLOW_NOT_FOUND), over the API and the CLI', async () => {
    const res = await p.api('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ workflow: 'nope', topic: 'orders' }) });
    assert.equal(res.status, 404);
    const problem = (await res.json()) as { code: string; field: string; detail: string };
    assert.deepEqual([problem.code, problem.field], ['NIMBUS_ERR_WORKFLOW_NOT_FOUND', 'workflow']);
    assert.match(problem.detail, /workflow "nope" does not exist/);
    const both = await p.api('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ workflow: 'ticker', function: 'echo', topic: 'orders' }) });
    assert.equal(both.status, 400);
    const viaCli = await cli(p, ['triggers', 'add', '--workflow', 'nope', '--schedule', '@daily']);
    assert.notEqual(viaCli.code, 0);
    assert.match(viaCli.stderr + viaCli.stdout, /WORKFLOW_NOT_FOUND|does not exist/);
    const left = ((await (await p.api('/api/v1/triggers')).json()) as { items: Array<{ workflow?: string }> }).items;
    assert.ok(left.every((t) => t.workflow !== 'nope'));
  });

  it('`nimbus wf rm` deletes a workflow with its executions and triggers, but not while one runs', async () => {
    const waiting = { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 60, End: true } } };
    assert.equal((await p.api('/api/v1/workflows/doomed', { method: 'PUT', body: JSON.stringify({ definition: waiting }) })).status, 201);
    const sub = await p.api('/api/v1/triggers', { method: 'POST', body: JSON.stringify({ workflow: 'doomed', topic: 'orders' }) });
    assert.equal(sub.status, 201);
    const started = (await (await p.api('/api/v1/workflows/doomed/executions', { method: 'POST', body: '{}' })).json()) as { executionId: string };

    const refused = await cli(p, ['wf', 'rm', 'doomed']);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /running executions; stop them first/);
    assert.equal((await p.api('/api/v1/workflows/doomed')).status, 200, 'a refused delete changes nothing');

    await p.api(`/api/v1/executions/${started.executionId}/stop`, { method: 'POST', body: '{}' });
    const removed = await cli(p, ['wf', 'rm', 'doomed', '--json']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.deepEqual(JSON.parse(removed.stdout), { deleted: 'doomed' });
    assert.equal((await p.api('/api/v1/workflows/doomed')).status, 404);
    assert.equal((await p.api(`/api/v1/executions/${started.executionId}`)).status, 404);
    const triggers = ((await (await p.api('/api/v1/triggers?workflow=doomed')).json()) as { items: unknown[] }).items;
    assert.deepEqual(triggers, []);
    assert.equal((await p.api('/api/v1/workflows/doomed', { method: 'DELETE' })).status, 404);

    // deployed again under the same name, it is a new workflow from version 1
    const pass = { StartAt: 'P', States: { P: { Type: 'Pass', Result: 'fresh', End: true } } };
    const again = (await (await p.api('/api/v1/workflows/doomed', { method: 'PUT', body: JSON.stringify({ definition: pass }) })).json()) as { version: number };
    assert.equal(again.version, 1);
    const run = (await (await p.api('/api/v1/workflows/doomed/run', { method: 'POST', body: '{}' })).json()) as { output: unknown };
    assert.equal(run.output, 'fresh');
  });
});
