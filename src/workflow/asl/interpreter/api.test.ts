import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../../core/clock.ts';
import { isNimbusError } from '../../../core/errors.ts';
import { apply, outstandingCommands, parseStateMachine, redrive, seededRandom, start } from '../index.ts';
import { runToCompletion } from '../testing/driver.ts';
import type { Command, InvokeTaskCommand, Snapshot, StartTimerCommand, Step } from '../types.ts';

const T0 = 1_700_000_000_000;
const rnd = (n = 0) => seededRandom(`test:${n}`);
const exec = { executionId: 'exec-42' };

function invokes(step: Step): InvokeTaskCommand[] {
  return step.commands.filter((c): c is InvokeTaskCommand => c.type === 'InvokeTask');
}
function timers(step: Step): StartTimerCommand[] {
  return step.commands.filter((c): c is StartTimerCommand => c.type === 'StartTimer');
}
function types(cs: Command[]): string[] {
  return cs.map((c) => c.type);
}

const oneTask = parseStateMachine({
  StartAt: 'T',
  States: {
    T: { Type: 'Task', Resource: 'fn:work', Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 5 }], Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
});

test('start schedules the first task as a command with an idempotency key', async () => {
  const step = await start(oneTask, { a: 1 }, exec, T0, rnd());
  assert.equal(step.snapshot.status, 'RUNNING');
  const [cmd] = invokes(step);
  assert.deepEqual(cmd.target, { kind: 'function', name: 'work', integration: 'direct' });
  assert.deepEqual(cmd.payload, { a: 1 });
  assert.equal(cmd.attempt, 0);
  assert.equal(cmd.statePath, 'T#1');
  assert.equal(cmd.idempotencyKey, 'exec-42:T#1:attempt-0');
  assert.deepEqual(step.history.map((h) => h.type), ['ExecutionStarted', 'TaskStateEntered', 'TaskScheduled']);
  assert.equal(step.history[0].timestamp, new Date(T0).toISOString());
  assert.deepEqual(outstandingCommands(step.snapshot), [cmd]);
});

test('apply never mutates the snapshot it is given, and the snapshot is plain JSON', async () => {
  const s0 = await start(oneTask, { a: 1 }, exec, T0, rnd());
  const frozen = JSON.stringify(s0.snapshot);
  const taskId = invokes(s0)[0].taskId;
  const s1 = await apply(oneTask, s0.snapshot, { type: 'TaskSucceeded', taskId, output: { ok: true } }, T0 + 10, rnd(1));
  assert.equal(JSON.stringify(s0.snapshot), frozen);
  assert.equal(s1.snapshot.status, 'SUCCEEDED');
  assert.deepEqual(s1.snapshot.output, { ok: true });
  assert.deepEqual(types(s1.commands), ['ExecutionSucceeded']);
  assert.deepEqual(JSON.parse(JSON.stringify(s1.snapshot)), s1.snapshot);
});

test('the same events with the same time and randomness give identical steps (replay)', async () => {
  const machine = parseStateMachine({
    StartAt: 'P',
    States: {
      P: { Type: 'Pass', Parameters: { 'id.$': 'States.UUID()', 'r.$': 'States.MathRandom(0, 1000)' }, Next: 'T' },
      T: { Type: 'Task', Resource: 'fn:work', Retry: [{ ErrorEquals: ['States.ALL'], JitterStrategy: 'FULL' }], End: true },
    },
  });
  const replay = async (): Promise<Step[]> => {
    const steps: Step[] = [await start(machine, {}, exec, T0, rnd(0))];
    const taskId = invokes(steps[0])[0].taskId;
    steps.push(await apply(machine, steps[0].snapshot, { type: 'TaskFailed', taskId, error: 'Boom', cause: 'x' }, T0 + 5, rnd(1)));
    const timer = timers(steps[1])[0];
    steps.push(await apply(machine, steps[1].snapshot, { type: 'TimerFired', timerId: timer.timerId }, timer.fireAt, rnd(2)));
    return steps;
  };
  const a = await replay();
  const b = await replay();
  assert.deepEqual(a, b);
  const fireAt = timers(a[1])[0].fireAt;
  assert.ok(fireAt >= T0 + 5 && fireAt <= T0 + 5 + 1000, 'FULL jitter stays within [0, 1 s)');
});

