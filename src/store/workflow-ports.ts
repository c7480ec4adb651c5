/**
 * The workflow part of the Store port: state machines with immutable versions, executions
 * (the latest snapshot of each), the journal of steps, the ASL history, and durable timers.
 * workflow-contract.ts is the suite every implementation must pass.
 *
 * The engine journals every step with one appendStep() call: the step row, its history
 * events, the new snapshot and status, and the timers it started or cancelled are written
 * in ONE transaction, fenced by the step sequence number (a stale writer changes nothing).
 */
export interface StateMachineInfo {
  readonly name: string;
  readonly currentVersion: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface StateMachineVersion {
  readonly name: string;
  readonly version: number;
  /** Hash of the canonical definition; a deploy with the current hash creates nothing. */
  readonly hash: string;
  /** The accepted definition as JSON text (parse it again to run it). */
  readonly definition: string;
  readonly createdAt: number;
}

export interface MachineDeployInput {
  readonly name: string;
  readonly hash: string;
  readonly definition: string;
  readonly now: number;
}

export type ExecStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionRow {
  readonly id: string;
  readonly name: string;
  readonly machine: string;
  readonly version: number;
  readonly status: ExecStatus;
  /** JSON text. */
  readonly input: string;
  readonly output: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly startedAt: number;
  readonly stoppedAt: number | null;
  /** Sequence number of the last journalled step (0 = the start). */
  readonly seq: number;
  /** JSON text of the interpreter's Snapshot after step `seq`. */
  readonly snapshot: string;
  readonly transitions: number;
  readonly historyCount: number;
  readonly redriveCount: number;
  /** What started it: api, cli, trigger… (informational). */
  readonly source: string;
  readonly updatedAt: number;
  /** W3C traceparent naming the execution's own span; its tasks' invocations are children of it. */
  readonly traceparent: string | null;
}

export interface TimerChange {
  readonly timerId: string;
  readonly fireAt: number;
}

/** One journalled step: everything the engine persists before carrying out `commands`. */
export interface StepInput {
  readonly executionId: string;
  /** The seq the writer last saw; the step becomes seq + 1. Ignored (0) for a start. */
  readonly expectedSeq: number;
  /** JSON text of the event that caused the step ({"type":"Start"}, an AslEvent, {"type":"Redrive"}). */
  readonly event: string;
  /** JSON text of the commands the step produced. */
  readonly commands: string;
  readonly snapshot: string;
  /** History events as JSON text, each with its numeric id. */
  readonly history: ReadonlyArray<{ readonly id: number; readonly json: string }>;
  readonly status: ExecStatus;
  readonly output: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly transitions: number;
  readonly redriveCount: number;
  readonly timersStarted: readonly TimerChange[];
  readonly timersCancelled: readonly string[];
  /** Tokens of callback tasks this step issued (persisted with the step, so they survive a restart). */
  readonly taskTokens?: ReadonlyArray<{ readonly taskId: string; readonly token: string }>;
  /** Tasks whose result this step journalled: their tokens (if any) become completed. */
  readonly tasksCompleted?: readonly string[];
  readonly now: number;
}

export interface StartInput extends Omit<StepInput, 'expectedSeq'> {
  readonly name: string;
  readonly machine: string;
  readonly version: number;
  readonly input: string;
  readonly source: string;
  readonly traceparent?: string | null;
}

export interface JournalStep {
  readonly seq: number;
  readonly event: string;
  readonly commands: string;
  readonly at: number;
}

export interface ExecutionQuery {
  readonly machine?: string;
  readonly status?: ExecStatus;
  /** Ids sort by start time: only executions with an id before this one (pagination). */
  readonly before?: string;
  readonly limit: number;
}

export interface DueTimer {
  readonly executionId: string;
  readonly timerId: string;
  readonly fireAt: number;
}

/** A callback task's token and the task it completes. */
export interface TaskTokenRow {
  readonly token: string;
  readonly executionId: string;
  readonly taskId: string;
  readonly createdAt: number;
  /** When the function the task invoked returned (so a restart does not invoke it again). */
  readonly invokedAt: number | null;
  /** When the task's result (success or failure) was journalled. */
  readonly completedAt: number | null;
}

export interface WorkflowRepo {
  /** Creates the next version and makes it current, unless `hash` equals the current one's. */
  deployMachine(input: MachineDeployInput): Promise<{ version: StateMachineVersion; created: boolean }>;
  getMachine(name: string): Promise<StateMachineInfo | null>;
  listMachines(): Promise<StateMachineInfo[]>;
  /**
   * Deletes a workflow with its versions, its executions (journal, history, timers, task
   * tokens) and the triggers that start it, in one transaction. Refused ('running') while
   * an execution of it runs.
   */
  deleteMachine(name: string): Promise<'deleted' | 'not_found' | 'running'>;
  /**
   * Deletes up to `limit` executions that ended before `endedBefore` (epoch ms), with their
   * journal, history and tokens; returns how many (call again while it returns `limit`).
   */
  pruneExecutions(endedBefore: number, limit: number): Promise<number>;
  getMachineVersion(name: string, version: number): Promise<StateMachineVersion | null>;
  /** Newest first. */
  listMachineVersions(name: string): Promise<StateMachineVersion[]>;

  /** Inserts the execution with its step 0. false when an execution with this id or (machine, name) exists. */
  startExecution(input: StartInput): Promise<boolean>;
  /** Journals step expectedSeq + 1. false (nothing written) when the execution's seq is not expectedSeq. */
  appendStep(input: StepInput): Promise<boolean>;
  getExecution(id: string): Promise<ExecutionRow | null>;
  findExecutionByName(machine: string, name: string): Promise<ExecutionRow | null>;
  /** Newest first (ids sort by start time). */
  listExecutions(query: ExecutionQuery): Promise<ExecutionRow[]>;
  /** Ids of every RUNNING execution (what a restart must resume). */
  runningExecutions(): Promise<string[]>;
  /** History events (JSON text) with id > afterId, in order. */
  history(executionId: string, afterId: number, limit: number): Promise<string[]>;
  /** The journal of steps, in order. */
  steps(executionId: string): Promise<JournalStep[]>;
  /** Timers due at `now` or before, earliest first. */
  dueTimers(now: number, limit: number): Promise<DueTimer[]>;
  /** Earliest fire time of any timer, or null. */
  nextTimerAt(): Promise<number | null>;
  /** A callback task by its token, or null. */
  getTaskToken(token: string): Promise<TaskTokenRow | null>;
  /** The token of a callback task by (execution, task), or null. */
  taskTokenOf(executionId: string, taskId: string): Promise<TaskTokenRow | null>;
  /** Records that the task's function invocation returned. */
  markTaskInvoked(token: string, now: number): Promise<void>;
}
