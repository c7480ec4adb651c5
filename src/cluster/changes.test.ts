import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openLocalBus } from '../bus/local/local-bus.ts';
import { deployInput } from '../store/contract.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { announcingStore, ChangeFeed } from './changes.ts';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

test('a write through the announcing store reaches the other nodes’ handlers once per name and turn, never its own', async () => {
  const bus = openLocalBus();
  const raw = openSqliteStore(':memory:');
  const seen: Record<string, string[]> = { a: [], b: [] };
  const feeds = ['a', 'b'].map((node) => {
    const feed = new ChangeFeed(bus, 'nimbus.test', node, (e) => assert.fail(String(e)));
    feed.start({
      function: (name) => void seen[node].push(`function ${name}`),
      triggers: (name) => void seen[node].push(`triggers ${name}`),
      workflow: (name) => void seen[node].push(`workflow ${name}`),
    });
    return feed;
  });
  const store = announcingStore(raw, feeds[0].announce);
  await store.functions.deploy(deployInput('api', 'code', 1));
  await store.functions.setScale('api', { minInstances: 1 }, 2);
  await store.triggers.create({ id: 't1', functionName: 'api', kind: 'timer', origin: 'api', schedule: 'rate(1 minute)', createdAt: 3 });
  await settle();
  feeds[0].announce('workflow', 'wf');
  feeds[0].announce('workflow', 'wf');
  await store.functions.get('api'); // reads announce nothing
  await store.queue.enqueue([], 5, 1);
  await settle();
  assert.deepEqual(seen.a, [], 'a node ignores its own changes');
  assert.deepEqual(seen.b, ['function api', 'function api', 'triggers api', 'workflow wf'], 'deploy, scale, trigger; two announcements of one name in one turn are one');
  for (const f of feeds) f.stop();
  await raw.close();
});
