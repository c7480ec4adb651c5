/**
 * The asynchronous side of the platform, wired from ports: the queue consumer, the cron
 * runner, the event bus, policies and trigger management, plus submit() used by the API.
 * server/platform.ts builds one and hands it the concrete store and dispatcher.
 */
import { qualifierOf, unqualified } from '../../releases/qualifier.ts';
import type { Clock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import type { Store } from '../../store/ports.ts';
import { claimedItem, type EnqueueInput, type EnqueueOutcome, type QueueTrigger } from '../../store/queue-ports.ts';
import { CronRunner } from '../../triggers/cron/runner.ts';
import type { TopicLog } from '../../bus/topic-port.ts';
import { EventBus, type TopicPublisher } from '../../triggers/events/bus.ts';
import { StreamedTopics } from '../../triggers/events/streamed.ts';
import { TriggerService } from '../../triggers/service.ts';
import type { TriggerSource } from '../../triggers/source.ts';
import type { Catalog, Deployed } from '../catalog.ts';
import type { InvokeOutcome, InvokeRequest } from '../dispatcher.ts';
import { AsyncConsumer, type ConsumerDeps, type ConsumerOptions, type FunctionLimits, type WebhookRequest } from './consumer.ts';
import { DEFAULT_IDEMPOTENCY_TTL_MS } from './idempotency.ts';
import { PolicyBook } from './policies.ts';
import { longestInvocationMs } from '../wait-bounds.ts';

export interface AsyncSystemDeps {
  readonly clock: Clock;
  readonly store: Store;
  readonly catalog: Catalog;
  readonly invoke: (req: InvokeRequest) => Promise<InvokeOutcome>;
  /** In-flight plus waiting invocations of a function, from the pools. */
  readonly inFlight: (functionName: string) => number;
  readonly webhook?: ConsumerDeps['webhook'];
  /** Starts workflow executions for triggers that target a workflow (the engine's start). */
  readonly startWorkflow?: ConsumerDeps['startWorkflow'];
  readonly onError?: (error: unknown, what: string) => void;
  readonly onStart?: ConsumerDeps['onStart'];
  /** An attempt's record committed with its outcome (the queue's, a topic delivery's): the recorder need not write it. */
  readonly recordCommitted?: ConsumerDeps['recordCommitted'];
  readonly random?: () => number;
  readonly consumer?: Partial<ConsumerOptions>;
  readonly idempotencyTtlMs?: number;
  /** How long succeeded items (their status) are kept; default 24 h. */
  readonly retentionMs?: number;
  /** Secret that function publish tokens derive from (the platform token); publishing by token is off without it. */
  readonly publishSecret?: string;
  /** This node's id and what it re-queues at start (ConsumerDeps.owner, .recover). */
  readonly owner?: string;
  readonly recover?: () => Promise<number>;
  /** Whether this node fires the timers now (it holds the cron lease); default always. */
  readonly firesTimers?: () => boolean;
  /**
   * Topic events on a topic log (JetStream in a cluster) instead of the store's queue:
   * `ackWaitMs` is how long a delivery stays a node's without renewal (the lease time).
   */
  readonly topicLog?: { readonly log: TopicLog; readonly ackWaitMs: number; readonly maxInFlight?: number };
  /** More trigger sources (broker connectors), started, stopped and reloaded with timers and topics. */
  readonly triggerSources?: readonly TriggerSource[];
}

export interface SubmitOptions {
  readonly idempotencyKey?: string | null;
  readonly trigger?: QueueTrigger;
  readonly source?: string;
  /** W3C trace context of the submitter (the invocation joins its trace). */
  readonly traceparent?: string;
}

/** POSTs with Node's fetch, bounded in time; no redirects followed. */
export async function fetchWebhook(request: WebhookRequest, timeoutMs: number): Promise<number> {
  const res = await fetch(request.url, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
    redirect: 'manual',
    signal: AbortSignal.timeout(timeoutMs),
  });
  await res.arrayBuffer().catch(() => undefined);
  return res.status;
}

export class AsyncSystem {
  readonly consumer: AsyncConsumer;
  readonly cron: CronRunner;
  /** Topic deliveries through the queue: destinations to a topic, and publishing when there is no topic log. */
  readonly bus: EventBus;
  /** Where published events go: `bus`, or the topic log when there is one. */
  readonly topics: TopicPublisher & TriggerSource;
  private readonly streamed: StreamedTopics | null;
  readonly policies: PolicyBook;
  readonly triggers: TriggerService;
  /** Every trigger source: timers, topics, then deps.triggerSources. */
  readonly sources: readonly TriggerSource[];
  readonly idempotencyTtlMs: number;
  readonly publishSecret: string | undefined;
  private pruneTimer: { cancel(): void } | null = null;

