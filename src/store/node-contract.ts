/** The contract every NodeRepo (node-ports.ts) must pass; an implementation's test calls nodeContract('name', open). */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeInfo } from './node-ports.ts';
import type { Store } from './ports.ts';

const node = (id: string, lastSeen: number, extra: Partial<NodeInfo> = {}): NodeInfo => ({
  id,
  address: `http://10.0.0.1:${id.length}`,
  version: '1.0.0',
  startedAt: 100,
  lastSeen,
  load: 0,
  instances: 0,
  ...extra,
});

export function nodeContract(name: string, open: () => Promise<Store>): void {
  describe(`Node registry contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('a heartbeat writes the row; the next replaces it', async () => {
      assert.deepEqual(await store.nodes.list(), []);
      await store.nodes.heartbeat(node('b', 1_000));
      await store.nodes.heartbeat(node('a', 1_000, { load: 3, instances: 2 }));
      await store.nodes.heartbeat(node('a', 2_000, { load: 5, instances: 1, address: 'http://10.0.0.2:8080' }));
      assert.deepEqual(await store.nodes.list(), [node('a', 2_000, { load: 5, instances: 1, address: 'http://10.0.0.2:8080' }), node('b', 1_000)]);
    });

    it('remove deletes one row; prune deletes rows last seen before a time', async () => {
      await store.nodes.heartbeat(node('a', 1_000));
      await store.nodes.heartbeat(node('b', 2_000));
      await store.nodes.heartbeat(node('c', 3_000));
      assert.equal(await store.nodes.remove('c'), true);
      assert.equal(await store.nodes.remove('c'), false);
      assert.equal(await store.nodes.prune(2_000), 1);
      assert.deepEqual((await store.nodes.list()).map((n) => n.id), ['b']);
    });
  });
}
