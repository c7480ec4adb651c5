import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import type { InvokeOutcome, InvokeRequest } from '../../dispatch/dispatcher.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { Store } from '../../store/ports.ts';
import { WorkflowEngine } from './engine.ts';
import { taskInvocationId } from './task-runner.ts';

type Fn = (event: unknown, req: InvokeRequest) => Promise<unknown> | unknown;

function engineWith(store: Store, fns: Record<string, Fn>, calls: InvokeRequest[] = [], clock = new FakeClock()): WorkflowEngine {
  const invoke = async (req: InvokeRequest): Promise<InvokeOutcome> => {
    calls.push(req);
    const fn = fns[req.functionName];
    const id = req.invocationId!;
    if (!fn) return { ok: false, invocationId: id, record: null, error: new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', 'no such function') };
    try {
      const value = await fn(req.input.kind === 'event' ? req.input.event : null, req);
      return { ok: true, invocationId: id, record: { version: 1 } as never, value };
    } catch (e) {
      const err = e as Error;
      return { ok: false, invocationId: id, record: null, error: new NimbusError('NIMBUS_ERR_FUNCTION_ERROR', err.message, { extra: { errorName: err.name, errorMessage: err.message } }) };
    }
  };
  return new WorkflowEngine({ clock, repo: store.workflows, invoke, onError: (e, what) => process.stderr.write(`${what}: ${String(e)}\n`) });
}

const chain = {
  StartAt: 'A',
  States: {
    A: { Type: 'Task', Resource: 'fn:add', Next: 'W' },
    W: { Type: 'Wait', Seconds: 1, Next: 'B' },
    B: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'add', 'Payload.$': '$' }, OutputPath: '$.Payload', End: true },
  },
};
const add: Fn = (e) => ({ n: (e as { n: number }).n + 1 });

/** Lets pending promises (store calls, task invocations) run. */
async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** Settles, then steps the fake clock 100 ms at a time, until the execution has ended (10 simulated minutes at most). */
async function until(engine: WorkflowEngine, clock: FakeClock, id: string) {
  for (let step = 0; step <= 6_000; step++) {
    await settle();
    const row = await engine.describe(id);
    if (row.status !== 'RUNNING') return row;
    clock.advance(100);
  }
  throw new Error('still running after 10 simulated minutes');
}

/** Settles until `cond` holds; no clock step, so nothing time-driven can make it hold. */
async function settled(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await settle(1);
  assert.ok(cond(), what);
}

test('runs tasks and waits, journals every step, and invokes with trigger workflow and a key-derived id', async () => {
  const store = openSqliteStore(':memory:');
  const calls: InvokeRequest[] = [];
  const clock = new FakeClock();
  const engine = engineWith(store, { add }, calls, clock);
  await engine.recover();
  assert.equal((await engine.deploy('c', chain)).version.version, 1);
  assert.equal((await engine.deploy('c', JSON.stringify(chain))).created, false, 'same definition, same version');
  const { execution } = await engine.start('c', { n: 1 });
  // The Wait of 1 s holds B back until the clock has passed it, and no longer.
  await settled(() => calls.length === 1, 'task A ran at once');
  clock.advance(999);
  await settle();
  assert.equal(calls.length, 1, 'B waits for the Wait state');
  const row = await until(engine, clock, execution.id);
  assert.equal(row.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(row.output!), { n: 3 });
  assert.deepEqual(calls.map((c) => [c.trigger, c.triggerSource]), [['workflow', execution.id], ['workflow', execution.id]]);
  assert.equal(calls[0].invocationId, taskInvocationId(`${execution.id}:A#1:attempt-0`, row.startedAt));
  // the task's input goes with its JSON text, which gives the same event
  for (const c of calls) {
    assert.ok(c.input.kind === 'event' && c.input.json !== undefined);
    assert.deepEqual(JSON.parse(c.input.json), c.input.event);
  }
  assert.deepEqual(calls[0].input, { kind: 'event', event: { n: 1 }, json: '{"n":1}' });
  const history = (await engine.history(execution.id, 0, 1000)) as Array<{ type: string }>;
  assert.equal(history[0].type, 'ExecutionStarted');
  assert.equal(history.at(-1)!.type, 'ExecutionSucceeded');
  assert.ok(history.some((h) => h.type === 'WaitStateExited'));
  assert.equal((await store.workflows.steps(execution.id)).length, 4, 'start, task A, timer, task B');
  assert.equal(await store.workflows.nextTimerAt(), null);
  await engine.close(100);
  await store.close();
});

