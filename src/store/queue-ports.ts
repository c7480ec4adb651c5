/**
 * Store ports for asynchronous work: the durable queue (with its dead-letter list),
 * timer and event triggers, topics, and per-function async policies. queue-contract.ts
 * is the suite every implementation must pass.
 *
 * Queue life cycle (one row per async invocation, keyed by the invocation id):
 *
 *   queued ──claim──► running ──complete──► succeeded
 *     ▲                 │ ├──retry / release (throttle)──► queued (due later)
 *     │                 │ └──deadLetter──► dead ──redrive──► queued
 *     └── lease expired or recover() (the platform died while it ran)
 *
 * A claim takes a lease: the row stays `running` with `dueAt` = lease expiry, and becomes
 * claimable again when the lease runs out, so a crash re-delivers it. Each claim counts
 * an attempt; every finishing call is fenced by that attempt number, so a consumer whose
 * lease expired cannot overwrite a newer attempt's outcome.
 */
import type { InvocationRecord } from '../core/types.ts';

export type QueueState = 'queued' | 'running' | 'succeeded' | 'dead';
/**
 * `invoke` runs a function; `webhook` POSTs to a URL (a destination); `start-workflow`
 * starts an execution of a workflow (a trigger that targets one), named after the item's
 * idempotency key so that a redelivery finds the execution it already started.
 */
export type QueueKind = 'invoke' | 'webhook' | 'start-workflow';
/** The record trigger the invocation reports. */
export type QueueTrigger = 'async' | 'cron' | 'event';

export interface QueueError {
  readonly code: string;
  readonly message: string;
}

export interface EnqueueInput {
  readonly id: string;
  readonly kind: QueueKind;
  /** Function name for `invoke`; WEBHOOK_TARGET for `webhook`; workflowTarget(name) for `start-workflow`. */
  readonly target: string;
  readonly trigger: QueueTrigger;
  /** What submitted it (shown in records and status): a route, a trigger id, a topic. */
  readonly source: string;
  /** JSON text: the event for `invoke` (the execution input for `start-workflow`), {url, headers, body} for `webhook`. */
  readonly payload: string;
  /** A repeat enqueue with the same (target, key), while live, returns the first id. */
  readonly idempotencyKey?: string | null;
  /** Epoch ms at which it may first run; defaults to now. */
  readonly dueAt?: number;
  /** W3C trace context of the submitter, handed to the invocation (observability). */
  readonly traceparent?: string | null;
  /**
   * Enqueued already claimed: the consumer had room for it and starts it once the enqueue is
   * committed, with no claim of its own. Written running, attempt 1, leased until
   * `leaseUntil`, claimed by `owner` — the item claim() would have returned (claimedItem).
   * An idempotency key that matches an earlier submit enqueues, and so claims, nothing.
   */
  readonly claim?: { readonly owner: string; readonly leaseUntil: number };
}

/** The item an enqueue with `claim` wrote at `now`, as the store holds it. */
export function claimedItem(input: EnqueueInput & { readonly claim: NonNullable<EnqueueInput['claim']> }, now: number): QueueItem {
  return {
    id: input.id,
    kind: input.kind,
    target: input.target,
    trigger: input.trigger,
    source: input.source,
    payload: input.payload,
    idempotencyKey: input.idempotencyKey ?? null,
    state: 'running',
    acceptedAt: now,
    enqueuedAt: now,
    dueAt: input.claim.leaseUntil,
    attempts: 1,
    throttles: 0,
    lastError: null,
    deadReason: null,
    finishedAt: null,
    updatedAt: now,
    ...(input.traceparent ? { traceparent: input.traceparent } : {}),
  };
}

export const WEBHOOK_TARGET = '#webhook';
/** Queue target of `start-workflow` items: never a function name (those have no colon). */
export const WORKFLOW_TARGET_PREFIX = 'workflow:';
export function workflowTarget(workflow: string): string {
  return WORKFLOW_TARGET_PREFIX + workflow;
}

