/**
 * The contract of the workflow port every Store implementation must pass; see
 * sqlite/workflow-store.test.ts.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from './ports.ts';
import type { StartInput, StepInput } from './workflow-ports.ts';

export function startInput(id: string, overrides: Partial<StartInput> = {}): StartInput {
  return {
    executionId: id,
    name: id,
    machine: 'm',
    version: 1,
    input: '{"a":1}',
    source: 'test',
    event: '{"type":"Start"}',
    commands: '[]',
    snapshot: '{"seq":0}',
    history: [{ id: 1, json: '{"id":1,"type":"ExecutionStarted"}' }],
    status: 'RUNNING',
    output: null,
    error: null,
    cause: null,
    transitions: 1,
    redriveCount: 0,
    timersStarted: [],
    timersCancelled: [],
    now: 1_000,
    ...overrides,
  };
}

export function stepInput(id: string, expectedSeq: number, overrides: Partial<StepInput> = {}): StepInput {
  return {
    executionId: id,
    expectedSeq,
    event: '{"type":"TimerFired","timerId":"t1"}',
    commands: '[]',
    snapshot: `{"seq":${expectedSeq + 1}}`,
    history: [],
    status: 'RUNNING',
    output: null,
    error: null,
    cause: null,
    transitions: 1,
    redriveCount: 0,
    timersStarted: [],
    timersCancelled: [],
    now: 2_000,
    ...overrides,
  };
}

export function workflowContract(name: string, open: () => Promise<Store>): void {
  describe(`Workflow contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
      // executions belong to deployed machines
      for (const m of ['m', 'n']) await store.workflows.deployMachine({ name: m, hash: `seed-${m}`, definition: '{}', now: 1 });
    });
    afterEach(async () => {
      await store.close();
    });

    it('deploys immutable versions; the same definition again creates nothing', async () => {
      const w = store.workflows;
      const a = await w.deployMachine({ name: 'k', hash: 'h1', definition: '{"A":1}', now: 10 });
      assert.deepEqual([a.created, a.version.version], [true, 1]);
      const same = await w.deployMachine({ name: 'k', hash: 'h1', definition: '{"A":1}', now: 11 });
      assert.deepEqual([same.created, same.version.version], [false, 1]);
      const b = await w.deployMachine({ name: 'k', hash: 'h2', definition: '{"B":1}', now: 12 });
      assert.deepEqual([b.created, b.version.version], [true, 2]);
      assert.equal((await w.getMachine('k'))?.currentVersion, 2);
      assert.equal((await w.getMachineVersion('k', 1))?.definition, '{"A":1}');
      assert.deepEqual((await w.listMachineVersions('k')).map((v) => v.version), [2, 1]);
      assert.deepEqual((await w.listMachines()).map((m) => m.name), ['k', 'm', 'n']);
      assert.equal(await w.getMachine('other'), null);
    });

    it('starts an execution once per id and per (machine, name), with its step 0, history and timers', async () => {
      const w = store.workflows;
      assert.equal(await w.startExecution(startInput('e1', { timersStarted: [{ timerId: 't1', fireAt: 5_000 }] })), true);
      assert.equal(await w.startExecution(startInput('e1')), false);
      assert.equal(await w.startExecution(startInput('e2', { name: 'e1' })), false, 'same name in the same machine');
      const e = await w.getExecution('e1');
      assert.deepEqual([e?.status, e?.seq, e?.historyCount, e?.version, e?.input], ['RUNNING', 0, 1, 1, '{"a":1}']);
      assert.equal((await w.findExecutionByName('m', 'e1'))?.id, 'e1');
      assert.deepEqual(await w.history('e1', 0, 10), ['{"id":1,"type":"ExecutionStarted"}']);
      assert.deepEqual((await w.steps('e1')).map((s) => s.seq), [0]);
      assert.deepEqual(await w.dueTimers(4_999, 10), []);
      assert.deepEqual(await w.dueTimers(5_000, 10), [{ executionId: 'e1', timerId: 't1', fireAt: 5_000 }]);
      assert.equal(await w.nextTimerAt(), 5_000);
      assert.deepEqual(await w.runningExecutions(), ['e1']);
    });

    it('appends steps fenced by seq: a stale writer changes nothing', async () => {
      const w = store.workflows;
      await w.startExecution(startInput('e1', { timersStarted: [{ timerId: 't1', fireAt: 5_000 }] }));
      const step = stepInput('e1', 0, {
        history: [{ id: 2, json: '{"id":2}' }, { id: 3, json: '{"id":3}' }],
        timersCancelled: ['t1'],
        timersStarted: [{ timerId: 't2', fireAt: 9_000 }],
      });
      assert.equal(await w.appendStep(step), true);
      assert.equal(await w.appendStep(step), false, 'seq 0 is stale now');
      const e = await w.getExecution('e1');
      assert.deepEqual([e?.seq, e?.snapshot, e?.historyCount, e?.transitions], [1, '{"seq":1}', 3, 2]);
      assert.deepEqual(await w.history('e1', 1, 10), ['{"id":2}', '{"id":3}']);
      assert.deepEqual(await w.history('e1', 0, 2), ['{"id":1,"type":"ExecutionStarted"}', '{"id":2}']);
      assert.deepEqual((await w.dueTimers(10_000, 10)).map((t) => t.timerId), ['t2']);
      assert.deepEqual((await w.steps('e1')).map((s) => [s.seq, s.at]), [[0, 1_000], [1, 2_000]]);
    });

    it('an ended execution keeps its output, leaves the running set and drops its timers', async () => {
      const w = store.workflows;
      await w.startExecution(startInput('e1', { timersStarted: [{ timerId: 't1', fireAt: 5_000 }] }));
      await w.startExecution(startInput('e2', { machine: 'n' }));
      await w.appendStep(stepInput('e1', 0, { status: 'SUCCEEDED', output: '{"ok":true}', now: 3_000 }));
      const e = await w.getExecution('e1');
      assert.deepEqual([e?.status, e?.output, e?.stoppedAt], ['SUCCEEDED', '{"ok":true}', 3_000]);
      assert.equal(await w.nextTimerAt(), null);
      assert.deepEqual(await w.runningExecutions(), ['e2']);
      assert.deepEqual((await w.listExecutions({ limit: 10 })).map((x) => x.id), ['e2', 'e1']);
      assert.deepEqual((await w.listExecutions({ machine: 'm', limit: 10 })).map((x) => x.id), ['e1']);
      assert.deepEqual((await w.listExecutions({ status: 'RUNNING', limit: 10 })).map((x) => x.id), ['e2']);
      assert.deepEqual((await w.listExecutions({ before: 'e2', limit: 10 })).map((x) => x.id), ['e1']);
      // A redrive step makes it RUNNING again.
      assert.equal(await w.appendStep(stepInput('e1', 1, { status: 'RUNNING', redriveCount: 1 })), true);
      const again = await w.getExecution('e1');
      assert.deepEqual([again?.status, again?.stoppedAt, again?.redriveCount], ['RUNNING', null, 1]);
    });

    it('keeps callback task tokens written with their step; a journalled result completes them', async () => {
      const w = store.workflows;
      await w.startExecution(startInput('e1', { taskTokens: [{ taskId: 't1', token: 'tok-1.secret' }] }));
      const t = await w.getTaskToken('tok-1.secret');
      assert.deepEqual(t, { token: 'tok-1.secret', executionId: 'e1', taskId: 't1', createdAt: 1_000, invokedAt: null, completedAt: null });
      assert.deepEqual(await w.taskTokenOf('e1', 't1'), t);
      assert.equal(await w.getTaskToken('tok-1'), null, 'only the whole token finds it');
      assert.equal(await w.taskTokenOf('e1', 't9'), null);
      await w.markTaskInvoked('tok-1.secret', 1_500);
      await w.markTaskInvoked('tok-1.secret', 1_600);
      assert.equal((await w.getTaskToken('tok-1.secret'))?.invokedAt, 1_500, 'the first return counts');
      // A stale step writes nothing, not even its tokens.
      assert.equal(await w.appendStep(stepInput('e1', 5, { taskTokens: [{ taskId: 't2', token: 'tok-2' }], tasksCompleted: ['t1'] })), false);
      assert.equal(await w.getTaskToken('tok-2'), null);
      assert.equal((await w.getTaskToken('tok-1.secret'))?.completedAt, null);
      assert.equal(await w.appendStep(stepInput('e1', 0, { taskTokens: [{ taskId: 't2', token: 'tok-2' }], tasksCompleted: ['t1'], now: 3_000 })), true);
      assert.equal((await w.getTaskToken('tok-1.secret'))?.completedAt, 3_000);
      assert.deepEqual([(await w.getTaskToken('tok-2'))?.taskId, (await w.getTaskToken('tok-2'))?.completedAt], ['t2', null]);
      // Completing again keeps the first time.
      await w.appendStep(stepInput('e1', 1, { tasksCompleted: ['t1'], now: 4_000 }));
      assert.equal((await w.getTaskToken('tok-1.secret'))?.completedAt, 3_000);
    });

    it('deletes a machine with its versions and executions, never while one runs; starts of a deleted machine are refused', async () => {
      const w = store.workflows;
      await w.startExecution(startInput('e1', { timersStarted: [{ timerId: 't1', fireAt: 5_000 }], taskTokens: [{ taskId: 't1', token: 'tok-1' }] }));
      await w.startExecution(startInput('e2', { machine: 'n' }));
      assert.equal(await w.deleteMachine('m'), 'running');
      assert.equal((await w.getExecution('e1'))?.status, 'RUNNING', 'a refused delete changes nothing');
      await w.appendStep(stepInput('e1', 0, { status: 'SUCCEEDED', output: '{}', now: 3_000 }));
      assert.equal(await w.deleteMachine('m'), 'deleted');
      assert.equal(await w.getMachine('m'), null);
      assert.equal(await w.getMachineVersion('m', 1), null);
      assert.equal(await w.getExecution('e1'), null);
      assert.deepEqual(await w.history('e1', 0, 10), []);
      assert.deepEqual(await w.steps('e1'), []);
      assert.equal(await w.getTaskToken('tok-1'), null);
      assert.equal((await w.getExecution('e2'))?.machine, 'n', "another machine's executions stay");
      assert.equal(await w.deleteMachine('m'), 'not_found');
      assert.equal(await w.startExecution(startInput('e3')), false, 'no executions of a deleted machine');
    });

    it('prunes executions that ended before a time, never running ones', async () => {
      const w = store.workflows;
      await w.startExecution(startInput('old', { taskTokens: [{ taskId: 't1', token: 'tok-old' }] }));
      await w.startExecution(startInput('new', { name: 'new' }));
      await w.startExecution(startInput('run', { name: 'run' }));
      await w.appendStep(stepInput('old', 0, { status: 'SUCCEEDED', output: '{}', now: 3_000 }));
      await w.appendStep(stepInput('new', 0, { status: 'FAILED', error: 'E', now: 9_000 }));
      assert.equal(await w.pruneExecutions(5_000, 10), 1);
      assert.equal(await w.getExecution('old'), null);
      assert.deepEqual(await w.history('old', 0, 10), []);
      assert.deepEqual(await w.steps('old'), []);
      assert.equal(await w.getTaskToken('tok-old'), null);
      assert.equal((await w.getExecution('new'))?.status, 'FAILED');
      await w.startExecution(startInput('x2', { name: 'x2' }));
      await w.appendStep(stepInput('x2', 0, { status: 'ABORTED', now: 9_500 }));
      assert.equal(await w.pruneExecutions(Number.MAX_SAFE_INTEGER, 1), 1, 'at most the limit');
      assert.equal(await w.pruneExecutions(Number.MAX_SAFE_INTEGER, 10), 1);
      assert.equal((await w.getExecution('run'))?.status, 'RUNNING', 'a running execution is never pruned');
    });
  });
}