test('a restarted engine resumes from the snapshot and re-issues the in-flight task with the same invocation id', async () => {
  const store = openSqliteStore(':memory:');
  const first: InvokeRequest[] = [];
  const hungClock = new FakeClock();
  const hung = engineWith(store, { add: () => new Promise(() => {}) }, first, hungClock);
  await hung.recover();
  await hung.deploy('c', chain);
  const { execution } = await hung.start('c', { n: 1 });
  await settled(() => first.length === 1, 'task A was issued');
  const closing = hung.close(10); // the "crash": this engine never reports
  hungClock.advance(10);
  await closing;

  const second: InvokeRequest[] = [];
  const clock = new FakeClock();
  const engine = engineWith(store, { add }, second, clock);
  assert.equal(await engine.recover(), 1);
  const row = await until(engine, clock, execution.id);
  assert.deepEqual([row.status, JSON.parse(row.output!)], ['SUCCEEDED', { n: 3 }]);
  assert.equal(second[0].invocationId, first[0].invocationId, 'the re-issued step is recognisable');
  assert.equal(second.length, 2, 'A again (it never completed), then B');
  await engine.close(100);
  await store.close();
});

test('function errors carry their name to Retry/Catch; a failed execution can be redriven; stop aborts', async () => {
  const store = openSqliteStore(':memory:');
  let broken = true;
  const clock = new FakeClock();
  const engine = engineWith(store, {
    check: (e) => {
      if (broken) throw Object.assign(new Error('bad input'), { name: 'ValidationError' });
      return e;
    },
  }, [], clock);
  await engine.recover();
  await engine.deploy('v', {
    StartAt: 'T',
    States: {
      T: { Type: 'Task', Resource: 'fn:check', Catch: [{ ErrorEquals: ['ValidationError'], ResultPath: '$.err', Next: 'Bad' }], End: true },
      Bad: { Type: 'Fail', Error: 'Invalid', Cause: 'caught' },
    },
  });
  await engine.deploy('plain', { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'fn:check', End: true } } });
  const caught = await until(engine, clock, (await engine.start('v', {})).execution.id);
  assert.deepEqual([caught.status, caught.error], ['FAILED', 'Invalid']);
  const failed = await until(engine, clock, (await engine.start('plain', { x: 1 })).execution.id);
  assert.deepEqual([failed.status, failed.error, failed.cause], ['FAILED', 'ValidationError', 'bad input']);
  broken = false;
  await engine.redrive(failed.id);
  const redriven = await until(engine, clock, failed.id);
  assert.deepEqual([redriven.status, JSON.parse(redriven.output!), redriven.redriveCount], ['SUCCEEDED', { x: 1 }, 1]);
  await assert.rejects(engine.redrive(failed.id), /only a failed/);

  await engine.deploy('slow', { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } });
  const { execution } = await engine.start('slow', {});
  const stopped = await engine.stop(execution.id, 'Cancelled', 'by the test');
  assert.deepEqual([stopped.status, stopped.error], ['ABORTED', 'Cancelled']);
  assert.equal(await store.workflows.nextTimerAt(), null, 'its timer went');
  await engine.close(100);
  await store.close();
});

