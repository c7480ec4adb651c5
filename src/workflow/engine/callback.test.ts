/** Callback (.waitForTaskToken) tasks in the engine: tokens, completion, refusals, heartbeats, restart. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import type { InvokeOutcome, InvokeRequest } from '../../dispatch/dispatcher.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import type { Store } from '../../store/ports.ts';
import { WorkflowEngine } from './engine.ts';

type Seen = { token: string; payload: Record<string, unknown> };

function engineWith(store: Store, clock: FakeClock, seen: Seen[], throwIt = false): WorkflowEngine {
  const invoke = async (req: InvokeRequest): Promise<InvokeOutcome> => {
    const payload = (req.input.kind === 'event' ? req.input.event : {}) as Record<string, unknown>;
    seen.push({ token: payload.token as string, payload });
    if (throwIt || payload.boom) {
      return { ok: false, invocationId: req.invocationId!, record: null, error: new NimbusError('NIMBUS_ERR_FUNCTION_ERROR', 'boom', { extra: { errorName: 'Boom', errorMessage: 'it blew up' } }) };
    }
    return { ok: true, invocationId: req.invocationId!, record: { version: 1 } as never, value: 'ignored' };
  };
  return new WorkflowEngine({ clock, repo: store.workflows, invoke, onError: (e, what) => process.stderr.write(`${what}: ${String(e)}\n`) });
}

const definition = {
  StartAt: 'Wait4',
  States: {
    Wait4: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'worker', Payload: { 'token.$': '$$.Task.Token', 'boom.$': '$.boom' } },
      HeartbeatSeconds: 10,
      TimeoutSeconds: 100,
      Catch: [{ ErrorEquals: ['Declined'], ResultPath: '$.caught', Next: 'Caught' }],
      End: true,
    },
    Caught: { Type: 'Pass', End: true },
  },
};

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

/** Virtual time in 1 s steps, letting the engine's async work run between them. */
async function pass(clock: FakeClock, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 1_000) {
    clock.advance(1_000);
    await settle();
  }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return (e as NimbusError).code;
  }
}

test('the function gets a token with a secret part; success completes the task once; unknown tokens are refused', async () => {
  const store = openSqliteStore(':memory:');
  const clock = new FakeClock();
  const seen: Seen[] = [];
  const engine = engineWith(store, clock, seen);
  await engine.recover();
  await engine.deploy('cb', definition);
  const { execution } = await engine.start('cb', { boom: false });
  await settle();
  assert.equal(seen.length, 1);
  const token = seen[0].token;
  const interpreterToken = token.split('.')[0];
  assert.ok(token.length > interpreterToken.length + 30, 'the platform token adds a random part');
  assert.equal((await engine.describe(execution.id)).status, 'RUNNING', 'the function returning does not finish the task');
  assert.deepEqual([...(await engine.callbackTokens(await engine.describe(execution.id))).values()], [token]);
  // The interpreter's own token (derivable from the execution id) is not a credential.
  assert.equal(await code(engine.completeTask(interpreterToken, { type: 'success', output: 1 })), 'NIMBUS_ERR_TASK_TOKEN_NOT_FOUND');
  assert.equal(await code(engine.completeTask('nope', { type: 'success', output: 1 })), 'NIMBUS_ERR_TASK_TOKEN_NOT_FOUND');

  assert.deepEqual(await engine.completeTask(token, { type: 'heartbeat' }), { executionId: execution.id, taskId: (await store.workflows.getTaskToken(token))!.taskId });
  assert.deepEqual(await engine.completeTask(token, { type: 'success', output: { done: true } }), { executionId: execution.id, taskId: (await store.workflows.getTaskToken(token))!.taskId });
  const row = await engine.describe(execution.id);
  assert.deepEqual([row.status, JSON.parse(row.output!)], ['SUCCEEDED', { done: true }]);
  assert.equal(await code(engine.completeTask(token, { type: 'success', output: 2 })), 'NIMBUS_ERR_TASK_ALREADY_COMPLETED');
  assert.equal(await code(engine.completeTask(token, { type: 'heartbeat' })), 'NIMBUS_ERR_TASK_ALREADY_COMPLETED');
  await engine.close(100);
  await store.close();
});