test('stale and unknown events are ignored without changes', async () => {
  const s0 = await start(oneTask, {}, exec, T0, rnd());
  const taskId = invokes(s0)[0].taskId;
  const unknown = await apply(oneTask, s0.snapshot, { type: 'TaskSucceeded', taskId: 'nope', output: 1 }, T0, rnd());
  assert.deepEqual(unknown.commands, []);
  assert.deepEqual(unknown.history, []);
  assert.deepEqual(unknown.snapshot, s0.snapshot);
  const done = await apply(oneTask, s0.snapshot, { type: 'TaskSucceeded', taskId, output: 1 }, T0, rnd());
  const again = await apply(oneTask, done.snapshot, { type: 'TaskSucceeded', taskId, output: 2 }, T0, rnd());
  assert.deepEqual(again.commands, []);
  assert.equal(again.snapshot.output, 1);
  const timerOnDone = await apply(oneTask, done.snapshot, { type: 'TimerFired', timerId: 'w999' }, T0, rnd());
  assert.deepEqual(timerOnDone.commands, []);
});

test('a retry is a durable timer, then the same step with the next attempt number', async () => {
  const s0 = await start(oneTask, {}, exec, T0, rnd());
  const first = invokes(s0)[0];
  const s1 = await apply(oneTask, s0.snapshot, { type: 'TaskFailed', taskId: first.taskId, error: 'Flaky' }, T0 + 100, rnd());
  const [timer] = timers(s1);
  assert.equal(timer.purpose, 'retry');
  assert.equal(timer.fireAt, T0 + 100 + 5000);
  assert.deepEqual(invokes(s1), []);
  const s2 = await apply(oneTask, s1.snapshot, { type: 'TimerFired', timerId: timer.timerId }, timer.fireAt, rnd());
  const second = invokes(s2)[0];
  assert.equal(second.attempt, 1);
  assert.equal(second.idempotencyKey, 'exec-42:T#1:attempt-1');
  assert.notEqual(second.taskId, first.taskId);
  assert.equal(s2.transitions, 1);
});

test('a state visited again in a loop gets a new idempotency key', async () => {
  const machine = parseStateMachine({
    StartAt: 'T',
    States: {
      T: { Type: 'Task', Resource: 'fn:work', Next: 'C' },
      C: { Type: 'Choice', Choices: [{ Variable: '$.again', BooleanEquals: true, Next: 'T' }], Default: 'D' },
      D: { Type: 'Succeed' },
    },
  });
  const r = await runToCompletion(machine, {}, {
    work: (() => {
      let n = 0;
      return () => ({ again: n++ === 0 });
    })(),
  }, { executionId: 'loop' });
  assert.equal(r.status, 'SUCCEEDED');
  assert.deepEqual(r.invocations.map((i) => i.idempotencyKey), ['loop:T#1:attempt-0', 'loop:T#2:attempt-0']);
});

test('a chain of Pass and Choice states runs in one call, one history entry per transition', async () => {
  const states: Record<string, unknown> = {};
  for (let i = 0; i < 50; i++) states[`S${i}`] = { Type: 'Pass', Next: i === 49 ? 'C' : `S${i + 1}` };
  states.C = { Type: 'Choice', Choices: [{ Variable: '$.x', NumericEquals: 1, Next: 'End' }] };
  states.End = { Type: 'Succeed' };
  const machine = parseStateMachine({ StartAt: 'S0', States: states });
  const step = await start(machine, { x: 1 }, exec, T0, rnd());
  assert.equal(step.snapshot.status, 'SUCCEEDED');
  assert.equal(step.transitions, 52);
  assert.equal(step.history.filter((h) => h.type.endsWith('StateEntered')).length, 52);
  assert.deepEqual(types(step.commands), ['ExecutionSucceeded']);
});

