/**
 * The data that crosses the interpreter's boundary: JSON values, the snapshot that the
 * durable engine journals, the events it feeds in, the commands it carries out, and the
 * ASL-style history it records. Everything here is plain JSON (no classes, no functions)
 * so a host can store it verbatim and hand it back after a crash.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export type QueryLanguage = 'JSONPath' | 'JSONata';

/** Returns a uniformly distributed number in [0, 1). Pass a seeded one for replay. */
export type Random = () => number;

/** Who is running: the host fills this in when it starts an execution. */
export interface ExecutionContext {
  /** Unique id of the execution ($$.Execution.Id); part of every idempotency key. */
  readonly executionId: string;
  /** $$.Execution.Name; defaults to the id. */
  readonly name?: string;
  /** $$.StateMachine.Id. */
  readonly stateMachineId?: string;
  /** $$.StateMachine.Name. */
  readonly stateMachineName?: string;
  /** $$.Execution.RoleArn, informational only. */
  readonly roleArn?: string;
}

// ---------------------------------------------------------------------------------------
// Task targets: what the host must actually do. Resolved from the state's Resource.

export interface FunctionTarget {
  readonly kind: 'function';
  /** Nimbus function name. */
  readonly name: string;
  /** Version or alias, when the resource named one. */
  readonly qualifier?: string;
  /**
   * `direct`: the function output is the task result (`arn:aws:lambda:…:function:x`, `fn:x`).
   * `invoke`: the result is wrapped like Step Functions' lambda:invoke integration
   * ({ Payload, StatusCode: 200, … }); the interpreter does the wrapping.
   */
  readonly integration: 'direct' | 'invoke';
}

export interface HttpTarget {
  readonly kind: 'http';
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** Opaque parts of the request that the host may honour (Authentication, Transform). */
  readonly options: JsonObject;
}

export type TaskTarget = FunctionTarget | HttpTarget;

// ---------------------------------------------------------------------------------------
// Commands: decisions as values. The host performs them and reports back with events.

export interface InvokeTaskCommand {
  readonly type: 'InvokeTask';
  /** Unique within the execution; the answering event must carry it. */
  readonly taskId: string;
  readonly target: TaskTarget;
  /** The effective input sent to the function (or the HTTP request body). */
  readonly payload: Json;
  /** The state's own limits; the interpreter also arms timers for them (see docs). */
  readonly timeoutSeconds: number | null;
  readonly heartbeatSeconds: number | null;
  /** executionId : state path : visit : attempt — identical when a step is replayed. */
  readonly idempotencyKey: string;
  /** 0 for the first try, +1 for each retry of this state visit. */
  readonly attempt: number;
  /** Readable location, e.g. `Fan/2/Validate` (Map iteration 2 of state Fan). */
  readonly statePath: string;
  readonly stateName: string;
  /** Set for `.waitForTaskToken` resources: finish on the callback, not on return. */
  readonly taskToken: string | null;
  readonly callback: boolean;
  /** The Task's Credentials field, evaluated, when present. */
  readonly credentials: Json | null;
}

export type TimerPurpose = 'wait' | 'retry' | 'task-timeout' | 'heartbeat' | 'execution-timeout';

export interface StartTimerCommand {
  readonly type: 'StartTimer';
  readonly timerId: string;
  /** Epoch milliseconds. */
  readonly fireAt: number;
  readonly purpose: TimerPurpose;
}

export interface CancelTimerCommand {
  readonly type: 'CancelTimer';
  readonly timerId: string;
}

/** An outstanding task is no longer wanted (its branch failed, it timed out, a stop). */
export interface CancelTaskCommand {
  readonly type: 'CancelTask';
  readonly taskId: string;
}

export interface ExecutionSucceededCommand {
  readonly type: 'ExecutionSucceeded';
  readonly output: Json;
}

export interface ExecutionFailedCommand {
  readonly type: 'ExecutionFailed';
  readonly error: string;
  readonly cause: string;
}

export interface ExecutionTimedOutCommand {
  readonly type: 'ExecutionTimedOut';
  readonly error: string;
  readonly cause: string;
}

export interface ExecutionAbortedCommand {
  readonly type: 'ExecutionAborted';
  readonly error: string;
  readonly cause: string;
}

export type Command =
  | InvokeTaskCommand
  | StartTimerCommand
  | CancelTimerCommand
  | CancelTaskCommand
  | ExecutionSucceededCommand
  | ExecutionFailedCommand
  | ExecutionTimedOutCommand
  | ExecutionAbortedCommand;

// ---------------------------------------------------------------------------------------
// Events: what happened outside. Unknown or stale ids are ignored (no-op step).

export interface TaskSucceededEvent {
  readonly type: 'TaskSucceeded';
  readonly taskId: string;
  readonly output: Json;
  /** For `invoke` function targets: the version that ran ($LATEST when absent). */
  readonly executedVersion?: string;
}