test('validation names the state and field; limits are enforced; named starts are idempotent', async () => {
  const store = openSqliteStore(':memory:');
  const engine = engineWith(store, { add });
  await engine.recover();
  await assert.rejects(
    engine.deploy('bad', { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'fn:add', Next: 'Nowhere' } } }),
    (e: NimbusError) => e.code === 'NIMBUS_ERR_VALIDATION' && JSON.stringify(e.extra.errors).includes('"state":"A"'),
  );
  await engine.deploy('p', 'StartAt: A\nStates:\n  A:\n    Type: Pass\n    End: true\n');
  await assert.rejects(engine.start('p', { big: 'x'.repeat(300_000) }), (e: NimbusError) => e.code === 'NIMBUS_ERR_PAYLOAD_TOO_LARGE');
  await assert.rejects(engine.start('nope', {}), (e: NimbusError) => e.code === 'NIMBUS_ERR_WORKFLOW_NOT_FOUND');
  const a = await engine.start('p', { k: 1 }, { name: 'once' });
  const b = await engine.start('p', { k: 1 }, { name: 'once' });
  assert.deepEqual([a.created, b.created, b.execution.id], [true, false, a.execution.id]);
  await assert.rejects(engine.start('p', { k: 2 }, { name: 'once' }), (e: NimbusError) => e.code === 'NIMBUS_ERR_STATE_CONFLICT');
  const run = await engine.run('p', { k: 3 }, 1_000);
  assert.deepEqual(run.end, { status: 'SUCCEEDED', output: { k: 3 }, error: null, cause: null });
  await engine.close(100);
  await store.close();
});

test('ended executions are deleted once past the retention; running ones stay', async () => {
  const store = openSqliteStore(':memory:');
  const clock = new FakeClock(Date.now());
  const engine = new WorkflowEngine({ clock, repo: store.workflows, invoke: async () => { throw new Error('no tasks here'); }, executionRetentionMs: 60_000 });
  await engine.recover();
  await engine.deploy('p', { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } });
  await engine.deploy('w', { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } });
  const ended = (await engine.start('p', {})).execution;
  const waiting = (await engine.start('w', {})).execution;
  assert.equal(ended.status, 'SUCCEEDED');
  clock.advance(59_000);
  await new Promise((r) => setImmediate(r));
  assert.notEqual(await store.workflows.getExecution(ended.id), null, 'kept within the retention');
  clock.advance(6_001); // past the retention, and a pruning pass (every 6 s here) comes
  for (let i = 0; i < 20 && (await store.workflows.getExecution(ended.id)) !== null; i++) await new Promise((r) => setImmediate(r));
  assert.equal(await store.workflows.getExecution(ended.id), null);
  assert.equal((await store.workflows.getExecution(waiting.id))?.status, 'RUNNING');
  await engine.close(100);
  await store.close();
});

/** The store's workflow journal, whose step writes fail ('disk full') while `refuse()` says so. */
function refusingJournal(store: Store, refuse: () => boolean): Store['workflows'] {
  const repo = Object.create(store.workflows) as Store['workflows'];
  repo.appendStep = async (input) => {
    if (refuse()) throw new Error('disk full');
    return store.workflows.appendStep(input);
  };
  return repo;
}

test('a step the store does not journal leaves the execution as journalled: the same result delivered again carries it on', async () => {
  const store = openSqliteStore(':memory:');
  const clock = new FakeClock();
  let refuse = 1;
  const repo = refusingJournal(store, () => refuse-- > 0);
  const errors: string[] = [];
  const calls: InvokeRequest[] = [];
  const invoke = async (req: InvokeRequest): Promise<InvokeOutcome> => {
    calls.push(req);
    return { ok: true, invocationId: req.invocationId!, record: { version: 1 } as never, value: add(req.input.kind === 'event' ? req.input.event : null, req) };
  };
  const engine = new WorkflowEngine({ clock, repo, invoke, onError: (e) => errors.push(String(e)) });
  await engine.recover();
  await engine.deploy('two', { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'fn:add', Next: 'B' }, B: { Type: 'Task', Resource: 'fn:add', End: true } } });
  const { execution } = await engine.start('two', { n: 1 });
  await settled(() => errors.length > 0, 'the first task result was not journalled');
  assert.ok(errors.every((e) => /disk full/.test(e)), errors.join('; '));
  assert.equal(calls.length, 1, 'B was not invoked: its step was not journalled');
  const row = await engine.describe(execution.id);
  assert.equal(row.seq, 0);
  const waiting = engine.pending(row);
  assert.deepEqual(waiting.map((c) => c.type === 'InvokeTask' && c.stateName), ['A'], 'still waiting for A');
  const taskId = (waiting[0] as { taskId: string }).taskId;
  await engine.deliver(execution.id, { type: 'TaskSucceeded', taskId, output: { n: 2 } });
  const end = await until(engine, clock, execution.id);
  assert.equal(end.status, 'SUCCEEDED');
  assert.deepEqual(JSON.parse(end.output!), { n: 3 });
  assert.deepEqual(calls.map((c) => (c.input.kind === 'event' ? c.input.event : null)), [{ n: 1 }, { n: 2 }]);
  await engine.close(100);
  await store.close();
});