test('Parallel branches and Map iterations have several tasks outstanding; Map honours MaxConcurrency', async () => {
  const machine = parseStateMachine({
    StartAt: 'P',
    States: {
      P: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'fn:a', End: true } } },
          {
            StartAt: 'M',
            States: {
              M: { Type: 'Map', MaxConcurrency: 2, ItemProcessor: { StartAt: 'B', States: { B: { Type: 'Task', Resource: 'fn:b', End: true } } }, End: true },
            },
          },
        ],
        End: true,
      },
    },
  });
  const s0 = await start(machine, [1, 2, 3, 4], exec, T0, rnd());
  const cmds = invokes(s0);
  assert.deepEqual(cmds.map((c) => [c.target.kind === 'function' ? c.target.name : '', c.statePath]), [
    ['a', 'P/0/A#1'],
    ['b', 'P/1/M/0/B#1'],
    ['b', 'P/1/M/1/B#1'],
  ]);
  const s1 = await apply(machine, s0.snapshot, { type: 'TaskSucceeded', taskId: cmds[1].taskId, output: 'one' }, T0 + 1, rnd());
  assert.deepEqual(invokes(s1).map((c) => c.statePath), ['P/1/M/2/B#1']);
});

test('a task timeout cancels the task and fails the state with States.Timeout', async () => {
  const machine = parseStateMachine({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'fn:slow', TimeoutSeconds: 30, End: true } } });
  const s0 = await start(machine, {}, exec, T0, rnd());
  const [cmd] = invokes(s0);
  assert.equal(cmd.timeoutSeconds, 30);
  const [timer] = timers(s0);
  assert.deepEqual([timer.purpose, timer.fireAt], ['task-timeout', T0 + 30_000]);
  const s1 = await apply(machine, s0.snapshot, { type: 'TimerFired', timerId: timer.timerId }, timer.fireAt, rnd());
  assert.deepEqual(types(s1.commands), ['CancelTask', 'ExecutionFailed']);
  assert.equal(s1.snapshot.error, 'States.Timeout');
  const late = await apply(machine, s1.snapshot, { type: 'TaskSucceeded', taskId: cmd.taskId, output: 1 }, timer.fireAt + 1, rnd());
  assert.deepEqual(late.commands, []);
});

test('waitForTaskToken: the token reaches the payload, heartbeats extend, silence is States.HeartbeatTimeout', async () => {
  const machine = parseStateMachine({
    StartAt: 'Approve',
    States: {
      Approve: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'notify', Payload: { 'token.$': '$$.Task.Token' } },
        HeartbeatSeconds: 60,
        TimeoutSeconds: 3600,
        Catch: [{ ErrorEquals: ['States.HeartbeatTimeout'], Next: 'Expired' }],
        End: true,
      },
      Expired: { Type: 'Pass', Result: 'expired', End: true },
    },
  });
  const s0 = await start(machine, {}, exec, T0, rnd());
  const [cmd] = invokes(s0);
  assert.equal(cmd.callback, true);
  assert.ok(cmd.taskToken !== null && cmd.taskToken.length >= 20);
  assert.deepEqual(cmd.payload, { token: cmd.taskToken });
  const hb = timers(s0).find((t) => t.purpose === 'heartbeat')!;
  assert.equal(hb.fireAt, T0 + 60_000);
  const s1 = await apply(machine, s0.snapshot, { type: 'TaskHeartbeat', taskId: cmd.taskId }, T0 + 30_000, rnd());
  assert.deepEqual(types(s1.commands), ['CancelTimer', 'StartTimer']);
  const hb2 = timers(s1)[0];
  assert.equal(hb2.fireAt, T0 + 90_000);
  const stale = await apply(machine, s1.snapshot, { type: 'TimerFired', timerId: hb.timerId }, T0 + 60_000, rnd());
  assert.deepEqual(stale.commands, []);
  const s2 = await apply(machine, s1.snapshot, { type: 'TimerFired', timerId: hb2.timerId }, hb2.fireAt, rnd());
  assert.equal(s2.snapshot.status, 'SUCCEEDED');
  assert.equal(s2.snapshot.output, 'expired');
  assert.ok(s2.commands.some((c) => c.type === 'CancelTask' && c.taskId === cmd.taskId));
  const callback = await apply(machine, s0.snapshot, { type: 'TaskSucceeded', taskId: cmd.taskId, output: { approved: true } }, T0 + 5, rnd());
  assert.deepEqual(callback.snapshot.output, { approved: true }, 'a callback result is not wrapped in Payload');
});

