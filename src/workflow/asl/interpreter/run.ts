/**
 * One call of start/apply/redrive: owns a (private copy of the) snapshot, the `now` and
 * `random` of this step, and collects commands and history. Threads (the top level, each
 * Parallel branch, each Map iteration) are addressed by a path of indexes from the root.
 */
import { StatesError, StatesErrors } from '../errors.ts';
import { checkSize } from '../limits.ts';
import type { CompiledState, Scope, StateMachine } from '../model.ts';
import { iso } from '../timestamps.ts';
import type {
  Command,
  ErrorInfo,
  HistoryEvent,
  Json,
  JsonObject,
  Random,
  Snapshot,
  ThreadSnapshot,
  TimerPurpose,
} from '../types.ts';
import { checkContainer } from './containers.ts';
import { Env } from './dataflow.ts';
import { executeState } from './states.ts';

export interface ThreadRef {
  readonly addr: readonly number[];
  readonly thread: ThreadSnapshot;
  /** Variables of the enclosing threads, innermost first. */
  readonly outer: readonly JsonObject[];
  /** Readable path of the enclosing containers, e.g. `Fan/2/`. */
  readonly prefix: string;
}

export type Next = { readonly name: string; readonly input: Json } | null;

/** Raised when the history limit is reached; the execution then fails. */
export class HistoryLimitReached extends Error {}

export function newThread(scope: string, status: ThreadSnapshot['status'], lastEventId: number, input?: Json): ThreadSnapshot {
  const t: ThreadSnapshot = { status, scope, vars: {}, visits: {}, cur: null, lastEventId };
  if (input !== undefined) t.input = input;
  return t;
}

export class Run {
  readonly commands: Command[] = [];
  readonly history: HistoryEvent[] = [];
  transitions = 0;
  /** Once set, history may exceed the limit (we are writing the final events). */
  finalizing = false;

  constructor(
    readonly machine: StateMachine,
    readonly snap: Snapshot,
    readonly now: number,
    readonly random: Random,
  ) {}

  // --- addressing -----------------------------------------------------------------------

  root(): ThreadRef {
    return { addr: [], thread: this.snap.root, outer: [], prefix: '' };
  }

  child(ref: ThreadRef, index: number): ThreadRef {
    const cur = ref.thread.cur!;
    const thread = cur.branches !== undefined ? cur.branches[index] : cur.map!.iterations[String(index)];
    return {
      addr: [...ref.addr, index],
      thread,
      outer: [ref.thread.vars, ...ref.outer],
      prefix: `${ref.prefix}${cur.name}/${index}/`,
    };
  }

  /** Resolves an address; null when the thread no longer exists (e.g. a finished iteration). */
  resolve(addr: readonly number[]): ThreadRef | null {
    let ref = this.root();
    for (const index of addr) {
      const cur = ref.thread.cur;
      if (cur === null) return null;
      const exists = cur.branches !== undefined ? cur.branches[index] !== undefined : cur.map?.iterations[String(index)] !== undefined;
      if (!exists) return null;
      ref = this.child(ref, index);
    }
    return ref;
  }

  parentOf(ref: ThreadRef): ThreadRef | null {
    return ref.addr.length === 0 ? null : this.resolve(ref.addr.slice(0, -1));
  }

  scope(ref: ThreadRef): Scope {
    return this.machine.scopes[ref.thread.scope];
  }

  state(ref: ThreadRef): CompiledState {
    return this.machine.states[ref.thread.cur!.name];
  }

  statePath(ref: ThreadRef): string {
    const cur = ref.thread.cur;
    return cur === null ? ref.prefix.replace(/\/$/, '') : `${ref.prefix}${cur.name}#${cur.visit}`;
  }

  // --- evaluation environment -------------------------------------------------------------

  context(ref: ThreadRef, extra: JsonObject = {}): JsonObject {
    const e = this.snap.execution;
    const cur = ref.thread.cur;
    const execution: JsonObject = {
      Id: e.id,
      Input: e.input,
      Name: e.name,
      RoleArn: e.roleArn,
      StartTime: iso(e.startTime),
      RedriveCount: e.redriveCount,
    };
    if (e.redriveTime !== null) execution.RedriveTime = iso(e.redriveTime);
    const ctx: JsonObject = {
      Execution: execution,
      StateMachine: { Id: e.stateMachineId, Name: e.stateMachineName },
    };
    if (cur !== null) {
      ctx.State = { EnteredTime: iso(cur.enteredAt), Name: cur.name, RetryCount: cur.retryCount };
      if (cur.taskToken !== undefined) ctx.Task = { Token: cur.taskToken };
    }
    return { ...ctx, ...extra };
  }

