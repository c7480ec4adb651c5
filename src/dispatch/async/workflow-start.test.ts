/**
 * Triggers that target a workflow: validation, timers and events become `start-workflow`
 * queue items, and the consumer starts exactly one execution per tick / event even when
 * an item is delivered again. Real engine and in-memory store, fake clock.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { fromJson as parseEvent } from '../../triggers/events/cloudevents.ts';
import { WorkflowEngine } from '../../workflow/engine/engine.ts';
import { workflowExecutionName, type WorkflowStartRequest } from './consumer.ts';
import { harness } from './testing.ts';

const T0 = 1_700_000_000_000;
const ECHO = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };

async function setup(options: { failFirstCompletion?: boolean } = {}) {
  const clock = new FakeClock(T0);
  const store = openSqliteStore(':memory:');
  const engine = new WorkflowEngine({ clock, repo: store.workflows, invoke: async () => assert.fail('no tasks here'), onError: (e) => assert.fail(String(e)) });
  await engine.deploy('echo', ECHO);
  const starts: WorkflowStartRequest[] = [];
  let lose = options.failFirstCompletion ?? false;
  const h = await harness([{ name: 'fn' }], {
    clock,
    store,
    startWorkflow: async (r) => {
      starts.push(r);
      const { execution, created } = await engine.start(r.workflow, r.input, { name: r.name, source: r.source });
      if (lose) {
        // The execution was recorded, but the item's completion is lost (a crash here).
        lose = false;
        throw new NimbusError('NIMBUS_ERR_INTERNAL', 'lost after the start');
      }
      return { executionId: execution.id, created };
    },
  });
  return { h, engine, starts, store };
}

describe('triggers that start workflows', () => {
  it('refuses a trigger for a missing workflow (404 WORKFLOW_NOT_FOUND naming the field), and one with two targets', async () => {
    const { h } = await setup();
    await assert.rejects(h.system.triggers.create({ workflow: 'nope' }, { topic: 'orders' }), (e: NimbusError) => {
      assert.deepEqual([e.code, e.status, e.extra.field], ['NIMBUS_ERR_WORKFLOW_NOT_FOUND', 404, 'workflow']);
      return true;
    });
    await assert.rejects(h.system.triggers.create({ workflow: 'nope' }, { schedule: 'rate(1 minute)' }), /workflow "nope" does not exist/);
    const { targetOf } = await import('../../triggers/definition.ts');
    assert.throws(() => targetOf({ function: 'fn', workflow: 'echo' }), /not both/);
    assert.throws(() => targetOf({ workflow: '' }), (e: NimbusError) => e.extra.field === 'workflow');
    assert.deepEqual(targetOf({ workflow: 'echo' }), { workflow: 'echo' });
    assert.deepEqual(targetOf({ function: 'fn' }), { function: 'fn' });
    // A function's deploy declaration cannot point elsewhere.
    assert.throws(() => h.system.triggers.validateDeclared([{ topic: 'x', workflow: 'echo' }]), /triggers\[0\]\.workflow/);
    assert.deepEqual(await h.store.triggers.list(), []);
    await h.close();
  });

  it('a timer starts one execution per tick with the tick event as input, named after the tick', async () => {
    const { h, engine, starts } = await setup();
    const t = await h.system.triggers.create({ workflow: 'echo' }, { schedule: '*/10 * * * * *', input: { hello: 1 } });
    assert.deepEqual([t.workflow, t.functionName], ['echo', '']);
    await h.step(25_000, 500);
    const execs = await engine.list({ machine: 'echo', limit: 10 });
    assert.equal(execs.length, 2);
    assert.equal(starts.length, 2);
    for (const e of execs) {
      assert.equal(e.status, 'SUCCEEDED');
      assert.match(e.name, new RegExp(`^timer-${t.id}-\\d+$`));
      assert.equal(e.source, `timer:${t.id}`);
      const input = JSON.parse(e.input) as { type: string; subject: string; data: { input: unknown; scheduledTime: string } };
      assert.deepEqual([input.type, input.subject, input.data.input], ['dev.nimbus.timer.tick', 'echo', { hello: 1 }]);
      assert.equal(e.name, `timer-${t.id}-${Date.parse(input.data.scheduledTime)}`);
      assert.deepEqual(JSON.parse(e.output!), input);
    }
    const items = await h.store.queue.list({ limit: 10 });
    assert.ok(items.every((i) => i.kind === 'start-workflow' && i.target === 'workflow:echo' && i.state === 'succeeded' && i.trigger === 'cron'));
    await h.close();
  });

  it('a published CloudEvent starts the subscribed workflow once, with the event (JSON format) as input', async () => {
    const { h, engine } = await setup();
    await h.system.triggers.create({ workflow: 'echo' }, { topic: 'orders', filter: { type: 'paid' } });
    const ev = parseEvent({ specversion: '1.0', id: 'e1', source: '/shop', type: 'paid', data: { total: 9.5 } });
    const first = await h.system.bus.publish('orders', [ev]);
    const again = await h.system.bus.publish('orders', [ev]);
    await h.system.bus.publish('orders', [parseEvent({ specversion: '1.0', id: 'e2', source: '/shop', type: 'refunded' })]);
    assert.deepEqual([first.deliveries, again.deliveries], [1, 0]);
    await h.step(500);
    const [e, ...rest] = await engine.list({ machine: 'echo', limit: 10 });
    assert.equal(rest.length, 0);
    assert.equal(e.status, 'SUCCEEDED');
    assert.match(e.name, /^event-[0-9a-f]{48}$/);
    assert.deepEqual(JSON.parse(e.output!), { specversion: '1.0', id: 'e1', source: '/shop', type: 'paid', data: { total: 9.5 } });
    await h.close();
  });

  it('an item delivered again after its start was recorded starts nothing new', async () => {
    const { h, engine, starts } = await setup({ failFirstCompletion: true });
    await h.system.triggers.create({ workflow: 'echo' }, { topic: 'orders' });
    await h.system.bus.publish('orders', [parseEvent({ specversion: '1.0', id: 'e1', source: '/shop', type: 'paid' })]);
    await h.step(3_000, 100);
    assert.equal(starts.length, 2);
    assert.equal(starts[0].name, starts[1].name);
    assert.equal((await engine.list({ machine: 'echo', limit: 10 })).length, 1);
    const [item] = await h.store.queue.list({ limit: 1 });
    assert.deepEqual([item.state, item.attempts], ['succeeded', 2]);
    await h.close();
  });

  it('a workflow that is gone when the item runs dead-letters it at once (non-retryable)', async () => {
    const { h, store } = await setup();
    await store.queue.enqueue(
      [{ id: 'x1', kind: 'start-workflow', target: 'workflow:gone', trigger: 'event', source: 'event:orders:s1', payload: '{}', idempotencyKey: 'ce:s1:/a\nb' }],
      T0,
      60_000,
    );
    h.system.consumer.wake();
    await h.step(500);
    const item = await store.queue.get('x1');
    assert.deepEqual([item?.state, item?.deadReason, item?.lastError?.code], ['dead', 'non-retryable', 'NIMBUS_ERR_WORKFLOW_NOT_FOUND']);
    await h.close();
  });

  it('execution names: readable for ticks, a hash for anything else, valid execution names always', () => {
    assert.equal(workflowExecutionName({ id: 'i', trigger: 'cron', idempotencyKey: 'timer:01habc:1700000000000' }), 'timer-01habc-1700000000000');
    const a = workflowExecutionName({ id: 'i', trigger: 'event', idempotencyKey: 'ce:s1:/shop\ne1' });
    const b = workflowExecutionName({ id: 'j', trigger: 'event', idempotencyKey: 'ce:s1:/shop\ne2' });
    assert.notEqual(a, b);
    assert.equal(workflowExecutionName({ id: 'k', trigger: 'event', idempotencyKey: 'ce:s1:/shop\ne1' }), a);
    assert.match(workflowExecutionName({ id: 'k', trigger: 'async', idempotencyKey: null }), /^async-[0-9a-f]{48}$/);
    for (const n of [a, b]) assert.match(n, /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/);
  });
});