export interface QueueItem {
  readonly id: string;
  readonly kind: QueueKind;
  readonly target: string;
  readonly trigger: QueueTrigger;
  readonly source: string;
  readonly payload: string;
  readonly idempotencyKey: string | null;
  readonly state: QueueState;
  /** When the submit was first accepted (idempotency is measured from here). */
  readonly acceptedAt: number;
  /** Age origin for maxEventAgeMs: acceptedAt, or the last redrive. */
  readonly enqueuedAt: number;
  /** queued: when it may run; running: when its lease expires; finished: when it finished. */
  readonly dueAt: number;
  /** Attempts started (claims), the running one included. */
  readonly attempts: number;
  /** Times it was put back because the function was at capacity. */
  readonly throttles: number;
  readonly lastError: QueueError | null;
  /** Set when dead: max-attempts, max-age or non-retryable. */
  readonly deadReason: string | null;
  readonly finishedAt: number | null;
  readonly updatedAt: number;
  /** W3C trace context of the submitter; present only when one was given. */
  readonly traceparent?: string;
}

/** A dead letter of work that ran outside the queue (a topic delivery on the topic log): see QueueRepo.addDead. */
export interface DeadInput extends EnqueueInput {
  /** When it was accepted (published): its age origin, kept as acceptedAt and enqueuedAt. */
  readonly acceptedAt: number;
  /** Attempts it had. */
  readonly attempts: number;
  /** max-attempts, max-age, non-retryable or destination-failed. */
  readonly reason: string;
  readonly error: QueueError | null;
}

export interface EnqueueOutcome {
  readonly id: string;
  /** false when an idempotency key matched an earlier submit. */
  readonly created: boolean;
}

export interface DueTarget {
  readonly kind: QueueKind;
  readonly target: string;
  readonly count: number;
}

export interface QueueQuery {
  readonly target?: string;
  readonly state?: QueueState;
  /** Only ids sorting before this one: pagination (ids sort by time). */
  readonly before?: string;
  readonly limit: number;
}

export type QueueCounts = Readonly<Record<QueueState, number>>;

export interface QueueRepo {
  /** Enqueues (or dedupes by idempotency key) all inputs in one transaction. */
  enqueue(inputs: readonly EnqueueInput[], now: number, idempotencyTtlMs: number): Promise<EnqueueOutcome[]>;
  /** Targets with items claimable at `now` (queued and due, or running with an expired lease). */
  dueTargets(now: number): Promise<DueTarget[]>;
  /** Earliest dueAt of any queued or running item, or null. */
  nextDueAt(): Promise<number | null>;
  /**
   * Claims up to `limit` due items of a target, oldest due first: running, attempts+1, lease
   * until now+leaseMs, claimed by `owner` (the node's id; '' when none is given).
   */
  claim(target: string, limit: number, now: number, leaseMs: number, owner?: string): Promise<QueueItem[]>;
  /**
   * Attempt `attempt` succeeded; `followUps` (destinations) are enqueued in the same
   * transaction, and so is `record`, the attempt's invocation record (as InvocationRepo.insertMany
   * writes it): an item the queue shows as done has its record, crash or not.
   */
  complete(id: string, attempt: number, now: number, followUps?: readonly EnqueueInput[], record?: InvocationRecord): Promise<boolean>;
  /** Attempt failed; run again at `at`. `record`: the attempt's, written in the same transaction. */
  retry(id: string, attempt: number, at: number, error: QueueError, now: number, record?: InvocationRecord): Promise<boolean>;
  /** Put back without counting the attempt (throttled, or the platform is stopping). */
  release(id: string, attempt: number, at: number, now: number, throttled: boolean): Promise<boolean>;
  /** Exhausted: to the dead-letter list, with `followUps` (onFailure) and the last attempt's `record` in the same transaction. */
  deadLetter(
    id: string,
    attempt: number,
    reason: string,
    error: QueueError | null,
    now: number,
    followUps?: readonly EnqueueInput[],
    record?: InvocationRecord,
  ): Promise<boolean>;
  /**
   * Work that ran outside the queue (a topic delivery on the topic log) and is exhausted:
   * written straight to the dead-letter list, `followUps` (onFailure) in the same
   * transaction, so that `dlq ls`, redrive and purge treat it as any dead item. Its
   * idempotency key, if another item holds it, moves to this one. A repeat of the id writes
   * nothing and returns false (the log delivered it again after a crash before its ack).
   */
  addDead(input: DeadInput, now: number, followUps?: readonly EnqueueInput[]): Promise<boolean>;
  /**
   * Running items whose consumer died become queued and due now; returns how many. Without
   * `alive`, every running item (the only node restarted); with it, only items claimed by an
   * owner not in `alive` (nodes that stopped heartbeating), so live nodes keep their work.
   */
  recover(now: number, alive?: readonly string[]): Promise<number>;
  get(id: string): Promise<QueueItem | null>;
  /** Newest first. */
  list(query: QueueQuery): Promise<QueueItem[]>;
  counts(target?: string): Promise<QueueCounts>;
  /** A dead item starts afresh: queued, due now, attempts and throttles 0, age from now. */
  redrive(id: string, now: number): Promise<boolean>;
  /** Redrives every dead item (of one target when given); returns how many. */
  redriveAll(target: string | undefined, now: number): Promise<number>;
  /** Deletes a dead item. */
  purge(id: string): Promise<boolean>;
  /** Deletes succeeded items finished before `olderThan`; returns how many. */
  prune(olderThan: number): Promise<number>;
}