  env(ref: ThreadRef, input: Json, extra?: JsonObject): Env {
    return new Env(input, this.context(ref, extra), [ref.thread.vars, ...ref.outer], this.now, this.random);
  }

  // --- history and commands ---------------------------------------------------------------

  event(ref: ThreadRef | null, type: string, details: Record<string, unknown> = {}, statePath?: string): void {
    if (!this.finalizing && this.snap.lastEventId >= this.machine.limits.maxHistoryEvents) throw new HistoryLimitReached();
    const id = ++this.snap.lastEventId;
    const previousEventId = ref === null ? id - 1 : ref.thread.lastEventId;
    const e: Record<string, unknown> = { id, previousEventId, timestamp: iso(this.now), type };
    const path = statePath ?? (ref === null ? undefined : this.statePath(ref));
    if (path !== undefined && path !== '') e.statePath = path;
    Object.assign(e, details);
    this.history.push(e as unknown as HistoryEvent);
    if (ref !== null) ref.thread.lastEventId = id;
  }

  command(c: Command): void {
    this.commands.push(c);
  }

  newId(prefix: string): string {
    this.snap.seq += 1;
    return `${prefix}${this.snap.seq}`;
  }

  startTimer(ref: ThreadRef | null, purpose: TimerPurpose, fireAt: number): string {
    const timerId = this.newId('w');
    const command = { type: 'StartTimer' as const, timerId, fireAt: Math.max(0, Math.round(fireAt)), purpose };
    this.snap.pending[timerId] = { addr: ref === null ? [] : [...ref.addr], kind: 'timer', purpose, command };
    this.command(command);
    return timerId;
  }

  cancelTimer(timerId: string | undefined): void {
    if (timerId === undefined || this.snap.pending[timerId] === undefined) return;
    delete this.snap.pending[timerId];
    this.command({ type: 'CancelTimer', timerId });
  }

  cancelTask(taskId: string | undefined): void {
    if (taskId === undefined || this.snap.pending[taskId] === undefined) return;
    delete this.snap.pending[taskId];
    this.command({ type: 'CancelTask', taskId });
  }

  // --- control flow -----------------------------------------------------------------------

  /** Runs a thread from `name` until it blocks, ends or fails. */
  async drive(ref: ThreadRef, name: string, input: Json): Promise<void> {
    let next: Next = { name, input };
    while (next !== null && ref.thread.status === 'running') next = await this.enter(ref, next.name, next.input);
  }

  async enter(ref: ThreadRef, name: string, input: Json): Promise<Next> {
    const state = this.machine.states[name];
    const visit = (ref.thread.visits[name] ?? 0) + 1;
    ref.thread.visits[name] = visit;
    ref.thread.cur = {
      name,
      input,
      enteredAt: this.now,
      visit,
      phase: null,
      retriers: state.retry.map(() => 0),
      retryCount: 0,
      attempt: 0,
    };
    this.transitions++;
    this.snap.transitions++;
    this.event(ref, `${state.type}StateEntered`, { stateEnteredEventDetails: { name, input } });
    return executeState(this, ref);
  }

  /** Runs `step`; on a StatesError applies Retry/Catch; then keeps driving the thread. */
  async continueWith(ref: ThreadRef, step: () => Promise<Next>): Promise<void> {
    let next: Next;
    try {
      next = await step();
    } catch (err) {
      next = await this.onError(ref, err);
    }
    if (next !== null && ref.thread.status === 'running') await this.drive(ref, next.name, next.input);
  }

  /** Error handling is in states.ts; this indirection keeps the import graph one-way. */
  onError!: (ref: ThreadRef, err: unknown) => Promise<Next>;

  /**
   * Ends the current state: applies the new variable values, records the exit, and
   * returns where to go (null when the thread ended here).
   */
  complete(ref: ThreadRef, output: Json, next: string | null, assigned: JsonObject | null, exitEvent = true): Next {
    const state = this.state(ref);
    checkSize(output, this.machine.limits.maxPayloadBytes, `output of state "${state.name}"`);
    if (assigned !== null) {
      for (const [k, v] of Object.entries(assigned)) checkSize(v, this.machine.limits.maxAssignBytes, `value assigned to $${k}`);
      Object.assign(ref.thread.vars, assigned);
    }
    if (exitEvent) this.event(ref, `${state.type}StateExited`, { stateExitedEventDetails: { name: state.name, output } });
    if (next === null) {
      ref.thread.cur = null;
      this.finishThread(ref, output);
      return null;
    }
    ref.thread.cur = null;
    return { name: next, input: output };
  }

