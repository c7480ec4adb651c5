import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { NimbusError } from '../../core/errors.ts';
import { storeContract, deployInput, sampleRecord } from '../contract.ts';
import { item } from '../queue-contract.ts';
import { migrate, PG_MIGRATIONS } from './migrations.ts';
import { openPostgresStore } from './postgres-store.ts';
import { dropSchema, freshSchema, openFreshStore, pgSkipReason, PG_TEST_URL } from './test-database.ts';

const skip = await pgSkipReason();

if (skip !== null) {
  test('PostgreSQL store contract suites', { skip }, () => {});
} else {
  // The queue, workflow and lease suites run in files of their own (queue-store.test.ts, workflow-store.test.ts).
  storeContract('postgres', openFreshStore);

  test('postgres: a schema from an older Nimbus is migrated forward, keeping its data', async () => {
    const { schema, url } = freshSchema();
    try {
      const client = new pg.Client({ connectionString: PG_TEST_URL, options: `-c search_path=${schema}` });
      await client.connect();
      await client.query('BEGIN');
      await migrate(client, schema, PG_MIGRATIONS.slice(0, 1));
      await client.query('COMMIT');
      await client.query(`INSERT INTO topics (name, created_at) VALUES ('kept', 1)`);
      await client.end();
      const store = await openPostgresStore(url);
      assert.equal((await store.topics.get('kept'))?.createdAt, 1);
      assert.equal(await store.leases.acquire('l', 'me', 0, 10), true, 'the newer tables are there');
      await store.close();
    } finally {
      await dropSchema(schema);
    }
  });

  test('postgres: data survives closing and reopening, and migrations do not rerun', async () => {
    const { schema, url } = freshSchema();
    try {
      const first = await openPostgresStore(url);
      await first.functions.deploy(deployInput('hello', 'A'));
      await first.invocations.insertMany([sampleRecord('01')]);
      await first.queue.enqueue([item('a')], 0, 86_400_000);
      await first.close();
      const second = await openPostgresStore(url);
      assert.equal((await second.functions.get('hello'))?.currentVersion, 1);
      assert.equal((await second.invocations.get('01'))?.id, '01');
      assert.equal((await second.queue.get('a'))?.state, 'queued');
      await second.close();
    } finally {
      await dropSchema(schema);
    }
  });

  test('postgres: nodes starting together migrate once, under the lock', async () => {
    const { schema, url } = freshSchema();
    try {
      const stores = await Promise.all([1, 2, 3, 4].map(() => openPostgresStore(url, { maxConnections: 2 })));
      const client = new pg.Client({ connectionString: PG_TEST_URL });
      await client.connect();
      const { rows } = await client.query(`SELECT version FROM ${schema}.nimbus_schema`);
      await client.end();
      assert.deepEqual(rows, [{ version: PG_MIGRATIONS.length }]);
      await Promise.all(stores.map((s) => s.close()));
    } finally {
      await dropSchema(schema);
    }
  });

  test('postgres: a schema newer than this Nimbus knows is refused', async () => {
    const { schema, url } = freshSchema();
    try {
      await (await openPostgresStore(url)).close();
      const client = new pg.Client({ connectionString: PG_TEST_URL });
      await client.connect();
      await client.query(`UPDATE ${schema}.nimbus_schema SET version = $1`, [PG_MIGRATIONS.length + 1]);
      await client.end();
      await assert.rejects(openPostgresStore(url), (e: unknown) => e instanceof NimbusError && e.code === 'NIMBUS_ERR_STORE_SCHEMA_NEWER');
    } finally {
      await dropSchema(schema);
    }
  });

  test('postgres: records by start time are a BRIN index, and prune by age finds them whether their range is summarized or not', async () => {
    const { schema, url } = freshSchema();
    const store = await openPostgresStore(url);
    const client = new pg.Client({ connectionString: PG_TEST_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      const { rows } = await client.query(
        `SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname = $1 AND c.relname = 'invocations_by_start'`,
        [schema],
      );
      assert.deepEqual(rows, [{ amname: 'brin' }]);
      // Enough records for several block ranges; the first ones summarized, the last ones not.
      const id = (i: number) => `r${String(i).padStart(6, '0')}`;
      const records = Array.from({ length: 6_000 }, (_, i) => sampleRecord(id(i), { startedAt: 1_000 + i, logs: [{ t: i, level: 'info', msg: 'x'.repeat(200) }] }));
      await store.invocations.append(records.slice(0, 4_000));
      await client.query(`SELECT brin_summarize_new_values('invocations_by_start')`);
      await store.invocations.append(records.slice(4_000));
      // What the planner picks on a table this small is not the point: the index must answer alone.
      await client.query('SET enable_seqscan = off');
      const { rows: plan } = await client.query('EXPLAIN SELECT id FROM invocations WHERE started_at < 4000');
      assert.match(plan.map((r) => r['QUERY PLAN']).join('\n'), /invocations_by_start/);
      assert.equal((await client.query('SELECT count(*)::int AS n FROM invocations WHERE started_at < 4000')).rows[0].n, 3_000);
      assert.equal((await client.query('SELECT count(*)::int AS n FROM invocations WHERE started_at >= 5500')).rows[0].n, 1_500);
      assert.equal(await store.invocations.prune(1_000 + 5_990, 1_000_000), 5_990);
      assert.deepEqual((await store.invocations.list({ limit: 100 })).map((r) => r.id), [9, 8, 7, 6, 5, 4, 3, 2, 1, 0].map((i) => id(5_990 + i)));
    } finally {
      await client.end();
      await store.close();
      await dropSchema(schema);
    }
  });

  test('postgres: a record whose error text holds U+0000 is stored (as U+FFFD), not refused with its batch', async () => {
    const store = await openFreshStore();
    try {
      const odd = sampleRecord('n1', { status: 'error', errorName: 'Bad\u0000Name', errorMessage: 'a\u0000b', logs: [{ t: 1, level: 'info', msg: 'x\u0000y' }] });
      await store.invocations.append([odd, sampleRecord('n2')]);
      await store.invocations.insertMany([sampleRecord('n3', { errorMessage: '\u0000' })]);
      const got = await store.invocations.get('n1');
      assert.deepEqual([got?.errorName, got?.errorMessage, got?.logs[0].msg], ['Bad\uFFFDName', 'a\uFFFDb', 'x\u0000y']);
      assert.equal((await store.invocations.list({ limit: 10 })).length, 3);
    } finally {
      await store.close();
    }
  });

  test('postgres: consumers claiming at once take disjoint items (SKIP LOCKED)', async () => {
    const store = await openFreshStore();
    try {
      const ids = Array.from({ length: 40 }, (_, i) => `q${String(i).padStart(2, '0')}`);
      await store.queue.enqueue(ids.map((id) => item(id)), 0, 86_400_000);
      const claims = await Promise.all([1, 2, 3, 4, 5].map(() => store.queue.claim('fn', 10, 1, 60_000)));
      const taken = claims.flat().map((i) => i.id);
      assert.equal(new Set(taken).size, taken.length, 'no item claimed twice');
      assert.deepEqual([...taken].sort(), ids);
    } finally {
      await store.close();
    }
  });
}

test('an unreachable server is a NIMBUS_ERR_STORE_UNAVAILABLE naming the URL without its password', async () => {
  // Port 1 on loopback: nothing listens there.
  await assert.rejects(openPostgresStore('postgres://nimbus:secret@127.0.0.1:1/none'), (e: unknown) => {
    assert.ok(e instanceof NimbusError);
    assert.equal(e.code, 'NIMBUS_ERR_STORE_UNAVAILABLE');
    assert.match(e.message, /127\.0\.0\.1:1/);
    assert.doesNotMatch(e.message, /secret/);
    return true;
  });
});
