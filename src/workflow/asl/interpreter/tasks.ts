/**
 * Task states: scheduling an InvokeTask command (with timeout and heartbeat timers), and
 * turning the host's TaskSucceeded / TaskFailed / TaskHeartbeat / TimerFired events back
 * into state transitions.
 */
import { StatesError, StatesErrors } from '../errors.ts';
import { checkSize } from '../limits.ts';
import type { CompiledState } from '../model.ts';
import { randomToken } from '../random.ts';
import { buildTask, taskResult } from '../resources.ts';
import type { InvokeTaskCommand, Json, TaskFailedEvent, TaskHeartbeatEvent, TaskSucceededEvent } from '../types.ts';
import { applyIoPath, evalInteger, evalPayload } from './dataflow.ts';
import type { Next, Run, ThreadRef } from './run.ts';
import { effectiveInput, executeState, finishWait, finishWithResult } from './states.ts';

export function idempotencyKey(run: Run, ref: ThreadRef, attempt: number): string {
  const parts = [run.snap.execution.id, run.statePath(ref), `attempt-${attempt}`];
  if (run.snap.execution.redriveCount > 0) parts.push(`redrive-${run.snap.execution.redriveCount}`);
  return parts.join(':');
}

export async function startTask(run: Run, ref: ThreadRef, st: CompiledState): Promise<Next> {
  const cur = ref.thread.cur!;
  const spec = st.resource!;
  const callback = spec.kind === 'lambda-invoke' && spec.callback;
  cur.attempt = cur.retryCount;
  if (callback) cur.taskToken = randomToken(run.random);
  else delete cur.taskToken;
  const env = run.env(ref, cur.input);
  const payloadIn = await effectiveInput(st, env, cur.input);
  const selected = st.ql === 'JSONPath' ? applyIoPath(st.inputPath, cur.input, env, 'InputPath') : cur.input;
  const timeoutSeconds = await evalInteger(st.timeoutSeconds, env.withInput(selected), cur.input, st.ql, 'TimeoutSeconds', 1);
  const heartbeatSeconds = await evalInteger(st.heartbeatSeconds, env.withInput(selected), cur.input, st.ql, 'HeartbeatSeconds', 1);
  if (timeoutSeconds !== null && heartbeatSeconds !== null && heartbeatSeconds >= timeoutSeconds) {
    throw new StatesError(StatesErrors.Runtime, `HeartbeatSeconds (${heartbeatSeconds}) must be smaller than TimeoutSeconds (${timeoutSeconds})`);
  }
  const credentials = st.credentials === null ? null : await evalPayload(st.credentials, env.withInput(selected), cur.input);
  const { target, payload } = buildTask(spec, payloadIn);
  checkSize(payload, run.machine.limits.maxPayloadBytes, `input of task "${st.name}"`);

  const taskId = run.newId('t');
  cur.taskId = taskId;
  cur.taskTarget = target;
  cur.phase = 'task';
  const command: InvokeTaskCommand = {
    type: 'InvokeTask',
    taskId,
    target,
    payload,
    timeoutSeconds,
    heartbeatSeconds,
    idempotencyKey: idempotencyKey(run, ref, cur.attempt),
    attempt: cur.attempt,
    statePath: run.statePath(ref),
    stateName: st.name,
    taskToken: cur.taskToken ?? null,
    callback,
    credentials,
  };
  run.snap.pending[taskId] = { addr: [...ref.addr], kind: 'task', purpose: 'task', command };
  if (timeoutSeconds !== null) cur.timeoutTimerId = run.startTimer(ref, 'task-timeout', run.now + timeoutSeconds * 1000);
  if (heartbeatSeconds !== null && callback) {
    cur.heartbeatSeconds = heartbeatSeconds;
    cur.heartbeatTimerId = run.startTimer(ref, 'heartbeat', run.now + heartbeatSeconds * 1000);
  }
  run.command(command);
  run.event(ref, 'TaskScheduled', {
    taskScheduledEventDetails: {
      resource: st.resourceText,
      resourceType: spec.kind,
      parameters: payload,
      timeoutInSeconds: timeoutSeconds,
      heartbeatInSeconds: heartbeatSeconds,
      taskId,
      attempt: cur.attempt,
      target,
    },
  });
  return null;
}

function stopTimers(run: Run, ref: ThreadRef): void {
  const cur = ref.thread.cur!;
  run.cancelTimer(cur.timeoutTimerId);
  run.cancelTimer(cur.heartbeatTimerId);
  delete cur.timeoutTimerId;
  delete cur.heartbeatTimerId;
}

