import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { groupCommit } from './group-commit.ts';

function openWithLog(path = ':memory:') {
  const statements: string[] = [];
  const db = new Database(path, { verbose: (sql) => statements.push(String(sql)) });
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (x INTEGER PRIMARY KEY, label TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO t (x, label) VALUES (?, ?)');
  // Two rows per write, so a write that fails half-way shows whether its first row stayed.
  const write = (x: number) => {
    insert.run(x, 'first');
    insert.run(x + 1000, 'second');
    if (x === 13) throw new Error('thirteen');
    return x * 2;
  };
  const commits = () => statements.filter((s) => s === 'COMMIT').length;
  const savepoints = () => statements.filter((s) => s.startsWith('SAVEPOINT')).length;
  return { db, write, commits, savepoints };
}

test('writes asked for in one turn share one commit, each with its own result', async () => {
  const { db, write, commits, savepoints } = openWithLog();
  const grouped = groupCommit(db, write);
  const before = commits();
  const results = await Promise.all([grouped(1), grouped(2), grouped(3)]);
  assert.deepEqual(results, [2, 4, 6]);
  assert.equal(commits() - before, 1);
  assert.equal(savepoints(), 0, 'no savepoint while no write throws');
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 6);
  // a later turn is another group
  assert.equal(await grouped(4), 8);
  assert.equal(commits() - before, 2);
  db.close();
});

test('a write that throws is rolled back alone and rejects; the others in its group commit', async () => {
  const { db, write } = openWithLog();
  const grouped = groupCommit(db, write);
  const outcomes = await Promise.allSettled([grouped(12), grouped(13), grouped(14)]);
  assert.deepEqual(
    outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
    [24, 'thirteen', 28],
  );
  const xs = (db.prepare('SELECT x FROM t ORDER BY x').all() as Array<{ x: number }>).map((r) => r.x);
  assert.deepEqual(xs, [12, 14, 1012, 1014]); // nothing of 13, not even its first row
  // the writes after the one that threw ran once in the commit that stands
  assert.deepEqual(await Promise.all([grouped(20), grouped(21)]), [40, 42]);
  db.close();
});

test('nothing is committed, and no promise settles, before the group commits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-group-commit-'));
  try {
    const path = join(dir, 'db.sqlite');
    const { db, write } = openWithLog(path);
    const reader = new Database(path, { readonly: true });
    const count = () => (reader.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
    const grouped = groupCommit(db, write);
    let settled = false;
    const p = grouped(5).then((v) => ((settled = true), v));
    await Promise.resolve(); // microtasks run; the turn has not ended
    assert.equal(settled, false);
    assert.equal(count(), 0);
    assert.equal(await p, 10);
    assert.equal(count(), 2); // another connection sees it once the caller is told
    reader.close();
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flush commits what is queued at once (before the connection closes)', async () => {
  const { db, write } = openWithLog();
  const grouped = groupCommit(db, write);
  const p = grouped(7);
  grouped.flush();
  assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 2);
  db.close(); // the scheduled turn finds nothing queued
  assert.equal(await p, 14);
  await new Promise<void>((resolve) => setImmediate(resolve));
});

test('when the group cannot begin, every write of it rejects and none is written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-group-commit-'));
  try {
    const path = join(dir, 'db.sqlite');
    const { db, write } = openWithLog(path);
    db.pragma('busy_timeout = 0');
    const other = new Database(path);
    other.exec('BEGIN IMMEDIATE'); // another connection holds the write lock
    const grouped = groupCommit(db, write);
    const outcomes = await Promise.allSettled([grouped(1), grouped(2)]);
    assert.deepEqual(
      outcomes.map((o) => (o.status === 'rejected' ? (o.reason as { code?: string }).code : 'fulfilled')),
      ['SQLITE_BUSY', 'SQLITE_BUSY'],
    );
    other.exec('ROLLBACK');
    other.close();
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n, 0);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('writes of different kinds on one connection share the turn’s commit', async () => {
  const { db, write, commits } = openWithLog();
  const label = db.prepare('UPDATE t SET label = ? WHERE x = ?');
  const relabel = (x: number) => label.run('relabelled', x).changes;
  const grouped = groupCommit(db, write);
  const other = groupCommit(db, relabel);
  await grouped(1);
  const before = commits();
  assert.deepEqual(await Promise.all([grouped(2), other(1), grouped(3)]), [4, 1, 6]);
  assert.equal(commits() - before, 1);
  assert.equal((db.prepare('SELECT label FROM t WHERE x = 1').get() as { label: string }).label, 'relabelled');
  db.close();
});

