import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from '../../dispatch/async/testing.ts';
import { fromJson } from './cloudevents.ts';

const event = (id: string, type: string, subject?: string) =>
  fromJson({ specversion: '1.0', id, source: '/shop', type, ...(subject ? { subject } : {}), data: { id } });

describe('event bus', () => {
  it('delivers to each subscription whose filter matches, once per (subscription, source, id)', async () => {
    const h = await harness([{ name: 'a' }, { name: 'b' }]);
    await h.system.triggers.create('a', { topic: 'orders', filter: { type: 'order.created' } });
    await h.system.triggers.create('b', { topic: 'orders', filter: { subject: { prefix: 'eu-' } } });
    const r1 = await h.system.bus.publish('orders', [event('1', 'order.created', 'eu-1'), event('2', 'order.paid', 'us-2'), event('3', 'order.paid', 'eu-3')]);
    assert.equal(r1.deliveries, 3);
    const again = await h.system.bus.publish('orders', [event('1', 'order.created', 'eu-1')]);
    assert.equal(again.deliveries, 0, 'the same CloudEvent is delivered once');
    await h.step(300);
    const got = h.calls.map((c) => `${c.req.functionName}:${(c.req.input as { event: { id: string } }).event.id}`).sort();
    assert.deepEqual(got, ['a:1', 'b:1', 'b:3']);
    assert.ok(h.calls.every((c) => c.req.trigger === 'event'));
    await h.close();
  });

  it('a topic that does not exist is refused; a subscription creates its topic; a missing function cannot subscribe', async () => {
    const h = await harness();
    await assert.rejects(h.system.bus.publish('nope', [event('1', 't')]), { code: 'NIMBUS_ERR_TOPIC_NOT_FOUND' });
    await assert.rejects(h.system.triggers.create('ghost', { topic: 'x' }), { code: 'NIMBUS_ERR_FUNCTION_NOT_FOUND' });
    await assert.rejects(h.system.triggers.create('fn', { topic: 'x', filter: { kind: 'y' } }), (e: any) => e.extra.field === 'filter.kind');
    await h.system.triggers.create('fn', { topic: 'x' });
    assert.ok(await h.store.topics.get('x'));
    await h.close();
  });
});