test('StopRequested aborts: outstanding tasks and timers are cancelled', async () => {
  const machine = parseStateMachine({
    TimeoutSeconds: 600,
    StartAt: 'P',
    States: {
      P: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'fn:a', End: true } } },
          { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 100, End: true } } },
        ],
        End: true,
      },
    },
  });
  const s0 = await start(machine, {}, exec, T0, rnd());
  assert.equal(timers(s0).filter((t) => t.purpose === 'execution-timeout').length, 1);
  const s1 = await apply(machine, s0.snapshot, { type: 'StopRequested', cause: 'operator' }, T0 + 1, rnd());
  assert.equal(s1.snapshot.status, 'ABORTED');
  assert.deepEqual(types(s1.commands).sort(), ['CancelTask', 'CancelTimer', 'CancelTimer', 'ExecutionAborted']);
  assert.deepEqual(s1.snapshot.pending, {});
  assert.equal(s1.history.at(-1)!.type, 'ExecutionAborted');
});

test('a snapshot restored from JSON continues exactly like the original (crash recovery)', async () => {
  const machine = parseStateMachine({
    StartAt: 'M',
    States: { M: { Type: 'Map', ItemProcessor: { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'fn:t', End: true } } }, End: true } },
  });
  const s0 = await start(machine, [1, 2], exec, T0, rnd());
  const restored = JSON.parse(JSON.stringify(s0.snapshot)) as Snapshot;
  const reissue = outstandingCommands(restored);
  assert.deepEqual(reissue, invokes(s0));
  let a = s0.snapshot;
  let b = restored;
  for (const c of invokes(s0)) {
    const sa = await apply(machine, a, { type: 'TaskSucceeded', taskId: c.taskId, output: c.payload }, T0 + 1, rnd());
    const sb = await apply(machine, b, { type: 'TaskSucceeded', taskId: c.taskId, output: c.payload }, T0 + 1, rnd());
    assert.deepEqual(sa, sb);
    a = sa.snapshot;
    b = sb.snapshot;
  }
  assert.deepEqual(b.output, [1, 2]);
});

test('redrive re-runs only the failed Map iteration and keeps the other results', async () => {
  const machine = parseStateMachine({
    StartAt: 'M',
    States: {
      M: { Type: 'Map', ItemProcessor: { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'fn:t', End: true } } }, Next: 'After' },
      After: { Type: 'Pass', End: true },
    },
  });
  const s0 = await start(machine, ['a', 'b', 'c'], exec, T0, rnd());
  const [ta, tb, tc] = invokes(s0);
  let s = await apply(machine, s0.snapshot, { type: 'TaskSucceeded', taskId: ta.taskId, output: 'A' }, T0 + 1, rnd());
  s = await apply(machine, s.snapshot, { type: 'TaskFailed', taskId: tb.taskId, error: 'Down', cause: 'b failed' }, T0 + 2, rnd());
  assert.equal(s.snapshot.status, 'FAILED');
  assert.ok(s.commands.some((c) => c.type === 'CancelTask' && c.taskId === tc.taskId));
  const r = await redrive(machine, s.snapshot, T0 + 1000, rnd());
  assert.equal(r.snapshot.status, 'RUNNING');
  assert.equal(r.history[0].type, 'ExecutionRedriven');
  const again = invokes(r);
  assert.deepEqual(again.map((c) => [c.payload, c.idempotencyKey]), [
    ['b', 'exec-42:M/1/T#2:attempt-0:redrive-1'],
    ['c', 'exec-42:M/2/T#2:attempt-0:redrive-1'],
  ]);
  let t = await apply(machine, r.snapshot, { type: 'TaskSucceeded', taskId: again[0].taskId, output: 'B' }, T0 + 1001, rnd());
  t = await apply(machine, t.snapshot, { type: 'TaskSucceeded', taskId: again[1].taskId, output: 'C' }, T0 + 1002, rnd());
  assert.equal(t.snapshot.status, 'SUCCEEDED');
  assert.deepEqual(t.snapshot.output, ['A', 'B', 'C']);
  const redriveCount = await apply(machine, t.snapshot, { type: 'StopRequested' }, T0, rnd());
  assert.equal(redriveCount.snapshot.execution.redriveCount, 1);
});

