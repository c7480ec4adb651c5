/**
 * Step Functions TestState: runs one state, outside any state machine, with the pure ASL
 * interpreter. The state becomes the start of a throwaway machine whose transition targets
 * are Succeed states, so the run stops at the first transition out of it: the input that
 * state receives is the tested state's output, its name `nextState`. Task states call the
 * function (dispatcher); a Wait does not wait; a Retry that would back off answers RETRIABLE;
 * an error a Catch handles answers CAUGHT_ERROR. Nothing is journalled.
 */
import { newId } from '../../core/ids.ts';
import { apply, parseStateMachine, seededRandom, start, type AslEvent, type HistoryEvent, type Step } from '../../workflow/asl/index.ts';
import { TaskRunner } from '../../workflow/engine/task-runner.ts';
import { isNimbusError } from '../../core/errors.ts';
import { awsErr } from './errors.ts';
import { parseAwsJson } from './protocol.ts';
import { stringField, type SfnOp } from './sfn-arns.ts';

const TESTED = '__nimbus_test_state';
const MAX_STEPS = 20;
const UNSUPPORTED_TYPES = new Set(['Map', 'Parallel']);

/** Every state name the tested state can move to (Next, Default, Choices, Catch). */
function targetsOf(state: Record<string, unknown>): Set<string> {
  const out = new Set<string>();
  const add = (v: unknown) => typeof v === 'string' && out.add(v);
  add(state.Next);
  add(state.Default);
  for (const c of Array.isArray(state.Choices) ? state.Choices : []) add((c as { Next?: unknown }).Next);
  for (const c of Array.isArray(state.Catch) ? state.Catch : []) add((c as { Next?: unknown }).Next);
  return out;
}

function details(e: HistoryEvent): { error?: string; cause?: string } {
  for (const [k, v] of Object.entries(e)) {
    if (k.endsWith('EventDetails') && v && typeof v === 'object') {
      const d = v as { error?: unknown; cause?: unknown };
      return { ...(typeof d.error === 'string' ? { error: d.error } : {}), ...(typeof d.cause === 'string' ? { cause: d.cause } : {}) };
    }
  }
  return {};
}

export const testState: SfnOp = async (ctx, body) => {
  const text = stringField(body, 'definition')!;
  const state = parseAwsJson(text, 'the state', (why) => awsErr.sfn('InvalidDefinition', `Invalid State Machine Definition: ${why}`)) as Record<string, unknown>;
  if (state === null || typeof state !== 'object' || Array.isArray(state) || typeof state.Type !== 'string') {
    throw awsErr.sfn('InvalidDefinition', 'Invalid State Machine Definition: TestState takes one state, an object with a Type');
  }
  if (UNSUPPORTED_TYPES.has(state.Type)) throw awsErr.sfn('ValidationException', `TestState does not support ${state.Type} states (nor does AWS)`);
  if (body.stateName != null || body.variables != null) throw awsErr.sfn('ValidationException', 'TestState: stateName and variables are not supported by Nimbus');
  const states: Record<string, unknown> = { [TESTED]: state };
  for (const t of targetsOf(state)) if (t !== TESTED) states[t] = { Type: 'Succeed' };
  let machine;
  try {
    machine = parseStateMachine({ StartAt: TESTED, States: states });
  } catch (error) {
    throw awsErr.sfn('InvalidDefinition', isNimbusError(error) ? error.message.replaceAll(TESTED, 'the state') : String(error));
  }
  let input: unknown = {};
  const inputText = stringField(body, 'input', false);
  if (inputText !== undefined) input = parseAwsJson(inputText, 'the input', (why) => awsErr.sfn('InvalidExecutionInput', `Invalid input: ${why}`));
  const id = newId(ctx.api.clock.now());
  const runner = new TaskRunner({ clock: ctx.api.clock, invoke: (r) => ctx.api.dispatcher.invoke(r) });
  let step: Step = await start(machine, input, { executionId: id, name: id, stateMachineName: 'TestState' }, ctx.api.clock.now(), seededRandom(`${id}:0`));
  const history: HistoryEvent[] = [...step.history];
  for (let n = 1; n <= MAX_STEPS && step.snapshot.status === 'RUNNING'; n++) {
    if (step.commands.some((c) => c.type === 'StartTimer' && c.purpose === 'retry')) {
      const failure = [...history].reverse().find((e) => /(Failed|TimedOut)$/.test(e.type));
      return { status: 'RETRIABLE', ...(failure ? details(failure) : {}) };
    }
    const task = step.commands.find((c) => c.type === 'InvokeTask');
    const wait = step.commands.find((c) => c.type === 'StartTimer' && c.purpose === 'wait');
    let event: AslEvent | null = null;
    if (task && task.type === 'InvokeTask') {
      if (task.callback) throw awsErr.sfn('ValidationException', 'TestState: .waitForTaskToken tasks are not supported by Nimbus');
      event = await runner.run({ id, snapshot: step.snapshot, traceparent: null }, task);
    } else if (wait && wait.type === 'StartTimer') event = { type: 'TimerFired', timerId: wait.timerId };
    if (event === null) break;
    step = await apply(machine, step.snapshot, event, ctx.api.clock.now(), seededRandom(`${id}:${n}`));
    history.push(...step.history);
  }
  const snap = step.snapshot;
  if (snap.status === 'RUNNING') throw awsErr.sfn('ValidationException', 'TestState: the state did not finish (it waits for something TestState cannot give it)');
  const next = history.find((e) => e.type.endsWith('StateEntered') && (e as { stateEnteredEventDetails?: { name?: string } }).stateEnteredEventDetails?.name !== TESTED);
  const nextState = next ? (next as { stateEnteredEventDetails?: { name?: string } }).stateEnteredEventDetails?.name : undefined;
  if (snap.status !== 'SUCCEEDED') {
    return { status: 'FAILED', ...(snap.error ? { error: snap.error } : {}), ...(snap.cause ? { cause: snap.cause } : {}) };
  }
  const output = next ? (next as { stateEnteredEventDetails?: { input?: unknown } }).stateEnteredEventDetails?.input : snap.output;
  const caught = history.find((e) => /(Failed|TimedOut)$/.test(e.type) && e.type !== 'ExecutionFailed');
  return {
    status: caught ? 'CAUGHT_ERROR' : 'SUCCEEDED',
    output: typeof output === 'string' ? output : JSON.stringify(output ?? null),
    ...(nextState === undefined ? {} : { nextState }),
    ...(caught ? details(caught) : {}),
  };
};
