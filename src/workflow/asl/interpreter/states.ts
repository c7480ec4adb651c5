/**
 * What each state type does when entered, and how Task/Parallel/Map results become the
 * state output. Synchronous states return where to go next; states that wait (Task,
 * Wait, Parallel, Map, a retry back-off) record their phase in the snapshot and return null.
 */
import { MAX_COUNT } from '../limits.ts';
import { StatesError, StatesErrors } from '../errors.ts';
import { parseTimestamp } from '../timestamps.ts';
import type { CompiledState } from '../model.ts';
import type { Json } from '../types.ts';
import { evaluateRule } from './choice.ts';
import {
  applyIoPath,
  applyResultPath,
  badValue,
  evalAssign,
  evalDyn,
  evalInteger,
  evalJsonata,
  evalPayload,
  evalTemplate,
  type Env,
} from './dataflow.ts';
import { newThread, type Next, type Run, type ThreadRef } from './run.ts';
import { startTask } from './tasks.ts';

/** InputPath then Parameters (JSONPath), or Arguments (JSONata). */
export async function effectiveInput(st: CompiledState, env: Env, input: Json): Promise<Json> {
  if (st.ql === 'JSONPath') {
    const selected = applyIoPath(st.inputPath, input, env, 'InputPath');
    return st.parameters === null ? selected : evalPayload(st.parameters, env.withInput(selected), input);
  }
  return st.parameters === null ? input : evalPayload(st.parameters, env, input);
}

function nextOf(st: CompiledState): string | null {
  return st.end ? null : st.next;
}

/** Runs the current state of the thread. Errors go through Retry/Catch (run.onError). */
export async function executeState(run: Run, ref: ThreadRef): Promise<Next> {
  try {
    const st = run.state(ref);
    switch (st.type) {
      case 'Pass':
        return await executePass(run, ref, st);
      case 'Task':
        return await startTask(run, ref, st);
      case 'Choice':
        return await executeChoice(run, ref, st);
      case 'Wait':
        return await executeWait(run, ref, st);
      case 'Succeed':
        return await executeSucceed(run, ref, st);
      case 'Fail':
        return await executeFail(run, ref, st);
      case 'Parallel':
        return await executeParallel(run, ref, st);
      case 'Map':
        return await executeMap(run, ref, st);
    }
  } catch (err) {
    return run.onError(ref, err);
  }
}

async function executePass(run: Run, ref: ThreadRef, st: CompiledState): Promise<Next> {
  const input = ref.thread.cur!.input;
  const env = run.env(ref, input);
  if (st.ql === 'JSONata') {
    const assigned = await evalAssign(st.assign, env, { input });
    const output = st.output === null ? input : await evalJsonata(st.output, env, { input });
    return run.complete(ref, output, nextOf(st), assigned);
  }
  const result = st.result !== null ? st.result.v : await effectiveInput(st, env, input);
  const assigned = await evalAssign(st.assign, env.withInput(result), { input });
  const placed = applyResultPath(st.resultPath, input, result);
  return run.complete(ref, applyIoPath(st.outputPath, placed, env, 'OutputPath'), nextOf(st), assigned);
}

async function executeChoice(run: Run, ref: ThreadRef, st: CompiledState): Promise<Next> {
  const input = ref.thread.cur!.input;
  const env = run.env(ref, input);
  if (st.ql === 'JSONata') {
    for (const choice of st.choices) {
      const cond = await evalDyn(choice.condition!, env, input);
      if (typeof cond !== 'boolean') badValue('JSONata', 'Condition', 'a boolean', cond);
      if (cond) {
        const assigned = await evalAssign(choice.assign, env, { input });
        const output = choice.output === null ? input : await evalJsonata(choice.output, env, { input });
        return run.complete(ref, output, choice.next, assigned);
      }
    }
    if (st.default === null) throw noChoice(st);
    const assigned = await evalAssign(st.assign, env, { input });
    const output = st.output === null ? input : await evalJsonata(st.output, env, { input });
    return run.complete(ref, output, st.default, assigned);
  }
  const selected = applyIoPath(st.inputPath, input, env, 'InputPath');
  const selEnv = env.withInput(selected);
  const chosen = st.choices.find((c) => evaluateRule(c.rule!, selEnv));
  if (chosen === undefined && st.default === null) throw noChoice(st);
  const assigned = await evalAssign(chosen === undefined ? st.assign : chosen.assign, selEnv, { input });
  const output = applyIoPath(st.outputPath, selected, env, 'OutputPath');
  return run.complete(ref, output, chosen === undefined ? st.default : chosen.next, assigned);
}