export type TriggerKind = 'timer' | 'event';
/** Where a trigger came from: its own API call, or the function's deploy declaration. */
export type TriggerOrigin = 'api' | 'deploy';

export interface TriggerInput {
  readonly id: string;
  /** The function it invokes; '' when it targets a workflow. */
  readonly functionName: string;
  /** The workflow it starts an execution of; null (or absent) when it targets a function. */
  readonly workflow?: string | null;
  readonly kind: TriggerKind;
  readonly origin: TriggerOrigin;
  /** kind timer: the schedule text and zone as given, and the missed-tick policy. */
  readonly schedule?: string | null;
  readonly timezone?: string | null;
  readonly missed?: 'skip' | 'run-once' | null;
  /** kind event: the topic and the (normalized) filter. */
  readonly topic?: string | null;
  readonly filter?: unknown;
  /** Timers: the JSON payload handed to the function with each tick (optional). */
  readonly input?: unknown;
  readonly createdAt: number;
}

export interface TriggerRecord extends Required<Omit<TriggerInput, 'filter' | 'input'>> {
  readonly filter: unknown;
  readonly input: unknown;
  /** Timers: the latest tick fired (epoch ms), or null. */
  readonly lastFiredAt: number | null;
}

/** What a fired trigger enqueues: an invocation of its function or a start of its workflow. */
export function triggerQueueTarget(t: Pick<TriggerRecord, 'functionName' | 'workflow'>): { kind: QueueKind; target: string; name: string } {
  return t.workflow ? { kind: 'start-workflow', target: workflowTarget(t.workflow), name: t.workflow } : { kind: 'invoke', target: t.functionName, name: t.functionName };
}

export interface TriggerQuery {
  readonly functionName?: string;
  readonly workflow?: string;
  readonly kind?: TriggerKind;
  readonly topic?: string;
}

export interface TriggerRepo {
  create(input: TriggerInput): Promise<TriggerRecord>;
  get(id: string): Promise<TriggerRecord | null>;
  /** By creation, oldest first. */
  list(query?: TriggerQuery): Promise<TriggerRecord[]>;
  delete(id: string): Promise<boolean>;
  /** Deletes every trigger of a function (of one origin when given); returns how many. */
  deleteForFunction(functionName: string, origin?: TriggerOrigin): Promise<number>;
  /** Replaces a function's deploy-declared triggers in one transaction, keeping lastFiredAt of unchanged ones. */
  replaceDeclared(functionName: string, inputs: readonly TriggerInput[]): Promise<TriggerRecord[]>;
  /** Records the latest fired tick; never moves backwards. */
  setLastFiredAt(id: string, at: number): Promise<void>;
}

export interface TopicRecord {
  readonly name: string;
  readonly createdAt: number;
}

export interface TopicRepo {
  /** Creates the topic; false when it existed already. */
  create(name: string, now: number): Promise<boolean>;
  get(name: string): Promise<TopicRecord | null>;
  list(): Promise<TopicRecord[]>;
  delete(name: string): Promise<boolean>;
}

export interface AsyncPolicyRecord {
  readonly functionName: string;
  /** The policy as the user gave it (validated), JSON. */
  readonly policy: Readonly<Record<string, unknown>>;
  readonly updatedAt: number;
}

export interface AsyncPolicyRepo {
  get(functionName: string): Promise<AsyncPolicyRecord | null>;
  put(functionName: string, policy: Readonly<Record<string, unknown>>, now: number): Promise<void>;
  delete(functionName: string): Promise<boolean>;
}
