import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createPool, IDLE_CONNECTION_MS, parseTarget, withSessionSetting } from './pg-client.ts';
import { recordWriterUrl } from './postgres-store.ts';
import { dropSchema, freshSchema, pgSkipReason, PG_TEST_URL } from './test-database.ts';

test('parseTarget: the schema and the options parameter leave the URL; the options are kept apart', () => {
  const t = parseTarget('postgres://u:p@db:5432/app?schema=tenant_a&options=-c%20statement_timeout%3D5s&application_name=x');
  assert.equal(t.schema, 'tenant_a');
  assert.equal(t.options, '-c statement_timeout=5s');
  assert.equal(t.url, 'postgres://u:p@db:5432/app?application_name=x');
  const plain = parseTarget('postgres://db/app');
  assert.deepEqual([plain.schema, plain.options], ['public', '']);
});

test('withSessionSetting: adds one setting after those the URL asks for, keeping the rest of the URL', () => {
  const once = withSessionSetting('postgres://db/app?schema=s', 'synchronous_commit', 'off');
  assert.equal(parseTarget(once).options, '-c synchronous_commit=off');
  assert.equal(parseTarget(once).schema, 's');
  const twice = withSessionSetting('postgres://db/app?options=-c%20work_mem%3D8MB', 'synchronous_commit', 'off');
  assert.equal(parseTarget(twice).options, '-c work_mem=8MB -c synchronous_commit=off');
});

const skip = await pgSkipReason();

test('createPool: the URL\'s settings reach every session, and the store\'s schema wins over one they name', { skip: skip ?? false }, async () => {
  const { schema } = freshSchema();
  const url = new URL(PG_TEST_URL);
  url.searchParams.set('schema', schema);
  url.searchParams.set('options', '-c statement_timeout=4321 -c search_path=elsewhere');
  const pool = createPool(parseTarget(url.toString()), 1);
  try {
    const { rows } = await pool.query(`SELECT current_setting('statement_timeout') AS timeout, current_setting('search_path') AS path`);
    assert.equal(rows[0].timeout, '4321ms');
    assert.equal(rows[0].path, schema);
  } finally {
    await pool.end();
    await dropSchema(schema);
  }
});

test('recordWriterUrl: the record writer\'s session commits without waiting for the flush; the store\'s sessions keep the server\'s setting', { skip: skip ?? false }, async () => {
  const { schema, url } = freshSchema();
  const server = new pg.Client({ connectionString: PG_TEST_URL });
  await server.connect();
  const writer = createPool(parseTarget(recordWriterUrl(url)), 1);
  const store = createPool(parseTarget(url), 1);
  try {
    const serverDefault = (await server.query(`SELECT current_setting('synchronous_commit') AS v`)).rows[0].v as string;
    const w = (await writer.query(`SELECT current_setting('synchronous_commit') AS v, current_setting('search_path') AS path`)).rows[0];
    assert.deepEqual([w.v, w.path], ['off', schema]);
    assert.equal((await store.query(`SELECT current_setting('synchronous_commit') AS v`)).rows[0].v, serverDefault);
  } finally {
    await writer.end();
    await store.end();
    await server.end();
    await dropSchema(schema);
  }
});

test('createPool: an idle connection stays open past the gaps between periodic statements, and closes a while after a burst', { skip: skip ?? false }, async (t) => {
  const { schema, url } = freshSchema();
  const pool = createPool(parseTarget(url), 3);
  try {
    const burst = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
    t.mock.timers.enable({ apis: ['setTimeout'] });
    for (const client of burst) client.release();
    t.mock.timers.tick(IDLE_CONNECTION_MS - 1);
    assert.equal(pool.totalCount, 3, 'still open just before the idle time');
    const reused = await pool.connect();
    reused.release();
    t.mock.timers.tick(1);
    assert.equal(pool.totalCount, 1, 'the two left idle closed; the one used again stays');
    t.mock.timers.tick(IDLE_CONNECTION_MS);
    assert.equal(pool.totalCount, 0);
  } finally {
    t.mock.timers.reset();
    await pool.end();
    await dropSchema(schema);
  }
});