test('a redrive the store does not journal leaves the execution as it was: failed, and it can be redriven again', async () => {
  const store = openSqliteStore(':memory:');
  const clock = new FakeClock();
  let refuse = 0;
  let broken = true;
  const repo = refusingJournal(store, () => refuse-- > 0);
  const invoke = async (req: InvokeRequest): Promise<InvokeOutcome> =>
    broken
      ? { ok: false, invocationId: req.invocationId!, record: { version: 1 } as never, error: new NimbusError('NIMBUS_ERR_FUNCTION_ERROR', 'it failed', { extra: { errorName: 'Boom', errorMessage: 'it failed' } }) }
      : { ok: true, invocationId: req.invocationId!, record: { version: 1 } as never, value: add(req.input.kind === 'event' ? req.input.event : null, req) };
  const engine = new WorkflowEngine({ clock, repo, invoke, onError: () => undefined });
  await engine.recover();
  await engine.deploy('one', { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'fn:add', End: true } } });
  const failed = await until(engine, clock, (await engine.start('one', { n: 1 })).execution.id);
  assert.equal(failed.status, 'FAILED');
  broken = false;
  refuse = 1;
  await assert.rejects(engine.redrive(failed.id), /disk full/);
  assert.equal((await engine.describe(failed.id)).status, 'FAILED', 'as stored');
  await engine.redrive(failed.id);
  const redriven = await until(engine, clock, failed.id);
  assert.deepEqual([redriven.status, JSON.parse(redriven.output!), redriven.redriveCount], ['SUCCEEDED', { n: 2 }, 1]);
  await engine.close(100);
  await store.close();
});

test('while a step waits for its journal write, a running execution reports what is journalled as waiting', async () => {
  const store = openSqliteStore(':memory:');
  const clock = new FakeClock();
  let open: (() => void) | null = null;
  let held = 0;
  const repo = Object.create(store.workflows) as Store['workflows'];
  repo.appendStep = async (input) => {
    held++;
    await new Promise<void>((resolve) => (open = resolve));
    return store.workflows.appendStep(input);
  };
  const invoke = async (req: InvokeRequest): Promise<InvokeOutcome> => ({
    ok: true,
    invocationId: req.invocationId!,
    record: { version: 1 } as never,
    value: add(req.input.kind === 'event' ? req.input.event : null, req),
  });
  const engine = new WorkflowEngine({ clock, repo, invoke, onError: (e, what) => process.stderr.write(`${what}: ${String(e)}\n`) });
  await engine.recover();
  await engine.deploy('two', { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'fn:add', Next: 'B' }, B: { Type: 'Task', Resource: 'fn:add', End: true } } });
  const { execution } = await engine.start('two', { n: 1 });
  await settled(() => held === 1, "A's result waits for its journal write");
  const waitingFor = async () => engine.pending(await engine.describe(execution.id)).map((c) => c.type === 'InvokeTask' && c.stateName);
  assert.deepEqual(await waitingFor(), ['A'], 'B is not journalled yet');
  (open as unknown as () => void)();
  await settled(() => held === 2, "B's result waits for its journal write");
  assert.deepEqual(await waitingFor(), ['B']);
  (open as unknown as () => void)();
  const end = await until(engine, clock, execution.id);
  assert.deepEqual(JSON.parse(end.output!), { n: 3 });
  await engine.close(100);
  await store.close();
});
