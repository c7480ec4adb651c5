/**
 * group-commit.ts: a group whose connection cannot be made fails every caller at once, with
 * one attempt to connect, rather than each caller again alone; groups are bounded by size.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { groupCommit } from './group-commit.ts';
import { PG_TEST_URL, pgSkipReason } from './test-database.ts';

test('a group the server cannot be reached for fails each of its callers, with one attempt to connect', async () => {
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const pool = new pg.Pool({ connectionString: 'postgres://nobody@127.0.0.1:1/none', connectionTimeoutMillis: 5_000 });
  pool.on('error', () => {});
  let connects = 0;
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  (pool as unknown as { connect: () => Promise<pg.PoolClient> }).connect = () => (connects++, connect());
  let writes = 0;
  const grouped = groupCommit<number, number>(pool, async (_sql, inputs) => (writes++, inputs.map((n) => n * 2)), { maxInFlight: 1, maxGroup: 100 });
  try {
    const results = await Promise.allSettled([grouped(1), grouped(2), grouped(3)]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'rejected']);
    assert.match(String((results[0] as PromiseRejectedResult).reason?.code), /ECONNREFUSED/);
    assert.equal(connects, 1);
    assert.equal(writes, 0);
    await grouped.drained();
  } finally {
    await pool.end();
  }
});

test('a group takes writes while under maxSize (one at least), the rest wait for the next', { skip: (await pgSkipReason()) ?? false }, async () => {
  const pool = new pg.Pool({ connectionString: PG_TEST_URL, max: 2 });
  const groups: number[][] = [];
  const grouped = groupCommit<number, number>(pool, async (_sql, inputs) => (groups.push([...inputs]), inputs.map((n) => -n)), {
    maxInFlight: 1,
    maxGroup: 100,
    size: (n) => n,
    maxSize: 10,
  });
  try {
    assert.deepEqual(await Promise.all([grouped(6), grouped(6), grouped(3), grouped(20), grouped(1)]), [-6, -6, -3, -20, -1]);
    assert.deepEqual(groups, [[6], [6, 3], [20], [1]]);
  } finally {
    await pool.end();
  }
});
