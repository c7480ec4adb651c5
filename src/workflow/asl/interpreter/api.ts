/**
 * The step interpreter's entry points. Each call takes the time and a random source as
 * arguments, never mutates the snapshot it is given (unless `inPlace`), and returns
 * { snapshot, commands, history, transitions }. A host journals the step, performs the
 * commands, and feeds outcomes back with apply().
 */
import { NimbusError } from '../../../core/errors.ts';
import { StatesErrors } from '../errors.ts';
import { jsonBytes, toJson } from '../json.ts';
import type { StateMachine } from '../model.ts';
import type { AslEvent, Command, ExecutionContext, Random, Snapshot, Step, ThreadSnapshot } from '../types.ts';
import { handleError } from './failure.ts';
import { HistoryLimitReached, newThread, Run, type ThreadRef } from './run.ts';
import { onTaskEvent, onTimer } from './tasks.ts';

export interface StepOptions {
  /** Work on the given snapshot object instead of a copy (faster; the caller gives it up). */
  readonly inPlace?: boolean;
}

function newRun(machine: StateMachine, snap: Snapshot, now: number, random: Random): Run {
  const run = new Run(machine, snap, now, random);
  run.onError = (ref, err) => handleError(run, ref, err);
  return run;
}

/** Runs `body`, then settles containers; the history limit turns into a failed execution. */
async function guard(run: Run, body: () => Promise<void>): Promise<Step> {
  try {
    await body();
    await run.flush();
  } catch (err) {
    if (!(err instanceof HistoryLimitReached)) throw err;
    run.abortAndFail('FAILED', {
      error: StatesErrors.Runtime,
      cause: `The execution history reached ${run.machine.limits.maxHistoryEvents} events (the history limit); split the work into smaller executions or use fewer states per item`,
    });
  }
  return { snapshot: run.snap, commands: run.commands, history: run.history, transitions: run.transitions };
}

export async function start(
  machine: StateMachine,
  input: unknown,
  exec: ExecutionContext,
  now: number,
  random: Random,
): Promise<Step> {
  const value = input === undefined ? {} : toJson(input);
  if (value === undefined) {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', 'The execution input must be JSON (no functions, NaN or Infinity)');
  }
  const bytes = jsonBytes(value);
  if (bytes > machine.limits.maxPayloadBytes) {
    throw new NimbusError(
      'NIMBUS_ERR_PAYLOAD_TOO_LARGE',
      `The execution input has ${bytes} bytes; the limit is ${machine.limits.maxPayloadBytes}. Pass a reference (for example a URL) instead of the data.`,
      { extra: { limit: machine.limits.maxPayloadBytes } },
    );
  }
  if (typeof exec.executionId !== 'string' || exec.executionId === '') {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', 'An execution needs a non-empty executionId');
  }
  const snap: Snapshot = {
    version: 1,
    execution: {
      id: exec.executionId,
      name: exec.name ?? exec.executionId,
      input: value,
      startTime: now,
      stateMachineId: exec.stateMachineId ?? '',
      stateMachineName: exec.stateMachineName ?? '',
      roleArn: exec.roleArn ?? '',
      redriveCount: 0,
      redriveTime: null,
    },
    status: 'RUNNING',
    root: newThread('', 'running', 0),
    seq: 0,
    lastEventId: 0,
    transitions: 0,
    pending: {},
    executionTimerId: null,
  };
  const run = newRun(machine, snap, now, random);
  return guard(run, async () => {
    run.event(null, 'ExecutionStarted', { executionStartedEventDetails: { input: value, roleArn: snap.execution.roleArn } });
    snap.root.lastEventId = snap.lastEventId;
    if (machine.timeoutSeconds !== null) {
      snap.executionTimerId = run.startTimer(null, 'execution-timeout', now + machine.timeoutSeconds * 1000);
    }
    await run.drive(run.root(), machine.scopes[''].startAt, value);
  });
}

