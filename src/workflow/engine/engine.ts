/**
 * The durable workflow engine: drives the pure ASL interpreter (../asl) and keeps its
 * contract (docs/workflows.md). Per execution, events are handled one at a time; each
 * step — {event, snapshot, history, commands} plus the timers it starts and cancels — is
 * journalled in one store transaction BEFORE its commands are carried out. At start,
 * every RUNNING execution is loaded from its last snapshot and its outstanding commands
 * are issued again (same task ids, same idempotency keys, same timer fire times).
 * Time comes from the Clock; randomness is seeded per step (`<id>:<seq>`), so a step
 * computed again is the same step.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { repeatEvery, type Periodic } from '../../core/periodic.ts';
import type { InvokeOutcome, InvokeRequest } from '../../dispatch/dispatcher.ts';
import type { DueTimer, ExecutionQuery, ExecutionRow, StateMachineVersion, TaskTokenRow, WorkflowRepo } from '../../store/workflow-ports.ts';
import {
  apply,
  outstandingCommands,
  parseStateMachine,
  redrive,
  seededRandom,
  start,
  type AslEvent,
  type AslLimits,
  type Command,
  type InvokeTaskCommand,
  type Json,
  type Snapshot,
  type StateMachine,
  type Step,
} from '../asl/index.ts';
import { formatTraceparent, hexIds, startSpan } from '../../observe/trace.ts';
import { TaskRunner } from './task-runner.ts';
import { TimerScheduler } from './timers.ts';
import { ExecutionLeases, type OwnershipConfig } from './ownership.ts';
import { renewEveryMs } from '../../cluster/liveness.ts';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/;

export interface EngineDeps {
  readonly clock: Clock;
  readonly repo: WorkflowRepo;
  readonly invoke: (req: InvokeRequest) => Promise<InvokeOutcome>;
  readonly fetch?: typeof fetch;
  readonly limits?: Partial<AslLimits>;
  readonly onError?: (error: unknown, what: string) => void;
  /** Secret bytes of callback task tokens (default crypto.randomBytes). */
  readonly randomBytes?: (n: number) => Buffer;
  /** Ended executions (with their history) are deleted this long after they ended. Default 90 days. */
  readonly executionRetentionMs?: number;
  /**
   * Leases per execution, so that of several nodes on one store each execution is driven by
   * one, and adopted by another when its node dies (ownership.ts). Without: this engine
   * drives every running execution (the only node).
   */
  readonly ownership?: OwnershipConfig;
}

export const DEFAULT_EXECUTION_RETENTION_MS = 90 * 86_400_000;

/** What the callback API reports for a `.waitForTaskToken` task (SendTaskSuccess/Failure/Heartbeat). */
export type TaskCallback =
  | { readonly type: 'success'; readonly output: Json }
  | { readonly type: 'failure'; readonly error?: string; readonly cause?: string }
  | { readonly type: 'heartbeat' };

export interface StartOptions {
  /** Execution name, unique per workflow; a repeat with the same input returns the first execution. */
  readonly name?: string;
  /** Pin to this version instead of the current one. */
  readonly version?: number;
  /** What started it (api, cli, trigger…), informational. */
  readonly source?: string;
  /** The caller's W3C traceparent: the execution joins that trace (else it starts one). */
  readonly traceparent?: string;
}

export interface ExecutionEnd {
  readonly status: ExecutionRow['status'];
  readonly output: unknown;
  readonly error: string | null;
  readonly cause: string | null;
}

interface Live {
  readonly id: string;
  /** The execution's span, parent of its tasks' invocations. */
  readonly traceparent: string | null;
  readonly machine: StateMachine;
  /** The execution's state; a step in progress updates it in place (advance()). */
  snapshot: Snapshot;
  /** The snapshot's JSON as the store holds it: what a step that is not journalled goes back to. */
  committed: string;
  /** A step is in progress: `snapshot` may hold what is not journalled yet. */
  stepping: boolean;
  seq: number;
  tail: Promise<void>;
  readonly waiters: Array<(end: ExecutionEnd) => void>;
}