test('failure goes through Catch; a throwing function fails the task; two concurrent successes: one wins', async () => {
  const store = openSqliteStore(':memory:');
  const clock = new FakeClock();
  const seen: Seen[] = [];
  const engine = engineWith(store, clock, seen);
  await engine.recover();
  await engine.deploy('cb', definition);
  const a = await engine.start('cb', { boom: false });
  await settle();
  await engine.completeTask(seen[0].token, { type: 'failure', error: 'Declined', cause: 'card' });
  const ra = await engine.describe(a.execution.id);
  assert.deepEqual([ra.status, JSON.parse(ra.output!).caught], ['SUCCEEDED', { Error: 'Declined', Cause: 'card' }]);

  const b = await engine.start('cb', { boom: true });
  await settle();
  const rb = await engine.describe(b.execution.id);
  assert.deepEqual([rb.status, rb.error, rb.cause], ['FAILED', 'Boom', 'it blew up']);
  assert.equal(await code(engine.completeTask(seen[1].token, { type: 'success', output: 1 })), 'NIMBUS_ERR_TASK_ALREADY_COMPLETED', 'the throw completed it');

  const c = await engine.start('cb', { boom: false });
  await settle();
  const results = await Promise.all([1, 2].map((n) => code(engine.completeTask(seen[2].token, { type: 'success', output: n }))));
  assert.deepEqual(results.sort(), ['NIMBUS_ERR_TASK_ALREADY_COMPLETED', 'ok']);
  assert.equal((await engine.describe(c.execution.id)).status, 'SUCCEEDED');
  await engine.close(100);
  await store.close();
});

test('heartbeats keep a callback task alive; without them it times out and its token expires', async () => {
  const store = openSqliteStore(':memory:');
  const clock = new FakeClock();
  const seen: Seen[] = [];
  const engine = engineWith(store, clock, seen);
  await engine.recover();
  await engine.deploy('cb', definition);
  const { execution } = await engine.start('cb', { boom: false });
  await settle();
  for (let i = 0; i < 3; i++) {
    await pass(clock, 8_000); // 24 s in all: beyond HeartbeatSeconds (10), kept alive by heartbeats
    await engine.completeTask(seen[0].token, { type: 'heartbeat' });
  }
  assert.equal((await engine.describe(execution.id)).status, 'RUNNING');
  await pass(clock, 11_000);
  const row = await engine.describe(execution.id);
  assert.deepEqual([row.status, row.error], ['FAILED', 'States.HeartbeatTimeout']);
  assert.equal(await code(engine.completeTask(seen[0].token, { type: 'success', output: 1 })), 'NIMBUS_ERR_TASK_TOKEN_EXPIRED');
  await engine.close(100);
  await store.close();
});

test('a restart keeps the token: the function is not invoked again and the callback still completes the task', async () => {
  const store = openSqliteStore(':memory:');
  const clock = new FakeClock();
  const seen: Seen[] = [];
  const first = engineWith(store, clock, seen);
  await first.recover();
  await first.deploy('cb', definition);
  const { execution } = await first.start('cb', { boom: false });
  await settle();
  await first.close(100);

  const second = engineWith(store, clock, seen);
  assert.equal(await second.recover(), 1);
  await settle();
  assert.equal(seen.length, 1, 'the function had returned: not invoked again');
  await second.completeTask(seen[0].token, { type: 'success', output: 'after restart' });
  const row = await second.describe(execution.id);
  assert.deepEqual([row.status, JSON.parse(row.output!)], ['SUCCEEDED', 'after restart']);
  await second.close(100);
  await store.close();
});