function noChoice(st: CompiledState): StatesError {
  return new StatesError(StatesErrors.NoChoiceMatched, `No Choice Rule of state "${st.name}" matched and it has no "Default"`);
}

async function executeWait(run: Run, ref: ThreadRef, st: CompiledState): Promise<Next> {
  const cur = ref.thread.cur!;
  const env = run.env(ref, cur.input);
  const selected = st.ql === 'JSONPath' ? applyIoPath(st.inputPath, cur.input, env, 'InputPath') : cur.input;
  const selEnv = env.withInput(selected);
  let fireAt: number;
  if (st.waitSeconds !== null) {
    const field = st.waitSeconds.k === 'tmpl' ? 'SecondsPath' : 'Seconds';
    fireAt = run.now + (await evalInteger(st.waitSeconds, selEnv, cur.input, st.ql, field, 0))! * 1000;
  } else {
    const field = st.waitTimestamp!.k === 'tmpl' ? 'TimestampPath' : 'Timestamp';
    const value = await evalDyn(st.waitTimestamp!, selEnv, cur.input);
    const at = parseTimestamp(value);
    if (at === null) badValue(st.ql, field, 'an RFC 3339 timestamp such as "2016-03-14T01:59:00Z"', value);
    fireAt = at!;
  }
  if (fireAt <= run.now) return finishWait(run, ref);
  cur.phase = 'wait';
  cur.timerId = run.startTimer(ref, 'wait', fireAt);
  return null;
}

/** The end of a Wait: output processing and Assign, then the transition. */
export async function finishWait(run: Run, ref: ThreadRef): Promise<Next> {
  const st = run.state(ref);
  const input = ref.thread.cur!.input;
  const env = run.env(ref, input);
  if (st.ql === 'JSONata') {
    const assigned = await evalAssign(st.assign, env, { input });
    const output = st.output === null ? input : await evalJsonata(st.output, env, { input });
    return run.complete(ref, output, nextOf(st), assigned);
  }
  const selected = applyIoPath(st.inputPath, input, env, 'InputPath');
  const assigned = await evalAssign(st.assign, env.withInput(selected), { input });
  return run.complete(ref, applyIoPath(st.outputPath, selected, env, 'OutputPath'), nextOf(st), assigned);
}

async function executeSucceed(run: Run, ref: ThreadRef, st: CompiledState): Promise<Next> {
  const input = ref.thread.cur!.input;
  const env = run.env(ref, input);
  if (st.ql === 'JSONata') {
    return run.complete(ref, st.output === null ? input : await evalJsonata(st.output, env, { input }), null, null);
  }
  const selected = applyIoPath(st.inputPath, input, env, 'InputPath');
  return run.complete(ref, applyIoPath(st.outputPath, selected, env, 'OutputPath'), null, null);
}

async function executeFail(run: Run, ref: ThreadRef, st: CompiledState): Promise<Next> {
  const input = ref.thread.cur!.input;
  const env = run.env(ref, input);
  const text = async (dyn: CompiledState['error'], field: string): Promise<string> => {
    if (dyn === null) return '';
    const v = await evalDyn(dyn, env, input);
    if (typeof v !== 'string') badValue(st.ql, field, 'a string', v);
    return v as string;
  };
  const error = await text(st.error, st.error?.k === 'tmpl' ? 'ErrorPath' : 'Error');
  const cause = await text(st.cause, st.cause?.k === 'tmpl' ? 'CausePath' : 'Cause');
  // A Fail state is not a runtime error of the state: no Retry/Catch applies here.
  run.failThread(ref, new StatesError(error, cause));
  return null;
}

