/**
 * Parallel and Map: start branches/iterations (Map within MaxConcurrency), collect their
 * outputs in order, and fail the state when a branch fails or the Map's tolerated
 * failure threshold is exceeded (aborting everything still running).
 */
import { StatesError, StatesErrors } from '../errors.ts';
import type { CompiledState } from '../model.ts';
import type { ErrorInfo, Json, MapProgress } from '../types.ts';
import { evalJsonata, evalTemplate } from './dataflow.ts';
import { newThread, type Run, type ThreadRef } from './run.ts';
import { finishWithResult } from './states.ts';

export async function checkContainer(run: Run, ref: ThreadRef): Promise<void> {
  const phase = ref.thread.cur?.phase;
  if (phase === 'parallel') await checkParallel(run, ref);
  else if (phase === 'map') await checkMap(run, ref);
}

async function failContainer(run: Run, ref: ThreadRef, type: 'Parallel' | 'Map', err: StatesError): Promise<void> {
  const cur = ref.thread.cur!;
  if (cur.branches !== undefined) cur.branches.forEach((_, i) => run.abortThread(run.child(ref, i)));
  if (cur.map !== undefined) {
    for (const key of Object.keys(cur.map.iterations)) run.abortThread(run.child(ref, Number(key)), Number(key));
  }
  cur.phase = null;
  run.event(ref, `${type}StateFailed`);
  await run.continueWith(ref, async () => {
    throw err;
  });
}

async function checkParallel(run: Run, ref: ThreadRef): Promise<void> {
  for (;;) {
    const cur = ref.thread.cur;
    if (cur === null || cur.phase !== 'parallel' || ref.thread.status !== 'running') return;
    const branches = cur.branches!;
    const failed = branches.find((b) => b.status === 'failed');
    if (failed !== undefined) {
      const e = failed.error ?? { error: StatesErrors.BranchFailed, cause: '' };
      await failContainer(run, ref, 'Parallel', new StatesError(e.error, e.cause, true));
      return;
    }
    const pending = branches.findIndex((b) => b.status === 'pending');
    if (pending >= 0) {
      const child = run.child(ref, pending);
      const input = child.thread.input ?? null;
      delete child.thread.input;
      child.thread.status = 'running';
      child.thread.lastEventId = ref.thread.lastEventId;
      await run.drive(child, run.machine.scopes[child.thread.scope].startAt, input);
      continue;
    }
    if (branches.every((b) => b.status === 'succeeded')) {
      const results = branches.map((b) => b.output ?? null);
      cur.phase = null;
      run.event(ref, 'ParallelStateSucceeded');
      await run.continueWith(ref, () => finishWithResult(run, ref, results));
    }
    return;
  }
}

/** The input of one iteration: the item, or ItemSelector with $$.Map.Item. */
async function iterationInput(run: Run, ref: ThreadRef, st: CompiledState, m: MapProgress, index: number): Promise<Json> {
  const item = m.items[index];
  if (st.itemSelector === null) return item;
  const env = run.env(ref, m.effectiveInput, { Map: { Item: { Index: index, Value: item } } });
  if (st.itemSelector.ql === 'JSONPath') return evalTemplate(st.itemSelector.node, env);
  return evalJsonata(st.itemSelector.node, env, { input: ref.thread.cur!.input });
}

function thresholdExceeded(m: MapProgress): boolean {
  if (m.failed === 0) return false;
  const count = m.toleratedFailureCount;
  const pct = m.toleratedFailurePercentage;
  if (count === null && pct === null) return true;
  return (count !== null && m.failed > count) || (pct !== null && m.failed * 100 > pct * m.items.length);
}

async function checkMap(run: Run, ref: ThreadRef): Promise<void> {
  const st = run.state(ref);
  let firstFailure: ErrorInfo | null = null;
  for (;;) {
    const cur = ref.thread.cur;
    if (cur === null || cur.phase !== 'map' || ref.thread.status !== 'running') return;
    const m = cur.map!;
    let running = 0;
    for (const key of Object.keys(m.iterations)) {
      const t = m.iterations[key];
      const index = Number(key);
      if (t.status === 'succeeded') {
        m.results[index] = t.output ?? null;
        delete m.iterations[key];
        m.succeeded += 1;
        run.event(ref, 'MapIterationSucceeded', { mapIterationSucceededEventDetails: { name: cur.name, index } });
      } else if (t.status === 'failed' && t.counted !== true) {
        t.counted = true;
        m.failed += 1;
        const e = t.error ?? { error: StatesErrors.BranchFailed, cause: '' };
        firstFailure ??= e;
        m.results[index] = { Error: e.error, Cause: e.cause };
        run.event(ref, 'MapIterationFailed', { mapIterationFailedEventDetails: { name: cur.name, index } });
      } else if (t.status === 'running') running += 1;
    }
    if (thresholdExceeded(m)) {
      const tolerated = m.toleratedFailureCount !== null || m.toleratedFailurePercentage !== null;
      const e = firstFailure ?? Object.values(m.iterations).find((t) => t.status === 'failed')?.error ?? { error: StatesErrors.BranchFailed, cause: '' };
      const err = tolerated
        ? new StatesError(
            StatesErrors.ExceedToleratedFailureThreshold,
            `${m.failed} of ${m.items.length} items failed, which exceeds the tolerated failure threshold`,
            true,
          )
        : new StatesError(e.error, e.cause, true);
      await failContainer(run, ref, 'Map', err);
      return;
    }
    if (m.next < m.items.length && (m.maxConcurrency === 0 || running < m.maxConcurrency)) {
      const index = m.next;
      m.next += 1;
      let input: Json;
      try {
        input = await iterationInput(run, ref, st, m, index);
      } catch (err) {
        await failContainer(run, ref, 'Map', err instanceof StatesError ? err : new StatesError(StatesErrors.Runtime, String(err)));
        return;
      }
      run.event(ref, 'MapIterationStarted', { mapIterationStartedEventDetails: { name: cur.name, index } });
      m.iterations[String(index)] = newThread(st.processor!, 'running', ref.thread.lastEventId);
      const child = run.child(ref, index);
      await run.drive(child, run.machine.scopes[st.processor!].startAt, input);
      continue;
    }
    if (running === 0 && m.next >= m.items.length && m.succeeded + m.failed === m.items.length) {
      cur.phase = null;
      run.event(ref, 'MapStateSucceeded');
      await run.continueWith(ref, () => finishWithResult(run, ref, m.results));
    }
    return;
  }
}
