/** The contract every AwsKeyRepo and LambdaFactsRepo (aws-ports.ts) must pass; an implementation's test calls awsContract('name', open). */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { AwsKeyRow } from './aws-ports.ts';
import type { Store } from './ports.ts';

const key = (id: string, createdAt: number, extra: Partial<AwsKeyRow> = {}): AwsKeyRow => ({
  accessKeyId: id,
  createdAt,
  description: `key ${id}`,
  sealedSecret: `v1.iv.tag.${id}`,
  ...extra,
});

export function awsContract(name: string, open: () => Promise<Store>): void {
  describe(`AWS keys and Lambda facts contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('keys: insert, get, list oldest first, delete; a second insert of an id changes nothing', async () => {
      assert.deepEqual(await store.awsKeys.list(), []);
      assert.equal(await store.awsKeys.get('NKIAB'), null);
      assert.equal(await store.awsKeys.insert(key('NKIAB', 2_000)), true);
      assert.equal(await store.awsKeys.insert(key('NKIAA', 1_000, { description: 'ünïcode "quoted" \n line' })), true);
      assert.equal(await store.awsKeys.insert(key('NKIAC', 2_000)), true);
      assert.equal(await store.awsKeys.insert(key('NKIAB', 9_000, { sealedSecret: 'other' })), false);
      assert.deepEqual(await store.awsKeys.get('NKIAB'), key('NKIAB', 2_000));
      assert.deepEqual((await store.awsKeys.list()).map((k) => k.accessKeyId), ['NKIAA', 'NKIAB', 'NKIAC']);
      assert.deepEqual((await store.awsKeys.list())[0], key('NKIAA', 1_000, { description: 'ünïcode "quoted" \n line' }));
      assert.equal(await store.awsKeys.delete('NKIAB'), true);
      assert.equal(await store.awsKeys.delete('NKIAB'), false);
      assert.equal(await store.awsKeys.get('NKIAB'), null);
      assert.deepEqual((await store.awsKeys.list()).map((k) => k.accessKeyId), ['NKIAA', 'NKIAC']);
    });

    it('keys: ids are compared exactly (case and odd characters)', async () => {
      await store.awsKeys.insert(key('NKIAX', 1));
      assert.equal(await store.awsKeys.get('nkiax'), null);
      assert.equal(await store.awsKeys.get("NKIAX' OR '1'='1"), null);
      assert.equal(await store.awsKeys.delete('%'), false);
      assert.equal((await store.awsKeys.list()).length, 1);
    });

    it('facts: update replaces, putIfAbsent keeps what is there, all lists every function, delete', async () => {
      const a = { runtime: 'nodejs20.x', published: [1, 3], reservedConcurrency: null, aliasDescriptions: { live: 'é' } };
      assert.equal(await store.lambdaFacts.get('a'), null);
      assert.deepEqual(await store.lambdaFacts.all(), new Map());
      await store.lambdaFacts.update('a', () => ({ runtime: 'old' }));
      assert.deepEqual(await store.lambdaFacts.update('a', (current) => (current?.runtime === 'old' ? a : {})), a);
      assert.deepEqual(await store.lambdaFacts.get('a'), a);
      assert.equal(await store.lambdaFacts.putIfAbsent('a', { runtime: 'other' }), false);
      assert.equal(await store.lambdaFacts.putIfAbsent('b', { codeSize: 7 }), true);
      assert.deepEqual(await store.lambdaFacts.get('a'), a);
      assert.deepEqual(await store.lambdaFacts.all(), new Map<string, unknown>([['a', a], ['b', { codeSize: 7 }]]));
      assert.equal(await store.lambdaFacts.delete('a'), true);
      assert.equal(await store.lambdaFacts.delete('a'), false);
      assert.equal(await store.lambdaFacts.get('a'), null);
    });

    it('facts: update makes the next facts from the current ones; concurrent updates each see the others', async () => {
      assert.deepEqual(await store.lambdaFacts.update('f', (current) => ({ seen: current, n: [] as number[] })), { seen: null, n: [] });
      await Promise.all(
        Array.from({ length: 12 }, (_, i) => store.lambdaFacts.update('f', (current) => ({ ...current, n: [...((current?.n as number[]) ?? []), i] }))),
      );
      const got = await store.lambdaFacts.get('f');
      assert.deepEqual([...(got?.n as number[])].sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 'no update lost');
      assert.equal(got?.seen, null);
      await assert.rejects(store.lambdaFacts.update('f', () => {
        throw new Error('refused');
      }), /refused/);
      assert.deepEqual(await store.lambdaFacts.get('f'), got, 'a failed update changes nothing');
      await assert.rejects(store.lambdaFacts.update('g', () => {
        throw new Error('refused');
      }), /refused/);
      assert.equal(await store.lambdaFacts.get('g'), null, 'nor makes a row');
    });

    it('facts: kept for a name with no function (the AWS layer owns their life)', async () => {
      await store.lambdaFacts.update('never-deployed', () => ({ role: 'r' }));
      assert.deepEqual(await store.lambdaFacts.get('never-deployed'), { role: 'r' });
    });
  });
}