  finishThread(ref: ThreadRef, output: Json): void {
    ref.thread.status = 'succeeded';
    ref.thread.output = output;
    this.queueParent(ref);
  }

  failThread(ref: ThreadRef, err: StatesError): void {
    ref.thread.status = 'failed';
    ref.thread.error = { error: err.error, cause: err.causeText };
    if (ref.thread.cur !== null) ref.thread.cur.phase = null;
    this.queueParent(ref);
  }

  /**
   * Containers (or the execution, for the root) that must look at their threads again.
   * Processed by flush() so completion never recurses through nested containers.
   */
  private readonly queue: (readonly number[] | 'root')[] = [];

  private queueParent(ref: ThreadRef): void {
    this.queue.push(ref.addr.length === 0 ? 'root' : ref.addr.slice(0, -1));
  }

  /** Asks flush() to check a container thread (its Parallel/Map state). */
  queueContainer(ref: ThreadRef): void {
    this.queue.push(ref.addr);
  }

  async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const item = this.queue.shift()!;
      if (item === 'root') {
        this.finishExecutionFromRoot();
        continue;
      }
      const ref = this.resolve(item);
      const phase = ref?.thread.cur?.phase;
      if (ref === null || ref.thread.status !== 'running' || (phase !== 'parallel' && phase !== 'map')) continue;
      await checkContainer(this, ref);
    }
  }

  /** Stops a thread and everything under it: cancels tasks and timers. */
  abortThread(ref: ThreadRef, iterationIndex?: number): void {
    const t = ref.thread;
    if (t.status !== 'running' && t.status !== 'pending') return;
    const cur = t.cur;
    if (t.status === 'running' && cur !== null) {
      const state = this.machine.states[cur.name];
      this.cancelTask(cur.taskId);
      this.cancelTimer(cur.timeoutTimerId);
      this.cancelTimer(cur.heartbeatTimerId);
      this.cancelTimer(cur.timerId);
      if (cur.branches !== undefined) cur.branches.forEach((_, i) => this.abortThread(this.child(ref, i)));
      if (cur.map !== undefined) {
        for (const key of Object.keys(cur.map.iterations)) this.abortThread(this.child(ref, Number(key)), Number(key));
      }
      if (cur.phase !== null) this.event(ref, `${state.type}StateAborted`);
      cur.phase = null;
    }
    if (iterationIndex !== undefined && t.status === 'running') {
      const parent = this.parentOf(ref);
      if (parent !== null) {
        this.event(parent, 'MapIterationAborted', { mapIterationAbortedEventDetails: { name: parent.thread.cur!.name, index: iterationIndex } });
      }
    }
    t.status = 'aborted';
  }

  // --- execution end ------------------------------------------------------------------------

  private finishExecutionFromRoot(): void {
    const root = this.snap.root;
    if (this.snap.status !== 'RUNNING') return;
    if (root.status === 'succeeded') this.endExecution('SUCCEEDED', root.output ?? null);
    else if (root.status === 'failed') this.endExecution('FAILED', null, root.error);
  }

  endExecution(status: Exclude<Snapshot['status'], 'RUNNING'>, output: Json, error?: ErrorInfo): void {
    if (this.snap.status !== 'RUNNING') return;
    this.finalizing = true;
    this.snap.status = status;
    for (const [id, p] of Object.entries(this.snap.pending)) {
      if (p.kind === 'task') this.cancelTask(id);
      else this.cancelTimer(id);
    }
    this.snap.executionTimerId = null;
    if (status === 'SUCCEEDED') {
      this.snap.output = output;
      this.event(null, 'ExecutionSucceeded', { executionSucceededEventDetails: { output } });
      this.command({ type: 'ExecutionSucceeded', output });
      return;
    }
    const e = error ?? { error: StatesErrors.Runtime, cause: 'unknown failure' };
    this.snap.error = e.error;
    this.snap.cause = e.cause;
    const type = status === 'FAILED' ? 'Failed' : status === 'TIMED_OUT' ? 'TimedOut' : 'Aborted';
    const key = `execution${type}EventDetails`;
    this.event(null, `Execution${type}`, { [key]: { error: e.error, cause: e.cause } });
    this.command({ type: `Execution${type}` as 'ExecutionFailed', error: e.error, cause: e.cause });
  }

  /** Fails the whole execution at once (history limit, machine-level problems). */
  abortAndFail(status: 'FAILED' | 'TIMED_OUT' | 'ABORTED', error: ErrorInfo): void {
    this.finalizing = true;
    this.abortThread(this.root());
    this.endExecution(status, null, error);
  }
}