test('redrive re-enters a failed top-level state with its original input', async () => {
  const machine = parseStateMachine({
    StartAt: 'Prep',
    States: { Prep: { Type: 'Pass', Result: { n: 1 }, Next: 'T' }, T: { Type: 'Task', Resource: 'fn:t', End: true } },
  });
  const r1 = await runToCompletion(machine, {}, { t: () => { throw { name: 'Down', message: 'x' }; } });
  assert.equal(r1.status, 'FAILED');
  const step = await redrive(machine, r1.snapshot, T0 + 5000, rnd());
  const [cmd] = invokes(step);
  assert.deepEqual(cmd.payload, { n: 1 });
  assert.equal(step.history.filter((h) => h.type === 'PassStateEntered').length, 0, 'Prep is not run again');
  await assert.rejects(redrive(machine, (await apply(machine, step.snapshot, { type: 'TaskSucceeded', taskId: cmd.taskId, output: 1 }, T0, rnd())).snapshot, T0, rnd()), (err: unknown) => isNimbusError(err) && err.code === 'NIMBUS_ERR_STATE_CONFLICT');
});

test('redrive after an execution timeout starts a fresh execution timer', async () => {
  const machine = parseStateMachine({ TimeoutSeconds: 10, StartAt: 'T', States: { T: { Type: 'Task', Resource: 'fn:t', End: true } } });
  const r = await runToCompletion(machine, {}, { t: () => 'late' }, { latencyMs: 20_000 });
  assert.equal(r.status, 'TIMED_OUT');
  const step = await redrive(machine, r.snapshot, T0 + 60_000, rnd());
  assert.deepEqual(timers(step).map((t) => [t.purpose, t.fireAt]), [['execution-timeout', T0 + 70_000]]);
  assert.equal(invokes(step).length, 1);
});

test('the history limit fails a runaway execution with States.Runtime', async () => {
  const machine = parseStateMachine(
    { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'B' }, B: { Type: 'Pass', Next: 'A' } } },
    { limits: { maxHistoryEvents: 100 } },
  );
  const step = await start(machine, {}, exec, T0, rnd());
  assert.equal(step.snapshot.status, 'FAILED');
  assert.equal(step.snapshot.error, 'States.Runtime');
  assert.match(step.snapshot.cause!, /history limit/);
  assert.ok(step.history.length <= 102);
});

test('payload limits: a large task result is States.DataLimitExceeded; a large input is refused', async () => {
  const machine = parseStateMachine(
    { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'fn:big', End: true } } },
    { limits: { maxPayloadBytes: 1000 } },
  );
  const r = await runToCompletion(machine, {}, { big: () => ({ blob: 'x'.repeat(2000) }) });
  assert.equal(r.error, 'States.DataLimitExceeded');
  await assert.rejects(start(machine, { blob: 'x'.repeat(2000) }, exec, T0, rnd()), (err: unknown) => isNimbusError(err) && err.code === 'NIMBUS_ERR_PAYLOAD_TOO_LARGE' && typeof err.extra.limit === 'number');
  const def = parseStateMachine({ StartAt: 'T', States: { T: { Type: 'Task', Resource: 'fn:big', End: true } } });
  const ok = await runToCompletion(def, {}, { big: () => ({ blob: 'x'.repeat(200_000) }) });
  assert.equal(ok.status, 'SUCCEEDED', '200 KB is under the default 256 KiB');
  const big = await runToCompletion(def, {}, { big: () => ({ blob: 'x'.repeat(262_144) }) });
  assert.equal(big.error, 'States.DataLimitExceeded');
});

