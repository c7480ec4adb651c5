import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from '../../dispatch/async/testing.ts';

describe('event bus', () => {
  it('a subscription creates its topic; a missing function cannot subscribe (publishing: streamed.test.ts, on both paths)', async () => {
    const h = await harness();
    await assert.rejects(h.system.triggers.create('ghost', { topic: 'x' }), { code: 'NIMBUS_ERR_FUNCTION_NOT_FOUND' });
    await assert.rejects(h.system.triggers.create('fn', { topic: 'x', filter: { kind: 'y' } }), (e: any) => e.extra.field === 'filter.kind');
    await h.system.triggers.create('fn', { topic: 'x' });
    assert.ok(await h.store.topics.get('x'));
    await h.close();
  });
});