  constructor(private readonly deps: AsyncSystemDeps) {
    const { clock, store } = deps;
    this.idempotencyTtlMs = deps.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_MS;
    this.publishSecret = deps.publishSecret;
    this.policies = new PolicyBook(store.asyncPolicies, async (name) => (await store.topics.get(name)) !== null);
    const wake = () => this.consumer.wake();
    this.bus = new EventBus({ clock, topics: store.topics, triggers: store.triggers, queue: store.queue, idempotencyTtlMs: this.idempotencyTtlMs, onEnqueued: wake });
    this.consumer = new AsyncConsumer(
      {
        clock,
        queue: store.queue,
        invoke: deps.invoke,
        limits: (target) => limitsFor(deps.catalog, target),
        inFlight: deps.inFlight,
        policy: (target) => this.policies.get(unqualified(target)),
        topicDeliveries: (topic, events) => this.bus.deliveries(topic, events),
        webhook: deps.webhook ?? fetchWebhook,
        startWorkflow: deps.startWorkflow,
        random: deps.random,
        onError: deps.onError,
        onStart: deps.onStart,
        recordCommitted: deps.recordCommitted,
        owner: deps.owner,
        recover: deps.recover,
      },
      { idempotencyTtlMs: this.idempotencyTtlMs, ...deps.consumer },
    );
    this.cron = new CronRunner({
      clock,
      triggers: store.triggers,
      queue: store.queue,
      idempotencyTtlMs: this.idempotencyTtlMs,
      onEnqueued: wake,
      onError: deps.onError,
      fires: deps.firesTimers,
    });
    this.streamed = deps.topicLog
      ? new StreamedTopics({
          clock,
          topics: store.topics,
          triggers: store.triggers,
          log: deps.topicLog.log,
          queue: store.queue,
          topicDeliveries: (topic, events) => this.bus.deliveries(topic, events),
          onEnqueued: wake,
          invoke: deps.invoke,
          policy: (name) => this.policies.get(unqualified(name)),
          commitRecord: async (record) => {
            await store.invocations.insertMany([record]);
            deps.recordCommitted?.(record);
          },
          startWorkflow: deps.startWorkflow,
          ackWaitMs: deps.topicLog.ackWaitMs,
          maxInFlight: deps.topicLog.maxInFlight ?? 64,
          random: deps.random,
          onError: deps.onError ?? (() => {}),
        })
      : null;
    this.topics = this.streamed ?? this.bus;
    this.triggers = new TriggerService({
      clock,
      targetProblem: (target) => deps.catalog.targetProblem(target),
      triggers: store.triggers,
      topics: store.topics,
      cron: this.cron,
      topicSource: this.topics,
      workflowExists: async (name) => (await store.workflows.getMachine(name)) !== null,
    });
    this.sources = [this.cron, this.topics, ...(deps.triggerSources ?? [])];
  }

  /** Recovers and starts consuming, then starts the timers. Returns how many items were recovered. */
  async start(): Promise<number> {
    const recovered = await this.consumer.start();
    for (const source of this.sources) await source.start();
    this.schedulePrune();
    return recovered;
  }

  /** Stops timers and claiming; waits up to `timeoutMs` for running items. */
  async stop(timeoutMs: number): Promise<void> {
    this.pruneTimer?.cancel();
    for (const source of this.sources) source.stop();
    const streamed = this.streamed;
    if (!streamed || timeoutMs <= 0) return this.consumer.stop(timeoutMs);
    // Topic deliveries running here finish (acked) or are given back within the drain time.
    let timer: { cancel(): void } | null = null;
    const late = new Promise<void>((resolve) => (timer = this.deps.clock.setTimer(timeoutMs, resolve, true)));
    await Promise.all([this.consumer.stop(timeoutMs), Promise.race([streamed.drained(), late])]);
    (timer as { cancel(): void } | null)?.cancel();
  }