/** A write kind with a tally: each write inserts its row and adds x to a sum kept in table s, written once a group. */
function tallied(db: Database.Database) {
  db.exec('CREATE TABLE s (k INTEGER PRIMARY KEY, total INTEGER NOT NULL, writes INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO t (x, label) VALUES (?, ?)');
  const upsert = db.prepare('INSERT INTO s (k, total, writes) VALUES (1, ?, 1) ON CONFLICT(k) DO UPDATE SET total = total + excluded.total, writes = writes + 1');
  const grouped = groupCommit(
    db,
    (x: number, sum: { n: number }) => {
      insert.run(x, 'tallied');
      if (x === 13) throw new Error('thirteen');
      sum.n += x;
      return x;
    },
    { open: () => ({ n: 0 }), close: (sum) => upsert.run(sum.n) },
  );
  const sum = () => db.prepare('SELECT total, writes FROM s WHERE k = 1').get() as { total: number; writes: number } | undefined;
  return { grouped, sum };
}

test('a tally is written once a group, after its writes, in their commit', async () => {
  const { db, commits } = openWithLog();
  const { grouped, sum } = tallied(db);
  const before = commits();
  assert.deepEqual(await Promise.all([grouped(1), grouped(2), grouped(3)]), [1, 2, 3]);
  assert.equal(commits() - before, 1);
  assert.deepEqual(sum(), { total: 6, writes: 1 });
  // alone (one write in its turn): its own tally, written with it
  assert.equal(await grouped(4), 4);
  assert.deepEqual(sum(), { total: 10, writes: 2 });
  db.close();
});

test('when a write of the group throws, the tally holds only the writes that stand', async () => {
  const { db } = openWithLog();
  const { grouped, sum } = tallied(db);
  const outcomes = await Promise.allSettled([grouped(12), grouped(13), grouped(14)]);
  assert.deepEqual(
    outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message)),
    [12, 'thirteen', 14],
  );
  // each standing write wrote its own tally in its savepoint; nothing of 13 counted
  assert.deepEqual(sum(), { total: 26, writes: 2 });
  assert.deepEqual((db.prepare('SELECT x FROM t ORDER BY x').all() as Array<{ x: number }>).map((r) => r.x), [12, 14]);
  db.close();
});

test('a tally the group cannot write: its writes run again each with its own tally, in its savepoint', async () => {
  const { db } = openWithLog();
  db.exec('CREATE TABLE s (k INTEGER PRIMARY KEY, total INTEGER NOT NULL CHECK (total < 100), writes INTEGER NOT NULL)');
  const insert = db.prepare('INSERT INTO t (x, label) VALUES (?, ?)');
  const upsert = db.prepare('INSERT INTO s (k, total, writes) VALUES (1, ?, 1) ON CONFLICT(k) DO UPDATE SET total = total + excluded.total, writes = writes + 1');
  const grouped = groupCommit(
    db,
    (x: number, sum: { n: number }) => {
      insert.run(x, 'tallied');
      sum.n += x;
      return x;
    },
    { open: () => ({ n: 0 }), close: (sum) => upsert.run(sum.n) },
  );
  const outcomes = await Promise.allSettled([grouped(50), grouped(60)]);
  // together over the bound: the group fails; run again each in its savepoint, 50 fits and
  // 60 would take the running total past the bound, so that one alone fails
  assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected']);
  assert.deepEqual(db.prepare('SELECT total, writes FROM s').get(), { total: 50, writes: 1 });
  assert.deepEqual((db.prepare('SELECT x FROM t ORDER BY x').all() as Array<{ x: number }>).map((r) => r.x), [50]);
  db.close();
});
