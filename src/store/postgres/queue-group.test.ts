/**
 * The PostgreSQL queue's group commit (group-commit.ts, queue-writes.ts): calls made in one
 * turn share one transaction and each still gets the result it would have had alone; a call
 * the server refuses fails alone.
 */
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { sampleRecord } from '../contract.ts';
import type { Store } from '../ports.ts';
import { item } from '../queue-contract.ts';
import { openPostgresStore } from './postgres-store.ts';
import { dropSchema, freshSchema, PG_TEST_URL, pgSkipReason } from './test-database.ts';

const DAY = 86_400_000;
const skip = await pgSkipReason();

describe('PostgreSQL queue: group commit', { skip: skip ?? false }, () => {
  let store: Store;
  let schema: string;
  let admin: pg.Client;
  let closed: boolean;
  /** The transaction that last wrote each item (xmin), by id. */
  const writers = async (): Promise<Map<string, string>> => {
    const { rows } = await admin.query(`SELECT id, xmin::text AS x FROM ${schema}.queue`);
    return new Map(rows.map((r) => [r.id as string, r.x as string]));
  };

  beforeEach(async () => {
    const fresh = freshSchema();
    schema = fresh.schema;
    closed = false;
    store = await openPostgresStore(fresh.url, { maxConnections: 4 });
    admin = new pg.Client({ connectionString: PG_TEST_URL });
    await admin.connect();
  });
  afterEach(async () => {
    await admin.end();
    if (!closed) await store.close();
    await dropSchema(schema);
  });

  it('enqueues of one turn commit in one transaction, each answered as if alone (keys across calls too)', async () => {
    const q = store.queue;
    const out = await Promise.all([
      q.enqueue([item('a'), item('b', { idempotencyKey: 'k' })], 10, DAY),
      q.enqueue([item('c', { idempotencyKey: 'k' })], 10, DAY),
      q.enqueue([item('a')], 10, DAY),
      q.enqueue([item('d', { idempotencyKey: 'k', target: 'other' })], 10, DAY),
    ]);
    assert.deepEqual(out, [
      [{ id: 'a', created: true }, { id: 'b', created: true }],
      [{ id: 'b', created: false }],
      [{ id: 'a', created: false }],
      [{ id: 'd', created: true }],
    ]);
    const x = await writers();
    assert.deepEqual([...x.keys()].sort(), ['a', 'b', 'd']);
    assert.equal(new Set(x.values()).size, 1, 'one transaction wrote them all');
  });

  it('a key that expired within the group moves to the later item, as it would in order', async () => {
    const q = store.queue;
    const out = await Promise.all([q.enqueue([item('a', { idempotencyKey: 'k' })], 0, 100), q.enqueue([item('b', { idempotencyKey: 'k' })], 500, 100)]);
    assert.deepEqual(out, [[{ id: 'a', created: true }], [{ id: 'b', created: true }]]);
    assert.equal((await q.get('a'))?.idempotencyKey, null);
    assert.equal((await q.get('b'))?.idempotencyKey, 'k');
  });

  it('a call the server refuses fails alone; the others of its group commit', async () => {
    const q = store.queue;
    const results = await Promise.allSettled([
      q.enqueue([item('good-1')], 10, DAY),
      q.enqueue([item('bad', { source: 'nul \u0000 byte' })], 10, DAY),
      q.enqueue([item('good-2')], 10, DAY),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.equal(await q.get('bad'), null);
    assert.deepEqual((await q.list({ limit: 10 })).map((i) => i.id).sort(), ['good-1', 'good-2']);
  });

  it('finishes and enqueues of one turn: fenced each, follow-ups and records only with the finishes that held', async () => {
    const q = store.queue;
    await q.enqueue([item('a'), item('b'), item('c'), item('d')], 0, DAY);
    await q.claim('fn', 4, 0, 1_000);
    const rec = (id: string) => sampleRecord(id, { functionName: 'fn', trigger: 'async', attempt: 1, status: 'success', startedAt: 5 });
    const [done, stale, retried, dead, released, added] = await Promise.all([
      q.complete('a', 1, 10, [item('a-done', { target: 'audit' })], rec('a')),
      q.complete('b', 9, 10, [item('b-done', { target: 'audit' })], rec('b')),
      q.retry('b', 1, 10, { code: 'X', message: 'again' }, 10, rec('b')),
      q.deadLetter('c', 1, 'max-attempts', { code: 'Y', message: 'no' }, 10, [item('c-failed', { target: 'audit' })]),
      q.release('d', 1, 10, 10, true),
      q.enqueue([item('e')], 10, DAY),
    ]);
    assert.deepEqual([done, stale, retried, dead, released], [true, false, true, true, true]);
    assert.deepEqual(added, [{ id: 'e', created: true }]);
    assert.deepEqual((await q.list({ target: 'audit', limit: 10 })).map((i) => i.id).sort(), ['a-done', 'c-failed']);
    assert.deepEqual(await store.invocations.get('a'), rec('a'));
    assert.deepEqual(await store.invocations.get('b'), rec('b'));
    const c = await q.get('c');
    assert.deepEqual([c?.state, c?.deadReason, c?.lastError?.code, c?.finishedAt], ['dead', 'max-attempts', 'Y', 10]);
    assert.equal((await q.get('d'))?.throttles, 1);
    const x = await writers();
    assert.equal(new Set(['a', 'b', 'c', 'd', 'e', 'a-done', 'c-failed'].map((id) => x.get(id))).size, 1, 'one transaction');
    const claimed = await q.claim('fn', 10, 10, 1_000);
    assert.deepEqual(claimed.map((i) => [i.id, i.attempts]), [['b', 2], ['d', 1], ['e', 1]], 'retried and released: claimed again, the release not counted');
  });

  it('finishes of distinct items and key-less enqueues (one statement): a follow-up goes in only with a finish that held', async () => {
    const q = store.queue;
    await q.enqueue([item('a'), item('b')], 0, DAY);
    await q.claim('fn', 2, 0, 1_000);
    const [done, stale, added] = await Promise.all([
      q.complete('a', 1, 10, [item('a-done', { target: 'audit' })]),
      q.complete('b', 7, 10, [item('b-done', { target: 'audit' })]),
      q.enqueue([item('e'), item('a-done')], 10, DAY),
    ]);
    assert.deepEqual([done, stale], [true, false]);
    assert.deepEqual(added, [{ id: 'e', created: true }, { id: 'a-done', created: true }], 'the enqueue came first in the group; the follow-up of the same id is then not new');
    assert.deepEqual((await q.list({ target: 'audit', limit: 10 })).map((i) => i.id), []);
    assert.equal((await q.get('a-done'))?.target, 'fn');
    assert.equal((await q.get('b'))?.state, 'running');
    const x = await writers();
    assert.equal(new Set(['a', 'e', 'a-done'].map((id) => x.get(id))).size, 1, 'one transaction');
  });

  it('records written first by the recorder: the queue writes a later version over its record, not a plain repeat; usage counts each run once', async () => {
    const q = store.queue;
    await q.enqueue([item('a'), item('b'), item('c')], 0, DAY);
    await q.claim('fn', 3, 0, 1_000);
    const rec = (id: string) => sampleRecord(id, { functionName: 'fn', trigger: 'async', attempt: 1, status: 'success', startedAt: 5 });
    const longer = (id: string) => ({ ...rec(id), logs: [...rec(id).logs, { t: 6, level: 'info' as const, msg: 'more' }] });
    await store.invocations.insertMany([rec('a'), rec('b'), rec('c')]);
    const done = await Promise.all([q.complete('a', 1, 10, [], rec('a')), q.complete('b', 1, 10, [], longer('b')), q.complete('c', 1, 10, [], longer('c'))]);
    assert.deepEqual(done, [true, true, true]);
    assert.deepEqual(await store.invocations.get('a'), rec('a'));
    assert.deepEqual(await store.invocations.get('b'), longer('b'));
    assert.deepEqual(await store.invocations.get('c'), longer('c'));
    const { rows } = await admin.query(`SELECT sum(requests)::int AS n FROM ${schema}.usage WHERE function_name = 'fn'`);
    assert.equal(rows[0].n, 3);
  });

  it('the same item finished twice in one group: the first finish holds, the second is fenced out', async () => {
    const q = store.queue;
    await q.enqueue([item('a')], 0, DAY);
    await q.claim('fn', 1, 0, 1_000);
    const [first, second] = await Promise.all([q.complete('a', 1, 10), q.retry('a', 1, 20, { code: 'X', message: 'late' }, 20)]);
    assert.deepEqual([first, second], [true, false]);
    assert.equal((await q.get('a'))?.state, 'succeeded');
  });

  it('close() commits what was asked for before it', async () => {
    const q = store.queue;
    const pending = q.enqueue([item('late')], 10, DAY);
    closed = true;
    await store.close();
    assert.deepEqual(await pending, [{ id: 'late', created: true }]);
    const { rows } = await admin.query(`SELECT id FROM ${schema}.queue`);
    assert.deepEqual(rows.map((r) => r.id), ['late']);
  });
});
