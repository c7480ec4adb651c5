/**
 * The async queue consumer: claims due items within each function's capacity, invokes
 * them through the dispatcher (same id every attempt, attempt number counted), and acts
 * on the policy's decision: done (+ onSuccess), retry with backoff, put back on a
 * throttle (no attempt counted), or dead-letter (+ onFailure). Destinations and the
 * attempt's invocation record are committed in the same transaction as the outcome (so an
 * item shown done has its record, whatever crashes); webhooks are queue items of their
 * own, so they are retried and survive restarts like everything else.
 *
 * Woken on every enqueue and completion, and by a timer at the next due time (Clock).
 * At start it recovers items a previous process left running (they run again: at least
 * once). The decisions are policy.ts's pure functions; this file only acts on them.
 *
 * A submit may take room to start at once (reserve): its item is then enqueued already
 * claimed and started here once committed, with no claim and no pass of its own. Only while
 * no due item of that function waits, as far as the last pass saw and nothing enqueued
 * since: items queued earlier go first.
 */
import { createHash } from 'node:crypto';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { InvocationRecord } from '../../core/types.ts';
import type { CloudEvent } from '../../triggers/events/cloudevents.ts';
import type { EnqueueInput, QueueError, QueueItem, QueueRepo } from '../../store/queue-ports.ts';
import { WORKFLOW_TARGET_PREFIX } from '../../store/queue-ports.ts';
import type { InvokeOutcome, InvokeRequest } from '../dispatcher.ts';
import { slotsToClaim, type CapacityLimits } from './capacity.ts';
import type { Condition } from './destination-event.ts';
import { DESTINATION_FAILED, destinationFailedError, destinationInputs, NOTHING_TO_SEND, queueError, type DestinationInputs, type WebhookRequest } from './destination-send.ts';
import { decideAfterAttempt, decideAfterThrottle, decideBeforeAttempt, validateAsyncPolicy, type AsyncPolicy, type Destination } from './policy.ts';


export interface FunctionLimits extends CapacityLimits {
  /** The longest an invocation can take from its start (wait-bounds.ts `longestInvocationMs`): its lease covers it. */
  readonly longestMs: number;
}

/** Webhook deliveries: a fixed policy. */
export const WEBHOOK_POLICY: AsyncPolicy = validateAsyncPolicy({ maxAttempts: 6, initialDelayMs: 1_000, maxDelayMs: 60_000, maxEventAgeMs: 86_400_000 });
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** Workflow starts (a trigger targeting a workflow): a fixed policy. */
export const WORKFLOW_START_POLICY: AsyncPolicy = validateAsyncPolicy({ maxAttempts: 10, initialDelayMs: 1_000, maxDelayMs: 60_000, maxEventAgeMs: 86_400_000 });
/** Errors a workflow start cannot get past by trying again. */
export const WORKFLOW_START_FINAL: ReadonlySet<string> = new Set(['NIMBUS_ERR_WORKFLOW_NOT_FOUND', 'NIMBUS_ERR_VALIDATION', 'NIMBUS_ERR_STATE_CONFLICT', 'NIMBUS_ERR_BAD_REQUEST']);

export interface WorkflowStartRequest {
  readonly workflow: string;
  readonly input: unknown;
  /** Execution name, derived from the item's idempotency key: the same on every delivery. */
  readonly name: string;
  /** What started it, e.g. `timer:<trigger id>` (shown as the execution's source). */
  readonly source: string;
  /** The trace the item was submitted in, if any. */
  readonly traceparent?: string;
}

/**
 * The execution name of a `start-workflow` item: from its idempotency key (the tick or
 * the event), else its id, so that a redelivery (crash, lease expiry, redrive) starts
 * nothing new — the engine answers a repeat by name with the first execution.
 * `timer:<trigger>:<tick ms>` reads `timer-<trigger>-<tick ms>`; anything else is hashed.
 */
export function workflowExecutionName(item: Pick<QueueItem, 'id' | 'idempotencyKey' | 'trigger'>): string {
  const key = item.idempotencyKey ?? item.id;
  const tick = /^timer:([0-9a-z]{1,40}):(\d{1,16})$/.exec(key);
  if (tick) return `timer-${tick[1]}-${tick[2]}`;
  return `${item.trigger}-${createHash('sha256').update(key).digest('hex').slice(0, 48)}`;
}

export { DESTINATION_FAILED, type WebhookRequest };

