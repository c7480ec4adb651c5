import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startInput, stepInput, workflowContract } from '../workflow-contract.ts';
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