async function executeParallel(run: Run, ref: ThreadRef, st: CompiledState): Promise<Next> {
  const cur = ref.thread.cur!;
  const input = await effectiveInput(st, run.env(ref, cur.input), cur.input);
  cur.phase = 'parallel';
  delete cur.map;
  run.event(ref, 'ParallelStateStarted');
  cur.branches = st.branches.map((scope) => newThread(scope, 'pending', ref.thread.lastEventId, input));
  run.queueContainer(ref);
  return null;
}

async function executeMap(run: Run, ref: ThreadRef, st: CompiledState): Promise<Next> {
  const cur = ref.thread.cur!;
  const env = run.env(ref, cur.input);
  let items: Json;
  let effective: Json;
  if (st.ql === 'JSONPath') {
    effective = applyIoPath(st.inputPath, cur.input, env, 'InputPath');
    items = effective;
    if (st.itemsPath !== null) {
      const r = evalTemplate({ k: 'path', path: st.itemsPath, field: 'ItemsPath' }, env.withInput(effective), StatesErrors.Runtime);
      items = r;
    }
  } else {
    effective = cur.input;
    items = st.items === null ? cur.input : await evalDyn(st.items, env, cur.input);
  }
  if (!Array.isArray(items)) {
    badValue(st.ql, st.ql === 'JSONPath' ? 'The Items Array (ItemsPath)' : 'Items', 'a JSON array', items);
  }
  const list = items as Json[];
  if (list.length > run.machine.limits.maxMapItems) {
    throw new StatesError(StatesErrors.Runtime, `The Map state has ${list.length} items; the limit is ${run.machine.limits.maxMapItems}`);
  }
  const selEnv = env.withInput(effective);
  const maxConcurrency = (await evalInteger(st.maxConcurrency, selEnv, cur.input, st.ql, 'MaxConcurrency', 0, MAX_COUNT)) ?? 0;
  const toleratedFailureCount = await evalInteger(st.toleratedFailureCount, selEnv, cur.input, st.ql, 'ToleratedFailureCount', 0, MAX_COUNT);
  let toleratedFailurePercentage: number | null = null;
  if (st.toleratedFailurePercentage !== null) {
    const v = await evalDyn(st.toleratedFailurePercentage, selEnv, cur.input);
    if (typeof v !== 'number' || v < 0 || v > 100) badValue(st.ql, 'ToleratedFailurePercentage', 'a number from 0 to 100', v);
    toleratedFailurePercentage = v as number;
  }
  cur.phase = 'map';
  delete cur.branches;
  cur.map = {
    items: list,
    effectiveInput: effective,
    next: 0,
    results: list.map(() => null),
    succeeded: 0,
    failed: 0,
    maxConcurrency,
    toleratedFailureCount,
    toleratedFailurePercentage,
    iterations: {},
  };
  run.event(ref, 'MapStateStarted', { mapStateStartedEventDetails: { length: list.length } });
  run.queueContainer(ref);
  return null;
}

/** Task/Parallel/Map success: ResultSelector, Assign, ResultPath, OutputPath (or Output). */
export async function finishWithResult(run: Run, ref: ThreadRef, raw: Json): Promise<Next> {
  const st = run.state(ref);
  const input = ref.thread.cur!.input;
  const env = run.env(ref, input);
  if (st.ql === 'JSONata') {
    const assigned = await evalAssign(st.assign, env, { input, result: raw });
    const output = st.output === null ? raw : await evalJsonata(st.output, env, { input, result: raw });
    return run.complete(ref, output, nextOf(st), assigned);
  }
  const result = st.resultSelector === null ? raw : evalTemplate(st.resultSelector, env.withInput(raw));
  const assigned = await evalAssign(st.assign, env.withInput(result), { input });
  const placed = applyResultPath(st.resultPath, input, result);
  return run.complete(ref, applyIoPath(st.outputPath, placed, env, 'OutputPath'), nextOf(st), assigned);
}