export interface ConsumerDeps {
  readonly clock: Clock;
  readonly queue: QueueRepo;
  readonly invoke: (req: InvokeRequest) => Promise<InvokeOutcome>;
  /** The function's capacity and timeout, or null when it does not exist. */
  readonly limits: (functionName: string) => Promise<FunctionLimits | null>;
  /** What the function runs (and waits for) right now, from every trigger. */
  readonly inFlight: (functionName: string) => number;
  readonly policy: (functionName: string) => Promise<AsyncPolicy>;
  /** Deliveries of events to a topic's subscriptions (empty when the topic is gone). */
  readonly topicDeliveries: (topic: string, events: readonly CloudEvent[]) => Promise<EnqueueInput[]>;
  /** POSTs a webhook; resolves with the HTTP status, rejects on a network error. */
  readonly webhook: (request: WebhookRequest, timeoutMs: number) => Promise<number>;
  /**
   * Starts a workflow execution (the engine's start, idempotent by name); rejects with a
   * NimbusError. Absent: `start-workflow` items are dead-lettered (no engine).
   */
  readonly startWorkflow?: (request: WorkflowStartRequest) => Promise<{ executionId: string; created: boolean }>;
  readonly random?: () => number;
  readonly onError?: (error: unknown, what: string) => void;
  /**
   * Told of an attempt's record once the queue committed it with the outcome, so that the
   * recorder does not write it a second time (Recorder.committedByItsCaller).
   */
  readonly recordCommitted?: (record: InvocationRecord) => void;
  /** Observes each attempt as it starts (benchmarks, metrics). */
  readonly onStart?: (item: QueueItem, now: number) => void;
  /** This node's id, recorded with each claim (so only a dead node's items are re-queued). */
  readonly owner?: string;
  /**
   * What start re-queues of the work left running, returning how many; default every
   * running item (the only node restarted). A cluster passes the membership's recovery.
   */
  readonly recover?: () => Promise<number>;
}

export interface ConsumerOptions {
  /** Items running at once across all functions. */
  readonly maxConcurrent: number;
  /** Items claimed per function per pass. */
  readonly batchMax: number;
  /** Webhook deliveries at once. */
  readonly webhookConcurrency: number;
  /** Lease = the longest the function's invocation can take + this. */
  readonly leaseMarginMs: number;
  /** Longest sleep between passes (a safety net; enqueues wake the consumer at once). */
  readonly pollMs: number;
  /** Re-check interval while due items wait for capacity held by other triggers. */
  readonly blockedPollMs: number;
  /** Idempotency keys are remembered this long. */
  readonly idempotencyTtlMs: number;
}

export const DEFAULT_CONSUMER_OPTIONS: ConsumerOptions = {
  maxConcurrent: 1000,
  batchMax: 256,
  webhookConcurrency: 16,
  leaseMarginMs: 60_000,
  pollMs: 5_000,
  blockedPollMs: 100,
  idempotencyTtlMs: 86_400_000,
};

const THROTTLES = new Set(['NIMBUS_ERR_THROTTLED', 'NIMBUS_ERR_QUEUE_TIMEOUT']);

/** Room taken for one item of a function that a submit enqueues claimed (AsyncConsumer.reserve). */
export interface Reservation {
  /** The claim the enqueue writes (EnqueueInput.claim). */
  readonly claim: { readonly owner: string; readonly leaseUntil: number };
  /** The enqueue committed the item claimed: run it. */
  start(item: QueueItem): void;
  /** Nothing was enqueued (an error, an idempotency key seen before): the room is given back. */
  cancel(): void;
}

export class AsyncConsumer {
  private readonly options: ConsumerOptions;
  private readonly random: () => number;
  private readonly running = new Map<string, number>();
  private total = 0;
  private timer: TimerHandle | null = null;
  private timerAt = Infinity;
  private pumping = false;
  private again = false;
  private started = false;
  private stopped = false;
  private idleWaiters: Array<() => void> = [];
  /** Functions whose due items the last pass could not all claim. */
  private readonly backlogged = new Set<string>();
  /** Something was enqueued since the last pass began (or that pass did not finish): backlogs are unknown. */
  private unsure = true;

  constructor(
    private readonly deps: ConsumerDeps,
    options: Partial<ConsumerOptions> = {},
  ) {
    this.options = { ...DEFAULT_CONSUMER_OPTIONS, ...options };
    this.random = deps.random ?? Math.random;
  }

  /** Recovers what a previous process left running, then starts consuming. */
  async start(): Promise<number> {
    const recovered = this.deps.recover ? await this.deps.recover() : await this.deps.queue.recover(this.deps.clock.now());
    this.started = true;
    this.wake();
    return recovered;
  }

  /** Something was enqueued or finished: run a pass soon. */
  wake(): void {
    this.unsure = true;
    if (!this.started || this.stopped) return;
    this.arm(0);
  }

