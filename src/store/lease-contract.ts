/** The contract every LeaseRepo (lease-ports.ts) must pass; an implementation's test calls leaseContract('name', open). */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from './ports.ts';

export function leaseContract(name: string, open: () => Promise<Store>): void {
  describe(`Lease contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('a free lease is taken; another owner is refused until it expires, then takes it', async () => {
      assert.equal(await store.leases.holder('cron:t1', 0), null);
      assert.equal(await store.leases.acquire('cron:t1', 'node-a', 1_000, 5_000), true);
      assert.deepEqual(await store.leases.holder('cron:t1', 1_000), { name: 'cron:t1', owner: 'node-a', expiresAt: 6_000 });
      assert.equal(await store.leases.acquire('cron:t1', 'node-b', 5_999, 5_000), false, 'still node-a’s');
      assert.equal((await store.leases.holder('cron:t1', 5_999))?.owner, 'node-a');
      assert.equal(await store.leases.holder('cron:t1', 6_000), null, 'expired');
      assert.equal(await store.leases.acquire('cron:t1', 'node-b', 6_000, 5_000), true, 'taken over');
      assert.equal(await store.leases.acquire('cron:t1', 'node-a', 6_001, 5_000), false, 'the old owner lost it');
      assert.equal(await store.leases.acquire('other', 'node-a', 6_001, 5_000), true, 'leases are independent');
    });

    it('the owner renews (the expiry moves on) and releases it', async () => {
      await store.leases.acquire('wf:e1', 'node-a', 0, 1_000);
      assert.equal(await store.leases.acquire('wf:e1', 'node-a', 900, 1_000), true);
      assert.equal((await store.leases.holder('wf:e1', 1_500))?.expiresAt, 1_900);
      assert.equal(await store.leases.release('wf:e1', 'node-b'), false, 'not node-b’s to release');
      assert.equal((await store.leases.holder('wf:e1', 1_500))?.owner, 'node-a');
      assert.equal(await store.leases.release('wf:e1', 'node-a'), true);
      assert.equal(await store.leases.holder('wf:e1', 1_500), null);
      assert.equal(await store.leases.release('wf:e1', 'node-a'), false, 'already free');
      assert.equal(await store.leases.acquire('wf:e1', 'node-b', 1_500, 1_000), true, 'free at once after a release');
    });

    it('of concurrent callers for a free lease exactly one gets it', async () => {
      const owners = Array.from({ length: 8 }, (_, i) => `node-${i}`);
      const got = await Promise.all(owners.map((o) => store.leases.acquire('race', o, 10, 1_000)));
      assert.equal(got.filter(Boolean).length, 1);
      assert.equal((await store.leases.holder('race', 10))?.owner, owners[got.indexOf(true)]);
    });
  });
}