test('HTTP task commands carry method, URL, headers, query and body', async () => {
  const machine = parseStateMachine({
    StartAt: 'Call',
    States: {
      Call: {
        Type: 'Task',
        Resource: 'arn:aws:states:::http:invoke',
        Parameters: { ApiEndpoint: 'https://api.example.com/v1', Method: 'put', Headers: { 'x-n': 1 }, QueryParameters: { q: 'a b' }, RequestBody: { 'id.$': '$.id' }, Authentication: { ConnectionArn: 'c' } },
        End: true,
      },
    },
  });
  const step = await start(machine, { id: 7 }, exec, T0, rnd());
  const [cmd] = invokes(step);
  assert.deepEqual(cmd.target, {
    kind: 'http',
    method: 'PUT',
    url: 'https://api.example.com/v1',
    headers: { 'x-n': '1' },
    query: { q: 'a b' },
    options: { Authentication: { ConnectionArn: 'c' } },
  });
  assert.deepEqual(cmd.payload, { id: 7 });
});

test('lambda:invoke reports the executed version the host passes back', async () => {
  const machine = parseStateMachine({
    StartAt: 'T',
    States: { T: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'f:live' }, ResultSelector: { 'v.$': '$.ExecutedVersion' }, End: true } },
  });
  const s0 = await start(machine, {}, exec, T0, rnd());
  const [cmd] = invokes(s0);
  assert.deepEqual(cmd.target, { kind: 'function', name: 'f', qualifier: 'live', integration: 'invoke' });
  const s1 = await apply(machine, s0.snapshot, { type: 'TaskSucceeded', taskId: cmd.taskId, output: null, executedVersion: '12' }, T0, rnd());
  assert.deepEqual(s1.snapshot.output, { v: '12' });
});

test('the driver gives the same result whether snapshots are copied or updated in place', async () => {
  const def = {
    StartAt: 'M',
    States: { M: { Type: 'Map', MaxConcurrency: 2, ItemProcessor: { StartAt: 'T', States: { T: { Type: 'Task', Resource: 'fn:t', Retry: [{ ErrorEquals: ['E'], JitterStrategy: 'FULL' }], End: true } } }, End: true } },
  };
  const make = () => {
    let n = 0;
    return { t: (x: unknown) => { if (n++ % 3 === 1) throw { name: 'E' }; return x; } };
  };
  const a = await runToCompletion(def, [1, 2, 3, 4], make(), { latencyMs: 10 });
  const b = await runToCompletion(def, [1, 2, 3, 4], make(), { latencyMs: 10, copySnapshots: true });
  assert.deepEqual([a.status, a.output, a.elapsedMs, a.history], [b.status, b.output, b.elapsedMs, b.history]);
  assert.equal(a.status, 'SUCCEEDED');
});

test('the driver can follow a FakeClock', async () => {
  const clock = new FakeClock(T0);
  const seen: number[] = [];
  clock.setTimer(1500, () => seen.push(clock.now()));
  const r = await runToCompletion({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3, End: true } } }, {}, {}, { clock });
  assert.equal(r.elapsedMs, 3000);
  assert.equal(clock.now(), T0 + 3000);
  assert.deepEqual(seen, [T0 + 1500]);
});

test('a SecondsPath past the Step Functions limit fails the state (States.Runtime) instead of parking for ages', async () => {
  const def = { StartAt: 'W', States: { W: { Type: 'Wait', SecondsPath: '$.s', End: true } } };
  for (const s of [1e20, 100_000_000]) {
    const r = await runToCompletion(def, { s }, {});
    assert.equal(r.status, 'FAILED', String(s));
    assert.equal(r.error, 'States.Runtime');
    assert.match(String(r.cause), /SecondsPath.*up to 99999999/);
  }
  const ok = await runToCompletion(def, { s: 2 }, {});
  assert.equal(ok.status, 'SUCCEEDED');
});