/** Finds the thread waiting for a task, or null when the event is stale. */
function taskThread(run: Run, taskId: string): ThreadRef | null {
  const p = run.snap.pending[taskId];
  if (p === undefined || p.kind !== 'task') return null;
  const ref = run.resolve(p.addr);
  if (ref === null || ref.thread.status !== 'running' || ref.thread.cur?.taskId !== taskId || ref.thread.cur.phase !== 'task') {
    delete run.snap.pending[taskId];
    return null;
  }
  return ref;
}

export async function onTaskEvent(run: Run, event: TaskSucceededEvent | TaskFailedEvent | TaskHeartbeatEvent): Promise<void> {
  const ref = taskThread(run, event.taskId);
  if (ref === null) return;
  const cur = ref.thread.cur!;
  const st = run.state(ref);
  if (event.type === 'TaskHeartbeat') {
    if (cur.heartbeatTimerId !== undefined && cur.heartbeatSeconds !== undefined) {
      run.cancelTimer(cur.heartbeatTimerId);
      cur.heartbeatTimerId = run.startTimer(ref, 'heartbeat', run.now + cur.heartbeatSeconds * 1000);
    }
    return;
  }
  delete run.snap.pending[event.taskId];
  stopTimers(run, ref);
  cur.phase = null;
  delete cur.taskId;
  const details = { resource: st.resourceText, resourceType: st.resource!.kind };
  if (event.type === 'TaskFailed') {
    const error = typeof event.error === 'string' && event.error !== '' ? event.error : StatesErrors.TaskFailed;
    const cause = event.cause ?? '';
    run.event(ref, 'TaskFailed', { taskFailedEventDetails: { ...details, error, cause } });
    await run.continueWith(ref, async () => {
      throw new StatesError(error, cause);
    });
    return;
  }
  run.event(ref, 'TaskSucceeded', { taskSucceededEventDetails: { ...details, output: event.output } });
  await run.continueWith(ref, async () => {
    const outcome = taskResult(st.resource!, cur.taskTarget!, event.output, event.taskId, event.executedVersion);
    if (!outcome.ok) throw new StatesError(outcome.error, outcome.cause);
    checkSize(outcome.result, run.machine.limits.maxPayloadBytes, `result of task "${st.name}"`);
    return finishWithResult(run, ref, outcome.result as Json);
  });
}

export async function onTimer(run: Run, timerId: string): Promise<void> {
  if (timerId === run.snap.executionTimerId) {
    delete run.snap.pending[timerId];
    run.abortAndFail('TIMED_OUT', {
      error: StatesErrors.Timeout,
      cause: `The execution ran longer than the state machine's TimeoutSeconds (${run.machine.timeoutSeconds})`,
    });
    return;
  }
  const p = run.snap.pending[timerId];
  if (p === undefined || p.kind !== 'timer') return;
  delete run.snap.pending[timerId];
  const ref = run.resolve(p.addr);
  const cur = ref?.thread.cur;
  if (ref === null || cur === null || cur === undefined || ref.thread.status !== 'running') return;
  switch (p.purpose) {
    case 'wait':
      if (cur.timerId !== timerId || cur.phase !== 'wait') return;
      delete cur.timerId;
      cur.phase = null;
      await run.continueWith(ref, () => finishWait(run, ref));
      return;
    case 'retry': {
      if (cur.timerId !== timerId || cur.phase !== 'backoff') return;
      delete cur.timerId;
      cur.phase = null;
      run.transitions++;
      run.snap.transitions++;
      const next = await executeState(run, ref);
      if (next !== null && ref.thread.status === 'running') await run.drive(ref, next.name, next.input);
      return;
    }
    case 'task-timeout':
    case 'heartbeat': {
      const mine = p.purpose === 'heartbeat' ? cur.heartbeatTimerId : cur.timeoutTimerId;
      if (mine !== timerId || cur.phase !== 'task') return;
      if (p.purpose === 'heartbeat') delete cur.heartbeatTimerId;
      else delete cur.timeoutTimerId;
      const error = p.purpose === 'heartbeat' ? StatesErrors.HeartbeatTimeout : StatesErrors.Timeout;
      const cause =
        p.purpose === 'heartbeat'
          ? `The task sent no heartbeat for ${cur.heartbeatSeconds} seconds (HeartbeatSeconds)`
          : `The task did not finish within its TimeoutSeconds`;
      run.cancelTask(cur.taskId);
      stopTimers(run, ref);
      delete cur.taskId;
      cur.phase = null;
      run.event(ref, 'TaskTimedOut', { taskTimedOutEventDetails: { error, cause } });
      await run.continueWith(ref, async () => {
        throw new StatesError(error, cause);
      });
      return;
    }
    default:
      return;
  }
}
