/**
 * A state reported an error: Retry (first retrier whose ErrorEquals matches decides; when
 * its attempts are used up, retrying stops), then Catch (first matching catcher), else the
 * thread fails. Back-off: IntervalSeconds × BackoffRate^n, capped by MaxDelaySeconds, and
 * with JitterStrategy FULL a uniform draw in [0, delay).
 */
import { anyMatches, describe, isStatesError, StatesError, StatesErrors } from '../errors.ts';
import type { Catcher } from '../model.ts';
import type { JsonObject } from '../types.ts';
import { applyResultPath, evalAssign, evalJsonata } from './dataflow.ts';
import { HistoryLimitReached, type Next, type Run, type ThreadRef } from './run.ts';

export async function handleError(run: Run, ref: ThreadRef, thrown: unknown): Promise<Next> {
  if (thrown instanceof HistoryLimitReached) throw thrown;
  const err = isStatesError(thrown)
    ? thrown
    : new StatesError(StatesErrors.Runtime, `internal interpreter error: ${describe(thrown)}`);
  const cur = ref.thread.cur;
  if (cur === null || ref.thread.status !== 'running') {
    run.failThread(ref, err);
    return null;
  }
  const st = run.state(ref);
  run.cancelTask(cur.taskId);
  run.cancelTimer(cur.timeoutTimerId);
  run.cancelTimer(cur.heartbeatTimerId);
  run.cancelTimer(cur.timerId);
  delete cur.taskId;
  delete cur.timeoutTimerId;
  delete cur.heartbeatTimerId;
  delete cur.timerId;
  cur.phase = null;

  for (let i = 0; i < st.retry.length; i++) {
    const r = st.retry[i];
    if (!anyMatches(r.errorEquals, err.error, err.fromBranch)) continue;
    const used = cur.retriers[i] ?? 0;
    if (used >= r.maxAttempts) break;
    let delay = r.intervalSeconds * Math.pow(r.backoffRate, used);
    if (r.maxDelaySeconds !== null) delay = Math.min(delay, r.maxDelaySeconds);
    if (r.jitter === 'FULL') delay *= run.random();
    cur.retriers[i] = used + 1;
    cur.retryCount += 1;
    cur.phase = 'backoff';
    cur.timerId = run.startTimer(ref, 'retry', run.now + delay * 1000);
    return null;
  }

  const catcher = st.catch.find((c) => anyMatches(c.errorEquals, err.error, err.fromBranch));
  if (catcher !== undefined) {
    try {
      return await catchTo(run, ref, catcher, err);
    } catch (inner) {
      if (inner instanceof HistoryLimitReached) throw inner;
      run.failThread(ref, isStatesError(inner) ? inner : new StatesError(StatesErrors.Runtime, describe(inner)));
      return null;
    }
  }
  run.failThread(ref, err);
  return null;
}

async function catchTo(run: Run, ref: ThreadRef, catcher: Catcher, err: StatesError): Promise<Next> {
  const input = ref.thread.cur!.input;
  const errorOutput: JsonObject = { Error: err.error, Cause: err.causeText };
  const env = run.env(ref, input);
  if (run.state(ref).ql === 'JSONata') {
    const states = { input, errorOutput };
    const assigned = await evalAssign(catcher.assign, env, states);
    const output = catcher.output === null ? errorOutput : await evalJsonata(catcher.output, env, states);
    return run.complete(ref, output, catcher.next, assigned);
  }
  const assigned = await evalAssign(catcher.assign, env.withInput(errorOutput), { input });
  return run.complete(ref, applyResultPath(catcher.resultPath, input, errorOutput), catcher.next, assigned);
}