type StepEvent = AslEvent | { readonly type: 'Start' } | { readonly type: 'Redrive' };

function tokenNotFound(): NimbusError {
  return new NimbusError('NIMBUS_ERR_TASK_TOKEN_NOT_FOUND', 'no callback task has this task token; send the whole token the task received ($$.Task.Token)');
}

function tokenCompleted(t: TaskTokenRow): NimbusError {
  return new NimbusError('NIMBUS_ERR_TASK_ALREADY_COMPLETED', `the task already has its result; \`nimbus wf history ${t.executionId}\` shows it`, {
    extra: { executionId: t.executionId },
  });
}

function tokenExpired(t: TaskTokenRow, why: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_TASK_TOKEN_EXPIRED', `the task no longer waits for this token: ${why}; \`nimbus wf history ${t.executionId}\` shows why`, {
    extra: { executionId: t.executionId },
  });
}

/** The interpreter's task token replaced by the platform's (which has a secret part) wherever it appears. */
function withToken(value: Json, from: string, to: string): Json {
  if (typeof value === 'string') return value.includes(from) ? value.split(from).join(to) : value;
  if (Array.isArray(value)) return value.map((v) => withToken(v, from, to));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, Json> = {};
    for (const [k, v] of Object.entries(value)) out[k] = withToken(v, from, to);
    return out;
  }
  return value;
}

/** A running execution this node does not drive (another node holds its lease). */
function elsewhere(id: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_EXECUTION_ELSEWHERE', `execution ${id} is driven by another node; send this to that node, or again in a moment`, {
    extra: { executionId: id },
    retryAfterSeconds: 1,
  });
}

function notFound(id: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_EXECUTION_NOT_FOUND', `no workflow execution ${id}; \`nimbus wf ls --executions\` lists them`);
}