export interface TaskFailedEvent {
  readonly type: 'TaskFailed';
  readonly taskId: string;
  readonly error: string;
  readonly cause?: string;
}

/** Resets the HeartbeatSeconds timer of a callback task. */
export interface TaskHeartbeatEvent {
  readonly type: 'TaskHeartbeat';
  readonly taskId: string;
}

export interface TimerFiredEvent {
  readonly type: 'TimerFired';
  readonly timerId: string;
}

export interface StopRequestedEvent {
  readonly type: 'StopRequested';
  readonly error?: string;
  readonly cause?: string;
}

export type AslEvent = TaskSucceededEvent | TaskFailedEvent | TaskHeartbeatEvent | TimerFiredEvent | StopRequestedEvent;

// ---------------------------------------------------------------------------------------
// History: Step Functions-shaped events (GetExecutionHistory), stamped with `now`.

export interface HistoryEvent {
  readonly id: number;
  /** The previous event of the same branch/iteration (0 for the first). */
  readonly previousEventId: number;
  /** ISO-8601 from the `now` passed to start/apply. */
  readonly timestamp: string;
  readonly type: string;
  /** Where it happened, e.g. `Fan/2/Validate#1`; absent for execution-level events. */
  readonly statePath?: string;
  readonly [details: string]: unknown;
}

// ---------------------------------------------------------------------------------------
// Snapshot: everything needed to continue. Plain JSON; never mutated by apply().

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export type ThreadStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'aborted';
export type Phase = 'task' | 'backoff' | 'wait' | 'parallel' | 'map';

export interface ErrorInfo {
  readonly error: string;
  readonly cause: string;
}

/** One sequence of states: the top level, one Parallel branch, or one Map iteration. */
export interface ThreadSnapshot {
  status: ThreadStatus;
  /** Id of the scope (States block) this thread runs; '' is the top level. */
  scope: string;
  /** This scope's variables (outer scopes are read through the parent threads). */
  vars: JsonObject;
  /** Visits per state name, so a loop back into a state gets a fresh idempotency key. */
  visits: Record<string, number>;
  /** The state being executed (kept after a failure so redrive can resume it). */
  cur: ActiveState | null;
  /** Input of a thread that has not started yet. */
  input?: Json;
  output?: Json;
  error?: ErrorInfo;
  /** Last history event id of this thread, for previousEventId. */
  lastEventId: number;
  /** Map iterations: set once a failed iteration has been counted by its Map state. */
  counted?: boolean;
}

export interface ActiveState {
  name: string;
  /** Raw state input. */
  input: Json;
  enteredAt: number;
  visit: number;
  phase: Phase | null;
  /** Attempts consumed per retrier, in Retry order. */
  retriers: number[];
  /** Retries so far in this visit ($$.State.RetryCount). */
  retryCount: number;
  attempt: number;
  taskId?: string;
  taskToken?: string;
  taskTarget?: TaskTarget;
  timerId?: string;
  timeoutTimerId?: string;
  heartbeatTimerId?: string;
  heartbeatSeconds?: number;
  branches?: ThreadSnapshot[];
  map?: MapProgress;
}

export interface MapProgress {
  /** The Items Array. */
  items: Json[];
  /** Effective input of the Map state (input of ItemSelector). */
  effectiveInput: Json;
  next: number;
  results: Json[];
  succeeded: number;
  failed: number;
  maxConcurrency: number;
  toleratedFailureCount: number | null;
  toleratedFailurePercentage: number | null;
  /** Running, failed or aborted iterations by index (succeeded ones keep only results). */
  iterations: Record<string, ThreadSnapshot>;
}

export interface PendingRef {
  /** Path of thread indexes from the root (branch or iteration index per level). */
  addr: number[];
  kind: 'task' | 'timer';
  purpose: TimerPurpose | 'task';
  /** The command that started it, so a host recovering from a crash can issue it again. */
  command: InvokeTaskCommand | StartTimerCommand;
}

export interface Snapshot {
  readonly version: 1;
  execution: {
    id: string;
    name: string;
    input: Json;
    startTime: number;
    stateMachineId: string;
    stateMachineName: string;
    roleArn: string;
    redriveCount: number;
    redriveTime: number | null;
  };
  status: ExecutionStatus;
  root: ThreadSnapshot;
  /** Counter for task and timer ids. */
  seq: number;
  lastEventId: number;
  transitions: number;
  /** Outstanding task ids and timer ids, and the thread each belongs to. */
  pending: Record<string, PendingRef>;
  executionTimerId: string | null;
  output?: Json;
  error?: string;
  cause?: string;
}

export interface Step {
  readonly snapshot: Snapshot;
  readonly commands: Command[];
  readonly history: HistoryEvent[];
  /** State transitions made by this call (entries into a state, retries included). */
  readonly transitions: number;
}
