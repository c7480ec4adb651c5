import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInput, stepInput, workflowContract } from '../workflow-contract.ts';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.ts';
import { openSqliteStore } from './sqlite-store.ts';

workflowContract('sqlite (memory)', async () => openSqliteStore(':memory:'));

test('executions, journal and timers survive closing and reopening the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-wf-'));
  try {
    const path = join(dir, 'nimbus.db');
    const first = openSqliteStore(path);
    await first.workflows.deployMachine({ name: 'm', hash: 'h', definition: '{}', now: 1 });
    await first.workflows.startExecution(startInput('e1', { timersStarted: [{ timerId: 't1', fireAt: 5_000 }] }));
    await first.workflows.appendStep(stepInput('e1', 0));
    await first.close();
    const second = openSqliteStore(path);
    assert.deepEqual(await second.workflows.runningExecutions(), ['e1']);
    assert.equal((await second.workflows.getExecution('e1'))?.seq, 1);
    assert.equal(await second.workflows.nextTimerAt(), 5_000);
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a store whose history is one row per event (schema 20) reads the same after the migration to blocks', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-wf-'));
  try {
    const path = join(dir, 'nimbus.db');
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec(MIGRATIONS.slice(0, 20).join('\n'));
    old.pragma('user_version = 20');
    old.prepare(`INSERT INTO state_machines VALUES ('m', 1, 1, 1)`).run();
    old.prepare(`INSERT INTO state_machine_versions VALUES ('m', 1, 'h', '{}', 1)`).run();
    old.prepare(`INSERT INTO executions (id, name, machine, version, status, input, started_at, seq, snapshot, transitions, history_count, redrive_count, source, updated_at)
      VALUES ('e1', 'e1', 'm', 1, 'RUNNING', '{}', 1, 1, '{}', 1, 3, 0, 'api', 1)`).run();
    for (const [seq, event] of [[0, '{"type":"Start"}'], [1, '{"type":"TaskSucceeded"}']] as const) {
      old.prepare('INSERT INTO execution_steps VALUES (?, ?, ?, ?, ?)').run('e1', seq, event, '[]', 1);
    }
    for (const id of [1, 2, 3]) old.prepare('INSERT INTO execution_history VALUES (?, ?, ?)').run('e1', id, `{"id":${id}}`);
    old.close();
    const store = openSqliteStore(path);
    assert.deepEqual(await store.workflows.history('e1', 0, 10), ['{"id":1}', '{"id":2}', '{"id":3}']);
    assert.deepEqual(await store.workflows.history('e1', 1, 1), ['{"id":2}']);
    assert.deepEqual((await store.workflows.steps('e1')).map((s) => [s.seq, s.event]), [[0, '{"type":"Start"}'], [1, '{"type":"TaskSucceeded"}']]);
    // the next step appends after the migrated ones and is fenced as before
    assert.equal(await store.workflows.appendStep(stepInput('e1', 1, { history: [{ id: 4, json: '{"id":4}' }, { id: 5, json: '{"id":5}' }] })), true);
    assert.equal(await store.workflows.appendStep(stepInput('e1', 1)), false);
    assert.deepEqual(await store.workflows.history('e1', 2, 10), ['{"id":3}', '{"id":4}', '{"id":5}']);
    await store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