  /** Persists an async invocation (the 202 comes after this resolves). */
  async submit(functionName: string, event: unknown, options: SubmitOptions = {}): Promise<{ id: string; created: boolean }> {
    const { clock, catalog, store } = this.deps;
    // A target may carry a qualifier (`api@live`): kept with the item, followed when it runs;
    // one that names no version or alias is refused here, as a call would be. A version that
    // cannot be read now (the store failing) is not a refusal: its attempts report it.
    const deployed = catalog.peek(unqualified(functionName)) ?? (await catalog.resolve(unqualified(functionName)));
    if (!deployed) {
      throw new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', `function "${functionName}" does not exist; \`nimbus ls\` lists the deployed ones`);
    }
    if (qualifierOf(functionName) !== undefined) {
      const problem = await catalog.targetProblem(functionName).catch(() => null);
      if (problem !== null) throw problem;
    }
    const now = clock.now();
    const input: EnqueueInput = {
      id: newId(now),
      kind: 'invoke',
      target: functionName,
      trigger: options.trigger ?? 'async',
      source: options.source ?? 'POST /api/v1/functions/{name}/invoke',
      payload: JSON.stringify(event ?? null),
      idempotencyKey: options.idempotencyKey ?? null,
      traceparent: options.traceparent ?? null,
    };
    // With room for it now, it is enqueued claimed and started here (no claim, no pass).
    const limits = loadedLimits(catalog, functionName, deployed);
    const room = limits === null ? null : this.consumer.reserve(functionName, limits, now);
    if (room === null) {
      const [outcome] = await store.queue.enqueue([input], now, this.idempotencyTtlMs);
      if (outcome.created) this.consumer.wake();
      return outcome;
    }
    const claimed = { ...input, claim: room.claim };
    let outcome: EnqueueOutcome;
    try {
      [outcome] = await store.queue.enqueue([claimed], now, this.idempotencyTtlMs);
    } catch (error) {
      room.cancel();
      throw error;
    }
    if (outcome.created) room.start(claimedItem(claimed, now));
    else room.cancel();
    return outcome;
  }

  /** Triggers changed (on another node): every source re-reads its own. */
  async reloadTriggers(): Promise<void> {
    for (const source of this.sources) await source.reload();
  }

  /** A workflow was deleted (its triggers with it, by the store): stop scheduling them. */
  async forgetWorkflow(): Promise<void> {
    await this.triggers.reloadTimers();
  }

  /** A function was deleted: its triggers and policy go (queued items dead-letter as not found). */
  async forgetFunction(functionName: string): Promise<void> {
    await this.triggers.removeForFunction(functionName);
    await this.policies.delete(functionName);
  }

  private schedulePrune(): void {
    const retention = this.deps.retentionMs ?? this.idempotencyTtlMs;
    const every = Math.min(3_600_000, Math.max(60_000, Math.floor(retention / 4)));
    this.pruneTimer = this.deps.clock.setTimer(every, () => {
      this.deps.store.queue.prune(this.deps.clock.now() - retention).catch((e) => this.deps.onError?.(e, 'pruning the queue'));
      this.schedulePrune();
    });
  }
}

/**
 * What the consumer needs of a function's settings: its capacity (the current version's), and how
 * long a claim must cover: the longest invocation of any version `target` may be served by, as an
 * alias can route to a version with a longer timeout than the current one's.
 */
async function limitsFor(catalog: Catalog, target: string): Promise<FunctionLimits | null> {
  const name = unqualified(target);
  const current = catalog.peek(name) ?? (await catalog.resolve(name));
  if (!current) return null;
  const served = await Promise.all(
    // a version that cannot be loaded (gone, its secrets unreadable) fails its invocation at once
    catalog.routeVersions(name, qualifierOf(target)).map((v) => catalog.peekVersion(name, v) ?? catalog.resolveVersion(name, v).catch(() => null)),
  );
  return limitsOver(current, served);
}

/** limitsFor without I/O: null when a version `target` may be served by is not loaded yet. */
function loadedLimits(catalog: Catalog, target: string, current: Deployed): FunctionLimits | null {
  const name = unqualified(target);
  const served = catalog.routeVersions(name, qualifierOf(target)).map((v) => catalog.peekVersion(name, v));
  return served.includes(undefined) ? null : limitsOver(current, served);
}

function limitsOver(current: Deployed, served: ReadonlyArray<Deployed | null | undefined>): FunctionLimits {
  const { config } = current.version;
  let longestMs = longestInvocationMs(config);
  for (const d of served) if (d) longestMs = Math.max(longestMs, longestInvocationMs(d.version.config));
  return { maxInstances: config.maxInstances, concurrency: config.concurrency, longestMs };
}