export async function apply(
  machine: StateMachine,
  snapshot: Snapshot,
  event: AslEvent,
  now: number,
  random: Random,
  options: StepOptions = {},
): Promise<Step> {
  const snap = options.inPlace === true ? snapshot : structuredClone(snapshot);
  const run = newRun(machine, snap, now, random);
  if (snap.status !== 'RUNNING') return { snapshot: snap, commands: [], history: [], transitions: 0 };
  return guard(run, async () => {
    switch (event.type) {
      case 'TaskSucceeded':
      case 'TaskFailed':
      case 'TaskHeartbeat':
        await onTaskEvent(run, event);
        return;
      case 'TimerFired':
        await onTimer(run, event.timerId);
        return;
      case 'StopRequested':
        run.abortAndFail('ABORTED', {
          error: event.error ?? 'States.Aborted',
          cause: event.cause ?? 'The execution was stopped on request',
        });
        return;
      default:
        throw new NimbusError('NIMBUS_ERR_BAD_REQUEST', `Unknown workflow event type ${JSON.stringify((event as { type?: unknown }).type)}`);
    }
  });
}

/**
 * Redrive: resumes a FAILED, TIMED_OUT or ABORTED execution from where it stopped. States
 * that failed (or were aborted) are entered again with their original input; Parallel
 * branches and Map iterations that succeeded keep their results.
 */
export async function redrive(machine: StateMachine, snapshot: Snapshot, now: number, random: Random, options: StepOptions = {}): Promise<Step> {
  if (snapshot.status === 'RUNNING' || snapshot.status === 'SUCCEEDED') {
    throw new NimbusError(
      'NIMBUS_ERR_STATE_CONFLICT',
      `Only a failed, timed-out or aborted execution can be redriven; this one is ${snapshot.status}`,
    );
  }
  const snap = options.inPlace === true ? snapshot : structuredClone(snapshot);
  snap.status = 'RUNNING';
  snap.execution.redriveCount += 1;
  snap.execution.redriveTime = now;
  delete snap.output;
  delete snap.error;
  delete snap.cause;
  snap.pending = {};
  const run = newRun(machine, snap, now, random);
  return guard(run, async () => {
    run.event(null, 'ExecutionRedriven', { executionRedrivenEventDetails: { redriveCount: snap.execution.redriveCount } });
    if (machine.timeoutSeconds !== null) {
      snap.executionTimerId = run.startTimer(null, 'execution-timeout', now + machine.timeoutSeconds * 1000);
    }
    await resume(run, run.root());
  });
}

async function resume(run: Run, ref: ThreadRef): Promise<void> {
  const t: ThreadSnapshot = ref.thread;
  if (t.status === 'succeeded' || t.status === 'pending') return;
  const cur = t.cur;
  delete t.error;
  delete t.counted;
  if (cur === null) {
    // Never started, or ended without a state to resume: start it from its input again.
    t.status = 'pending';
    return;
  }
  t.status = 'running';
  const st = run.state(ref);
  if (st.type === 'Parallel' && cur.branches !== undefined) {
    cur.phase = 'parallel';
    for (let i = 0; i < cur.branches.length; i++) await resume(run, run.child(ref, i));
    run.queueContainer(ref);
    return;
  }
  if (st.type === 'Map' && cur.map !== undefined) {
    cur.phase = 'map';
    for (const key of Object.keys(cur.map.iterations)) {
      const child = cur.map.iterations[key];
      if (child.status === 'failed' && child.counted === true) cur.map.failed -= 1;
      if (child.status === 'failed' || child.status === 'aborted') {
        cur.map.results[Number(key)] = null;
        await resume(run, run.child(ref, Number(key)));
      }
    }
    run.queueContainer(ref);
    return;
  }
  const { name, input } = cur;
  t.cur = null;
  await run.drive(ref, name, input);
}

/** The StartTimer / InvokeTask commands still outstanding: what to re-issue after a crash. */
export function outstandingCommands(snapshot: Snapshot): Command[] {
  return Object.values(snapshot.pending).map((p) => p.command);
}