  /**
   * Room to start an item of `target` now, taken, or null: when consuming has not started
   * or has stopped, the function (or this consumer) is at capacity, or due items of the
   * function may be waiting (they are claimed first, by a pass).
   */
  reserve(target: string, limits: FunctionLimits, now: number): Reservation | null {
    if (!this.started || this.stopped || this.unsure || this.backlogged.has(target)) return null;
    if (this.total >= this.options.maxConcurrent) return null;
    const mine = this.running.get(target) ?? 0;
    const others = Math.max(0, this.deps.inFlight(target) - mine);
    if (slotsToClaim(limits, others + mine, 1) <= 0) return null;
    this.hold(target);
    let settled = false;
    return {
      claim: { owner: this.deps.owner ?? '', leaseUntil: now + limits.longestMs + this.options.leaseMarginMs },
      start: (item) => {
        if (settled) return;
        settled = true;
        void this.run(item, true);
      },
      cancel: () => {
        if (settled) return;
        settled = true;
        this.letGo(target);
        if (this.unsure || this.backlogged.size > 0) this.arm(0);
      },
    };
  }

  /** Items this consumer is running now. */
  active(): number {
    return this.total;
  }

  /** Stops claiming; resolves when running items finish or `timeoutMs` passes (their leases cover the rest). */
  async stop(timeoutMs: number): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    if (this.total === 0) return;
    await new Promise<void>((resolve) => {
      const t = this.deps.clock.setTimer(timeoutMs, resolve, true);
      this.idleWaiters.push(() => {
        t.cancel();
        resolve();
      });
    });
  }

  /** One pass: claim what capacity allows, start it. Exposed for tests. */
  async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        await this.pass();
      } while (this.again && !this.stopped);
    } catch (error) {
      this.deps.onError?.(error, 'claiming async work');
    } finally {
      this.pumping = false;
    }
    if (!this.stopped) await this.schedule();
  }

  private async pass(): Promise<void> {
    const { queue, clock } = this.deps;
    const now = clock.now();
    // An enqueue from here on wakes the consumer again, which makes it unsure again.
    this.unsure = false;
    let dues: Awaited<ReturnType<QueueRepo['dueTargets']>>;
    try {
      dues = await queue.dueTargets(now);
    } catch (error) {
      this.unsure = true;
      throw error;
    }
    this.backlogged.clear();
    for (const due of dues) this.backlogged.add(due.target);
    for (const due of dues) {
      if (this.stopped) return;
      const free = Math.min(this.options.maxConcurrent - this.total, this.options.batchMax, due.count);
      if (free <= 0) return;
      const mine = this.running.get(due.target) ?? 0;
      let slots: number;
      let leaseMs: number;
      if (due.kind === 'webhook') {
        slots = Math.min(free, this.options.webhookConcurrency - mine);
        leaseMs = WEBHOOK_TIMEOUT_MS + this.options.leaseMarginMs;
      } else if (due.kind === 'start-workflow') {
        // A start is one journal write; the execution then runs on the engine, not here.
        slots = free;
        leaseMs = this.options.leaseMarginMs;
      } else {
        const limits = await this.deps.limits(due.target);
        if (limits === null) {
          // Gone: claim so that each is dead-lettered (function not found), not left forever.
          slots = free;
          leaseMs = this.options.leaseMarginMs;
        } else {
          const others = Math.max(0, this.deps.inFlight(due.target) - mine);
          slots = slotsToClaim(limits, others + mine, free);
          leaseMs = limits.longestMs + this.options.leaseMarginMs;
        }
      }
      if (slots <= 0) continue;
      const items = await queue.claim(due.target, slots, clock.now(), leaseMs, this.deps.owner);
      // All of the target's due items claimed: none waits (as far as this pass saw).
      if (items.length >= due.count) this.backlogged.delete(due.target);
      for (const item of items) void this.run(item);
    }
  }

  private async schedule(): Promise<void> {
    const now = this.deps.clock.now();
    let next: number | null;
    try {
      next = await this.deps.queue.nextDueAt();
    } catch (error) {
      this.deps.onError?.(error, 'reading the queue');
      next = null;
    }
    let delay = this.options.pollMs;
    if (next !== null) delay = next <= now ? this.options.blockedPollMs : Math.min(delay, next - now);
    this.arm(delay);
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    const at = this.deps.clock.now() + delayMs;
    if (this.timer && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.deps.clock.setTimer(delayMs, () => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.pump();
    });
  }

  private hold(target: string): void {
    this.running.set(target, (this.running.get(target) ?? 0) + 1);
    this.total++;
  }

  private letGo(target: string): void {
    const n = (this.running.get(target) ?? 1) - 1;
    if (n === 0) this.running.delete(target);
    else this.running.set(target, n);
    this.total--;
    if (this.total === 0) for (const fn of this.idleWaiters.splice(0)) fn();
  }

  /** `held`: its room was taken already (a reservation). */
  private async run(item: QueueItem, held = false): Promise<void> {
    if (!held) this.hold(item.target);
    // Whether the outcome queued nothing (a plain success): then the room it frees is
    // wanted by a pass only when items are known to wait or may (the timer armed at the
    // next due time covers retries and leases), and that pass need not make
    // reservations wait for it.
    let quiet = false;
    try {
      if (item.kind === 'webhook') await this.runWebhook(item);
      else if (item.kind === 'start-workflow') await this.runStartWorkflow(item);
      else quiet = await this.runInvoke(item);
    } catch (error) {
      // A store error: the lease runs out and the item is delivered again.
      this.deps.onError?.(error, `finishing async item ${item.id}`);
    } finally {
      this.letGo(item.target);
      if (!quiet) this.wake();
      else if (this.unsure || this.backlogged.size > 0) this.arm(0);
    }
  }

  /** Resolves true when the item succeeded and its outcome queued nothing (no destination). */
  private async runInvoke(item: QueueItem): Promise<boolean> {
    const { clock, queue } = this.deps;
    const policy = await this.deps.policy(item.target);
    const state = { enqueuedAt: item.enqueuedAt, attempts: item.attempts, throttles: item.throttles };
    const event = parse(item.payload);
    const before = decideBeforeAttempt(policy, state, clock.now());
    if (before.kind === 'dead-letter') {
      await this.deadLetter(item, 'max-age', item.lastError, before.destination, event);
      return false;
    }
    this.deps.onStart?.(item, clock.now());
    const outcome = await this.deps.invoke({
      functionName: item.target,
      trigger: item.trigger,
      triggerSource: item.source,
      invocationId: item.id,
      attempt: item.attempts,
      recordCommittedByCaller: true,
      // the payload goes to the runtime as it is stored (an isolate parses it on its own thread)
      input: event === item.payload ? { kind: 'event', event } : { kind: 'event', event, json: item.payload },
      requestBytes: Buffer.byteLength(item.payload),
      ...(item.traceparent ? { traceparent: item.traceparent } : {}),
    });
    const now = clock.now();
    if (outcome.ok) {
      const decision = decideAfterAttempt(policy, state, { ok: true }, now, this.random);
      const destination = decision.kind === 'done' ? decision.destination : null;
      const sent = destination ? await this.destinationInputs(destination, item, 'success', null, event, outcome.value ?? null) : NOTHING_TO_SEND;
      // The record is committed with the outcome: an item shown done always has its record.
      // A destination that cannot take the event (its topic was deleted): dead-lettered, so
      // the outcome is kept and `dlq ls` says why, rather than completed without it.
      const committed = sent.failure
        ? await queue.deadLetter(item.id, item.attempts, DESTINATION_FAILED, sent.failure, now, [], outcome.record)
        : await queue.complete(item.id, item.attempts, now, sent.inputs, outcome.record);
      if (committed) this.deps.recordCommitted?.(outcome.record);
      return !sent.failure && sent.inputs.length === 0;
    }
    const error = outcome.error;
    const record = outcome.record ?? undefined;
    if (THROTTLES.has(error.code)) {
      const d = decideAfterThrottle(policy, state, now, this.random, (error.retryAfterSeconds ?? 0) * 1000);
      await queue.release(item.id, item.attempts, d.at, now, true);
      return false;
    }
    if (error.code === 'NIMBUS_ERR_SHUTTING_DOWN') {
      await queue.release(item.id, item.attempts, now, now, false);
      return false;
    }
    const failure = queueError(error);
    const d = decideAfterAttempt(policy, state, { ok: false, errorCode: error.code }, now, this.random);
    let committed = false;
    if (d.kind === 'retry') committed = await queue.retry(item.id, item.attempts, d.at, failure, now, record);
    else if (d.kind === 'dead-letter') committed = await this.deadLetter(item, d.reason, failure, d.destination, event, record);
    if (committed && record !== undefined) this.deps.recordCommitted?.(record);
    return false;
  }

  private async deadLetter(
    item: QueueItem,
    reason: string,
    error: QueueError | null,
    destination: Destination | null,
    event: unknown,
    record?: InvocationRecord,
  ): Promise<boolean> {
    const now = this.deps.clock.now();
    const sent = destination ? await this.destinationInputs(destination, item, 'failure', reason, event, error) : NOTHING_TO_SEND;
    if (sent.failure) {
      return this.deps.queue.deadLetter(item.id, item.attempts, DESTINATION_FAILED, destinationFailedError(sent.failure, reason, error), now, [], record);
    }
    return this.deps.queue.deadLetter(item.id, item.attempts, reason, error, now, sent.inputs, record);
  }

  private destinationInputs(destination: Destination, item: QueueItem, condition: Condition, reason: string | null, request: unknown, response: unknown): Promise<DestinationInputs> {
    return destinationInputs(this.deps, destination, item, condition, reason, request, response, this.deps.clock.now());
  }

  private async runStartWorkflow(item: QueueItem): Promise<void> {
    const { clock, queue } = this.deps;
    const state = { enqueuedAt: item.enqueuedAt, attempts: item.attempts, throttles: item.throttles };
    const before = decideBeforeAttempt(WORKFLOW_START_POLICY, state, clock.now());
    if (before.kind === 'dead-letter') {
      await queue.deadLetter(item.id, item.attempts, 'max-age', item.lastError, clock.now());
      return;
    }
    const workflow = item.target.startsWith(WORKFLOW_TARGET_PREFIX) ? item.target.slice(WORKFLOW_TARGET_PREFIX.length) : item.target;
    let failure: QueueError | null = null;
    let retryable = true;
    try {
      if (!this.deps.startWorkflow) throw Object.assign(new Error('this platform has no workflow engine'), { code: 'NIMBUS_ERR_WORKFLOW_NOT_FOUND' });
      await this.deps.startWorkflow({
        workflow,
        input: parse(item.payload),
        name: workflowExecutionName(item),
        source: item.source,
        ...(item.traceparent ? { traceparent: item.traceparent } : {}),
      });
    } catch (error) {
      const code = (error as { code?: unknown })?.code;
      if (code === 'NIMBUS_ERR_SHUTTING_DOWN') {
        await queue.release(item.id, item.attempts, clock.now(), clock.now(), false);
        return;
      }
      failure = { code: typeof code === 'string' ? code : 'NIMBUS_ERR_INTERNAL', message: (error as Error)?.message ?? String(error) };
      retryable = !WORKFLOW_START_FINAL.has(failure.code);
    }
    const now = clock.now();
    if (failure === null) {
      await queue.complete(item.id, item.attempts, now);
      return;
    }
    const d = decideAfterAttempt(WORKFLOW_START_POLICY, state, { ok: false, errorCode: failure.code, retryable }, now, this.random);
    if (d.kind === 'retry') await queue.retry(item.id, item.attempts, d.at, failure, now);
    else if (d.kind === 'dead-letter') await queue.deadLetter(item.id, item.attempts, d.reason, failure, now);
  }

  private async runWebhook(item: QueueItem): Promise<void> {
    const { clock, queue } = this.deps;
    const state = { enqueuedAt: item.enqueuedAt, attempts: item.attempts, throttles: item.throttles };
    const before = decideBeforeAttempt(WEBHOOK_POLICY, state, clock.now());
    if (before.kind === 'dead-letter') {
      await queue.deadLetter(item.id, item.attempts, 'max-age', item.lastError, clock.now());
      return;
    }
    const request = parse(item.payload) as WebhookRequest;
    this.deps.onStart?.(item, clock.now());
    let failure: QueueError | null = null;
    let retryable = true;
    try {
      const status = await this.deps.webhook(request, WEBHOOK_TIMEOUT_MS);
      if (status < 200 || status > 299) {
        failure = { code: `HTTP_${status}`, message: `${request.url} answered ${status}` };
        // A client error other than timeout/too-many is the receiver saying no: retrying will not help.
        retryable = !(status >= 400 && status < 500 && status !== 408 && status !== 429);
      }
    } catch (error) {
      failure = { code: 'NIMBUS_ERR_UPSTREAM', message: `${request.url}: ${(error as Error)?.message ?? String(error)}` };
    }
    const now = clock.now();
    if (failure === null) {
      await queue.complete(item.id, item.attempts, now);
      return;
    }
    const d = decideAfterAttempt(WEBHOOK_POLICY, state, { ok: false, errorCode: failure.code, retryable }, now, this.random);
    if (d.kind === 'retry') await queue.retry(item.id, item.attempts, d.at, failure, now);
    else if (d.kind === 'dead-letter') await queue.deadLetter(item.id, item.attempts, d.reason, failure, now);
  }
}

function parse(payload: string): unknown {
  try {
    return JSON.parse(payload);
  } catch {
    return payload;
  }
}