export class WorkflowEngine {
  private readonly live = new Map<string, Live>();
  private readonly traceIds = hexIds();
  private readonly machines = new Map<string, StateMachine>();
  private readonly tasks: TaskRunner;
  private readonly timers: TimerScheduler;
  private retention: Periodic | null = null;
  private readonly leases: ExecutionLeases | null;
  private keeping: Periodic | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly deps: EngineDeps) {
    this.tasks = new TaskRunner({ clock: deps.clock, invoke: deps.invoke, fetch: deps.fetch });
    this.leases = deps.ownership ? new ExecutionLeases(deps.ownership) : null;
    this.timers = new TimerScheduler(deps.clock, deps.repo, (t) => this.fireTimer(t), (e) => this.report(e, 'workflow timers'));
  }

  // ---- definitions ----------------------------------------------------------------------

  /** Validates and stores a definition (JSON or YAML text, or an object); a new version unless identical. */
  async deploy(name: string, source: unknown): Promise<{ version: StateMachineVersion; created: boolean }> {
    if (!NAME_PATTERN.test(name)) {
      throw new NimbusError('NIMBUS_ERR_VALIDATION', `workflow name ${JSON.stringify(name)} must be 1-80 letters, digits, "-" or "_", starting with a letter or digit`, {
        extra: { field: 'name' },
      });
    }
    if (typeof source !== 'string' && (typeof source !== 'object' || source === null || Array.isArray(source))) {
      throw new NimbusError('NIMBUS_ERR_VALIDATION', 'definition: must be the ASL definition as an object, or its JSON or YAML text', { extra: { field: 'definition' } });
    }
    const machine = parseStateMachine(source as string, { limits: this.deps.limits });
    const definition = JSON.stringify(machine.definition);
    const hash = createHash('sha256').update(definition).digest('hex');
    return this.deps.repo.deployMachine({ name, hash, definition, now: this.deps.clock.now() });
  }

  private async machineFor(name: string, version: number): Promise<StateMachine> {
    const key = `${name}@${version}`;
    let m = this.machines.get(key);
    if (m) return m;
    const v = await this.deps.repo.getMachineVersion(name, version);
    if (!v) throw new NimbusError('NIMBUS_ERR_WORKFLOW_NOT_FOUND', `workflow ${name} has no version ${version}; \`nimbus wf describe ${name}\` lists them`);
    m = parseStateMachine(v.definition, { limits: this.deps.limits });
    this.machines.set(key, m);
    return m;
  }

  /** Deletes a workflow that has no running execution, with its executions and triggers. */
  async delete(name: string): Promise<void> {
    const outcome = await this.deps.repo.deleteMachine(name);
    if (outcome === 'not_found') throw new NimbusError('NIMBUS_ERR_WORKFLOW_NOT_FOUND', `no workflow ${name}; \`nimbus wf ls\` lists them`);
    if (outcome === 'running') {
      throw new NimbusError(
        'NIMBUS_ERR_STATE_CONFLICT',
        `workflow ${name} has running executions; stop them first (\`nimbus wf ls ${name} --status RUNNING\`, then \`nimbus wf stop <id>\`) or let them end`,
      );
    }
    // a later deploy under this name starts again at version 1: drop the parsed versions
    for (const key of [...this.machines.keys()]) if (key.startsWith(`${name}@`)) this.machines.delete(key);
  }

  // ---- executions -----------------------------------------------------------------------

  /** Starts an execution; resolves once step 0 is journalled. `created` is false for a repeat by name. */
  async start(workflow: string, input: unknown, options: StartOptions = {}): Promise<{ execution: ExecutionRow; created: boolean }> {
    const r = await this.begin(workflow, input, options, false);
    return { execution: r.execution, created: r.created };
  }

  /** Starts an execution and waits (up to `timeoutMs`) for its end; `end` is null when it is still running. */
  async run(workflow: string, input: unknown, timeoutMs: number, options: StartOptions = {}): Promise<{ execution: ExecutionRow; end: ExecutionEnd | null }> {
    const r = await this.begin(workflow, input, options, true);
    if (r.end === null) return { execution: r.execution, end: null };
    let timer: { cancel(): void } | null = null;
    const end = await Promise.race([
      r.end,
      new Promise<null>((resolve) => (timer = this.deps.clock.setTimer(timeoutMs, () => resolve(null)))),
    ]);
    (timer as { cancel(): void } | null)?.cancel();
    return { execution: r.execution, end };
  }

  private async begin(
    workflow: string,
    input: unknown,
    options: StartOptions,
    wait: boolean,
  ): Promise<{ execution: ExecutionRow; created: boolean; end: Promise<ExecutionEnd> | null }> {
    this.assertOpen();
    const { repo, clock } = this.deps;
    const info = await repo.getMachine(workflow);
    if (!info) throw new NimbusError('NIMBUS_ERR_WORKFLOW_NOT_FOUND', `no workflow ${workflow}; deploy it with \`nimbus wf deploy ${workflow} <file>\``);
    const version = options.version ?? info.currentVersion;
    const machine = await this.machineFor(workflow, version);
    if (options.name !== undefined && !NAME_PATTERN.test(options.name)) {
      throw new NimbusError('NIMBUS_ERR_VALIDATION', `execution name ${JSON.stringify(options.name)} must be 1-80 letters, digits, "-" or "_"`, { extra: { field: 'name' } });
    }
    const inputText = JSON.stringify(input ?? {});
    if (options.name !== undefined) {
      const existing = await repo.findExecutionByName(workflow, options.name);
      if (existing) return this.repeat(existing, inputText, wait);
    }
    const now = clock.now();
    const id = newId(now);
    const step = await start(
      machine,
      input ?? {},
      { executionId: id, name: options.name ?? id, stateMachineId: `${workflow}:${version}`, stateMachineName: workflow },
      now,
      seededRandom(`${id}:0`),
    );
    const traceparent = formatTraceparent(startSpan(options.traceparent, this.traceIds));
    const parts = this.journalParts({ type: 'Start' }, step, now);
    const live: Live = { id, traceparent, machine, snapshot: step.snapshot, committed: parts.snapshot, stepping: false, seq: 0, tail: Promise.resolve(), waiters: [] };
    const end = wait ? this.waiter(live) : null;
    const created = await repo.startExecution({
      executionId: id,
      name: options.name ?? id,
      machine: workflow,
      version,
      input: inputText,
      source: options.source ?? 'api',
      traceparent,
      ...parts,
    });
    if (!created) {
      const existing = options.name !== undefined ? await repo.findExecutionByName(workflow, options.name) : null;
      if (existing) return this.repeat(existing, inputText, wait);
      throw new NimbusError('NIMBUS_ERR_CONFLICT', 'the execution could not be recorded; try again');
    }
    if (step.snapshot.status === 'RUNNING') {
      await this.leases?.take(id, clock.now());
      this.live.set(id, live);
    }
    this.perform(live, step.commands);
    const execution = (await repo.getExecution(id)) as ExecutionRow;
    return { execution, created: true, end };
  }

  private async repeat(existing: ExecutionRow, inputText: string, wait: boolean) {
    if (existing.input !== inputText) {
      throw new NimbusError('NIMBUS_ERR_STATE_CONFLICT', `an execution named ${existing.name} already exists with another input; choose another name`, {
        extra: { executionId: existing.id },
      });
    }
    let end: Promise<ExecutionEnd> | null = null;
    if (wait) {
      const live = this.live.get(existing.id);
      end = live ? this.waiter(live) : Promise.resolve(endOf(existing));
    }
    return { execution: existing, created: false, end };
  }

  private waiter(live: Live): Promise<ExecutionEnd> {
    return new Promise<ExecutionEnd>((resolve) => live.waiters.push(resolve));
  }

  async describe(id: string): Promise<ExecutionRow> {
    const row = await this.deps.repo.getExecution(id);
    if (!row) throw notFound(id);
    return row;
  }

  /** What a running execution waits for: its outstanding tasks and timers. */
  pending(row: ExecutionRow): Command[] {
    if (row.status !== 'RUNNING') return [];
    const live = this.live.get(row.id);
    if (live && !live.stepping) return outstandingCommands(live.snapshot);
    // the journalled state: a step in progress changes the live snapshot before it is committed
    return outstandingCommands(JSON.parse(live ? live.committed : row.snapshot) as Snapshot);
  }

  list(query: ExecutionQuery): Promise<ExecutionRow[]> {
    return this.deps.repo.listExecutions(query);
  }

  async history(id: string, afterId: number, limit: number): Promise<unknown[]> {
    await this.describe(id);
    return (await this.deps.repo.history(id, afterId, limit)).map((h) => JSON.parse(h));
  }

  /** Stops a running execution (ExecutionAborted); resolves with the execution after the step. */
  async stop(id: string, error?: string, cause?: string): Promise<ExecutionRow> {
    const row = await this.describe(id);
    const live = this.live.get(id);
    if (row.status === 'RUNNING' && !live && this.leases) throw elsewhere(id);
    if (row.status !== 'RUNNING' || !live) {
      throw new NimbusError('NIMBUS_ERR_STATE_CONFLICT', `execution ${id} is ${row.status}; only a running execution can be stopped`);
    }
    await this.deliver(id, { type: 'StopRequested', ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) });
    return this.describe(id);
  }

  /** Redrives a FAILED, TIMED_OUT or ABORTED execution from the state(s) that failed. */
  async redrive(id: string): Promise<ExecutionRow> {
    this.assertOpen();
    const row = await this.describe(id);
    if (row.status === 'RUNNING' || row.status === 'SUCCEEDED' || this.live.has(id)) {
      throw new NimbusError('NIMBUS_ERR_STATE_CONFLICT', `execution ${id} is ${row.status}; only a failed, timed-out or aborted one can be redriven`);
    }
    const machine = await this.machineFor(row.machine, row.version);
    const live: Live = { id, traceparent: row.traceparent, machine, snapshot: JSON.parse(row.snapshot) as Snapshot, committed: row.snapshot, stepping: false, seq: row.seq, tail: Promise.resolve(), waiters: [] };
    await this.leases?.take(id, this.deps.clock.now());
    this.live.set(id, live);
    const done = this.enqueue(live, async () => {
      const now = this.deps.clock.now();
      const step = await redrive(machine, live.snapshot, now, seededRandom(`${id}:${live.seq + 1}`));
      await this.journal(live, { type: 'Redrive' }, step, now);
    });
    try {
      await done;
    } catch (error) {
      // Not journalled: the execution is as stored (it ended), not driven here; it can be redriven again.
      if (live.seq === row.seq && this.live.get(id) === live) this.live.delete(id);
      throw error;
    }
    if (live.snapshot.status !== 'RUNNING' && this.live.get(id) === live) this.live.delete(id);
    return this.describe(id);
  }

  // ---- lifecycle ------------------------------------------------------------------------

  /**
   * Resumes every RUNNING execution from its last snapshot (with ownership: those no live
   * node holds), then keeps adopting executions whose node stops renewing; returns how many
   * it resumed now.
   */
  async recover(): Promise<number> {
    const n = await this.adopt();
    if (this.leases && this.deps.ownership) {
      this.keeping ??= repeatEvery(
        this.deps.clock,
        renewEveryMs(this.deps.ownership.ttlMs),
        async () => {
          if (this.keeping === null || this.closed) return; // the first adoption was above
          await this.keepLeases();
        },
        (e) => this.report(e, 'workflow execution leases'),
      );
    }
    this.timers.start();
    const keepMs = this.deps.executionRetentionMs ?? DEFAULT_EXECUTION_RETENTION_MS;
    this.retention ??= repeatEvery(
      this.deps.clock,
      Math.min(3_600_000, Math.max(1_000, Math.floor(keepMs / 10))),
      () => this.pruneEnded(this.deps.clock.now() - keepMs),
      (e) => this.report(e, 'pruning ended workflow executions'),
    );
    return n;
  }

  /** Loads the RUNNING executions not driven here (and, with ownership, whose lease it takes) and drives them. */
  private async adopt(): Promise<number> {
    const ids = await this.deps.repo.runningExecutions();
    let n = 0;
    for (const id of ids) {
      try {
        if (this.live.has(id) || this.closed) continue;
        if (this.leases && !(await this.leases.take(id, this.deps.clock.now()))) continue;
        const row = await this.deps.repo.getExecution(id);
        if (!row || row.status !== 'RUNNING' || this.live.has(id)) continue;
        const machine = await this.machineFor(row.machine, row.version);
        const live: Live = { id, traceparent: row.traceparent, machine, snapshot: JSON.parse(row.snapshot) as Snapshot, committed: row.snapshot, stepping: false, seq: row.seq, tail: Promise.resolve(), waiters: [] };
        this.live.set(id, live);
        // Timers are in the store already (the scheduler fires them); tasks are issued again.
        this.perform(live, outstandingCommands(live.snapshot).filter((c) => c.type === 'InvokeTask'));
        n++;
      } catch (error) {
        this.report(error, `resuming workflow execution ${id}`);
      }
    }
    // Their timers were armed on the node that journalled them: look at the store's now.
    if (n > 0) this.timers.armAt(this.deps.clock.now());
    return n;
  }

  /** Renews the leases of executions driven here, stops driving those another node took, adopts orphans. */
  private async keepLeases(): Promise<void> {
    if (!this.leases) return;
    const lost = await this.leases.renew(new Set(this.live.keys()), this.deps.clock.now());
    for (const id of lost) this.live.delete(id);
    await this.adopt();
  }

  /** Deletes ended executions in small transactions, so the store is never held for long. */
  private async pruneEnded(endedBefore: number): Promise<void> {
    const BATCH = 200;
    while ((await this.deps.repo.pruneExecutions(endedBefore, BATCH)) === BATCH) {
      await new Promise<void>((resolve) => setImmediate(resolve)); // let requests in between
    }
  }

  /** Stops the timers and waits (bounded) for task results in flight to be journalled. */
  async close(timeoutMs: number): Promise<void> {
    this.timers.stop();
    this.retention?.stop();
    this.retention = null;
    this.keeping?.stop();
    this.keeping = null;
    let timer: { cancel(): void } | null = null;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => (timer = this.deps.clock.setTimer(timeoutMs, resolve, true))),
    ]);
    (timer as { cancel(): void } | null)?.cancel();
    this.closed = true;
    // What still runs here is adopted by another node at once rather than at the leases' expiry.
    await this.leases?.releaseAll().catch((e: unknown) => this.report(e, 'releasing workflow execution leases'));
  }

  /** Executions this process is driving right now. */
  get running(): number {
    return this.live.size;
  }

  // ---- the loop -------------------------------------------------------------------------

  private assertOpen(): void {
    if (this.closed) throw new NimbusError('NIMBUS_ERR_SHUTTING_DOWN', 'the platform is shutting down', { retryAfterSeconds: 1 });
  }

  private enqueue(live: Live, fn: () => Promise<void>): Promise<void> {
    const next = live.tail.then(fn);
    live.tail = next.catch((error) => this.report(error, `workflow execution ${live.id}`));
    return next;
  }

  /** Feeds an event to an execution (serialized per execution). */
  deliver(id: string, event: AslEvent): Promise<void> {
    const live = this.live.get(id);
    if (!live || this.closed) return Promise.resolve();
    return this.enqueue(live, async () => {
      if (live.snapshot.status !== 'RUNNING' || this.closed) return;
      // An event the interpreter ignored (late, duplicate) changes nothing; a stale timer row still goes.
      await this.advance(live, event, this.deps.clock.now(), event.type === 'TimerFired');
    });
  }

  /**
   * One step of a live execution (called on its serialized tail): the interpreter updates the
   * live snapshot in place (no copy a step), and a step that is not journalled (ignored, or the
   * interpreter or the store threw) puts the snapshot back as journalled. `keepIgnored`: an
   * event without history or commands is journalled all the same.
   */
  private async advance(live: Live, event: AslEvent, now: number, keepIgnored: boolean): Promise<void> {
    let journalled = false;
    live.stepping = true;
    try {
      // only a callback task has a token to complete (read before the step takes the task off)
      const tokenOf = event.type === 'TaskSucceeded' || event.type === 'TaskFailed' ? live.snapshot.pending[event.taskId]?.command : undefined;
      const tasksCompleted = tokenOf?.type === 'InvokeTask' && tokenOf.callback ? [tokenOf.taskId] : [];
      const step = await apply(live.machine, live.snapshot, event, now, seededRandom(`${live.id}:${live.seq + 1}`), { inPlace: true });
      if (step.history.length === 0 && step.commands.length === 0 && !keepIgnored) return;
      await this.journal(live, event, step, now, tasksCompleted);
      journalled = true;
    } finally {
      if (!journalled) live.snapshot = JSON.parse(live.committed) as Snapshot;
      live.stepping = false;
    }
  }

  private journalParts(event: StepEvent, step: Step, now: number, tasksCompleted: readonly string[] = []) {
    const snap = step.snapshot;
    const timersStarted: Array<{ timerId: string; fireAt: number }> = [];
    const timersCancelled: string[] = event.type === 'TimerFired' ? [event.timerId] : [];
    const taskTokens: Array<{ taskId: string; token: string }> = [];
    for (const c of step.commands) {
      if (c.type === 'StartTimer') timersStarted.push({ timerId: c.timerId, fireAt: c.fireAt });
      else if (c.type === 'CancelTimer') timersCancelled.push(c.timerId);
      else if (c.type === 'InvokeTask' && c.callback && c.taskToken !== null) {
        // The interpreter's token is derived from seeded randomness (replayable, so guessable
        // from the execution id); the platform's adds 192 random bits and is the credential.
        taskTokens.push({ taskId: c.taskId, token: `${c.taskToken}.${(this.deps.randomBytes ?? randomBytes)(24).toString('base64url')}` });
      }
    }
    return {
      event: JSON.stringify(event),
      commands: JSON.stringify(step.commands),
      snapshot: JSON.stringify(snap),
      history: step.history.map((h) => ({ id: h.id, json: JSON.stringify(h) })),
      status: snap.status,
      output: snap.status === 'SUCCEEDED' ? JSON.stringify(snap.output ?? null) : null,
      error: snap.status === 'RUNNING' || snap.status === 'SUCCEEDED' ? null : (snap.error ?? null),
      cause: snap.status === 'RUNNING' || snap.status === 'SUCCEEDED' ? null : (snap.cause ?? null),
      transitions: step.transitions,
      redriveCount: snap.execution.redriveCount,
      timersStarted,
      timersCancelled,
      taskTokens,
      tasksCompleted,
      now,
    };
  }

  /** Journal first, then act. */
  private async journal(live: Live, event: StepEvent, step: Step, now: number, tasksCompleted: readonly string[] = []): Promise<void> {
    const parts = this.journalParts(event, step, now, tasksCompleted);
    const ok = await this.deps.repo.appendStep({ executionId: live.id, expectedSeq: live.seq, ...parts });
    if (!ok) {
      // Someone else journalled this execution (should not happen in one process): follow the store.
      const row = await this.deps.repo.getExecution(live.id);
      if (row) {
        live.snapshot = JSON.parse(row.snapshot) as Snapshot;
        live.committed = row.snapshot;
        live.seq = row.seq;
      }
      throw new NimbusError('NIMBUS_ERR_CONFLICT', `execution ${live.id} was journalled concurrently; the step was dropped`);
    }
    live.snapshot = step.snapshot;
    live.committed = parts.snapshot;
    live.seq += 1;
    this.perform(live, step.commands);
  }

  private perform(live: Live, commands: readonly Command[]): void {
    for (const c of commands) {
      switch (c.type) {
        case 'InvokeTask':
          this.runTask(live, c);
          break;
        case 'StartTimer':
          this.timers.armAt(c.fireAt);
          break;
        case 'ExecutionSucceeded':
        case 'ExecutionFailed':
        case 'ExecutionTimedOut':
        case 'ExecutionAborted': {
          if (this.live.get(live.id) === live) this.live.delete(live.id);
          const snap = live.snapshot;
          const end: ExecutionEnd = {
            status: snap.status,
            output: snap.status === 'SUCCEEDED' ? (snap.output ?? null) : null,
            error: snap.error ?? null,
            cause: snap.cause ?? null,
          };
          for (const w of live.waiters.splice(0)) w(end);
          break;
        }
        default:
          break; // CancelTimer: the row went with the step; CancelTask: a late result is ignored.
      }
    }
  }

  private runTask(live: Live, cmd: InvokeTaskCommand): void {
    const p = (async () => {
      if (cmd.callback) return this.runCallbackTask(live, cmd);
      const event = await this.tasks.run(live, cmd);
      if (event) await this.deliver(live.id, event);
    })()
      .catch((error) => this.report(error, `task ${cmd.idempotencyKey}`))
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
  }

  /**
   * A `.waitForTaskToken` task: the function gets the payload with the platform's token in
   * place of `$$.Task.Token`; its return value is not the result (the callback API brings
   * it), but a throw fails the task. Once the function has returned, a restart does not
   * invoke it again: the task just keeps waiting for its token.
   */
  private async runCallbackTask(live: Live, cmd: InvokeTaskCommand): Promise<void> {
    const row = await this.deps.repo.taskTokenOf(live.id, cmd.taskId);
    if (!row || cmd.taskToken === null) {
      await this.deliver(live.id, { type: 'TaskFailed', taskId: cmd.taskId, error: 'States.Runtime', cause: 'the task token of this callback task was not recorded' });
      return;
    }
    if (row.invokedAt !== null || row.completedAt !== null) return;
    const event = await this.tasks.run(live, { ...cmd, payload: withToken(cmd.payload, cmd.taskToken, row.token) });
    if (event === null) return;
    if (event.type === 'TaskFailed') await this.deliver(live.id, event);
    else await this.deps.repo.markTaskInvoked(row.token, this.deps.clock.now());
  }

  /** The platform's token of each outstanding callback task of a running execution (taskId → token). */
  async callbackTokens(row: ExecutionRow): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const c of this.pending(row)) {
      if (c.type !== 'InvokeTask' || !c.callback) continue;
      const t = await this.deps.repo.taskTokenOf(row.id, c.taskId);
      if (t) out.set(c.taskId, t.token);
    }
    return out;
  }

  /**
   * SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat: finds the task by its token and
   * feeds the event through the execution's serialized, journal-first path. Throws
   * NIMBUS_ERR_TASK_TOKEN_NOT_FOUND, _TASK_ALREADY_COMPLETED or _TASK_TOKEN_EXPIRED.
   */
  async completeTask(token: string, callback: TaskCallback): Promise<{ executionId: string; taskId: string }> {
    this.assertOpen();
    const t = await this.deps.repo.getTaskToken(token);
    if (!t) throw tokenNotFound();
    if (t.completedAt !== null) throw tokenCompleted(t);
    const live = this.live.get(t.executionId);
    if (!live) {
      const row = await this.deps.repo.getExecution(t.executionId);
      if (row?.status === 'RUNNING' && this.leases) throw elsewhere(t.executionId);
      throw tokenExpired(t, `execution ${t.executionId} is ${row?.status ?? 'gone'}`);
    }
    let refusal: NimbusError | null = null;
    await this.enqueue(live, async () => {
      if (this.closed) {
        refusal = new NimbusError('NIMBUS_ERR_SHUTTING_DOWN', 'the platform is shutting down; send it again after the restart', { retryAfterSeconds: 1 });
        return;
      }
      if (live.snapshot.status !== 'RUNNING' || !live.snapshot.pending[t.taskId]) {
        const again = await this.deps.repo.getTaskToken(token);
        refusal = again?.completedAt != null ? tokenCompleted(t) : tokenExpired(t, live.snapshot.status !== 'RUNNING' ? `execution ${t.executionId} is ${live.snapshot.status}` : 'it timed out or was cancelled');
        return;
      }
      const event: AslEvent =
        callback.type === 'success'
          ? { type: 'TaskSucceeded', taskId: t.taskId, output: callback.output }
          : callback.type === 'failure'
            ? { type: 'TaskFailed', taskId: t.taskId, error: callback.error ?? '', ...(callback.cause !== undefined ? { cause: callback.cause } : {}) }
            : { type: 'TaskHeartbeat', taskId: t.taskId };
      // a heartbeat without HeartbeatSeconds has nothing to journal
      await this.advance(live, event, this.deps.clock.now(), false);
    });
    if (refusal) throw refusal;
    return { executionId: t.executionId, taskId: t.taskId };
  }

  private async fireTimer(t: DueTimer): Promise<void> {
    if (!this.live.has(t.executionId)) return;
    await this.deliver(t.executionId, { type: 'TimerFired', timerId: t.timerId });
  }

  private report(error: unknown, what: string): void {
    this.deps.onError?.(error, what);
  }
}

export function endOf(row: ExecutionRow): ExecutionEnd {
  return { status: row.status, output: row.output === null ? null : JSON.parse(row.output), error: row.error, cause: row.cause };
}
