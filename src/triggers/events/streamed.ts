/**
 * Topics on a topic log (NATS JetStream in a cluster): an event published to a topic is one
 * message in the log; each subscription (an `event` trigger) is a durable consumer of it,
 * consumed by every node, so each event goes to one node per subscription. That node runs
 * the subscription's function (or starts its workflow) and acks only after the invocation
 * succeeded; while it runs it extends the delivery, so a node that dies (kill -9) stops
 * extending and the log delivers the event again elsewhere within the ack wait. A failed
 * attempt is given back for the next one after the function's async policy's backoff, up to
 * its attempts and age. Every attempt of one delivery has one invocation id (from the
 * subscription and the message's position) and its attempt number (the log's delivery count),
 * and its record is committed before the delivery is acked or given back.
 *
 * An event given up on (the policy's attempts or age exhausted, or a workflow that cannot be
 * started) is written to the store's dead-letter list with its reason (QueueRepo.addDead, as
 * the queue item it would have been on the queue path, so `dlq ls` and redrive work alike),
 * and the policy's onSuccess/onFailure destinations are enqueued as the queue sends them; both
 * are committed before the delivery is acked, so a node dying in between has the event
 * delivered again (and its repeat finds the dead letter and writes nothing more).
 *
 * The decisions (retry when, give up when) are policy.ts's; this file acts on them. The same
 * event published twice (same CloudEvents source and id) is one message (the log's
 * duplicate window).
 */
import { createHash } from 'node:crypto';
import type { TopicConsumer, TopicDelivery, TopicLog } from '../../bus/topic-port.ts';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { idFrom } from '../../core/ids.ts';
import type { InvocationRecord } from '../../core/types.ts';
import type { InvokeOutcome, InvokeRequest } from '../../dispatch/dispatcher.ts';
import { workflowExecutionName, WORKFLOW_START_FINAL, WORKFLOW_START_POLICY, type WorkflowStartRequest } from '../../dispatch/async/consumer.ts';
import { DESTINATION_FAILED, destinationFailedError, destinationInputs, NOTHING_TO_SEND, queueError, type DestinationDeps } from '../../dispatch/async/destination-send.ts';
import { decideAfterAttempt, decideAfterThrottle, decideBeforeAttempt, type AsyncPolicy, type Destination } from '../../dispatch/async/policy.ts';
import type { QueueError, QueueRepo, TopicRepo, TriggerRecord, TriggerRepo } from '../../store/queue-ports.ts';
import type { TriggerSource } from '../source.ts';
import { subscriptionDelivery, topicNotFound, type PublishResult, type TopicPublisher } from './bus.ts';
import { toJson, type CloudEvent } from './cloudevents.ts';
import { matchesFilter, type EventFilter, type FilterableEvent } from './filter.ts';

export interface StreamedTopicsDeps extends DestinationDeps {
  readonly clock: Clock;
  /** Where events given up on are dead-lettered, and destinations enqueued. */
  readonly queue: QueueRepo;
  /** Called after destinations were enqueued (wakes the queue consumer). */
  readonly onEnqueued: () => void;
  readonly topics: TopicRepo;
  readonly triggers: TriggerRepo;
  readonly log: TopicLog;
  readonly invoke: (req: InvokeRequest) => Promise<InvokeOutcome>;
  readonly policy: (functionName: string) => Promise<AsyncPolicy>;
  /**
   * Commits an attempt's invocation record (InvocationRepo.insertMany: a repeat of the id is
   * ignored, a later attempt replaces it) before the delivery is acked or given back, as
   * the queue commits it with the outcome: a node killed after the ack leaves the record.
   */
  readonly commitRecord: (record: InvocationRecord) => Promise<void>;
  readonly startWorkflow?: (request: WorkflowStartRequest) => Promise<unknown>;
  /** How long a delivery stays a node's without being extended (the lease time). */
  readonly ackWaitMs: number;
  /** Deliveries of one subscription a node runs at once. */
  readonly maxInFlight: number;
  readonly random?: () => number;
  /** Errors, and deliveries given up on (`what` says which and why; they are in the dead-letter list). */
  readonly onError: (error: unknown, what: string) => void;
}

/** What the log holds for one published event. */
interface Message {
  /** When it was published (epoch ms): its age origin, and the time part of its invocation ids. */
  readonly at: number;
  readonly event: Record<string, unknown>;
}

const THROTTLES = new Set(['NIMBUS_ERR_THROTTLED', 'NIMBUS_ERR_QUEUE_TIMEOUT']);

/** The durable name of a subscription's consumer. */
export function consumerName(subscription: Pick<TriggerRecord, 'id'>): string {
  return `sub_${subscription.id}`;
}

/** The invocation id of every attempt of message `seq` to a subscription. */
export function deliveryId(at: number, subscriptionId: string, seq: number): string {
  return idFrom(at, `${subscriptionId}:${seq}`);
}

/** The log's deduplication id of an event: CloudEvents says source + id is unique. */
function messageId(event: CloudEvent): string {
  return createHash('sha256').update(`${event.source}\n${event.id}`).digest('base64url');
}

export class StreamedTopics implements TriggerSource, TopicPublisher {
  readonly kind = 'topics';
  private readonly consumers = new Map<string, { readonly sub: TriggerRecord; readonly consumer: Promise<TopicConsumer> }>();
  private running = false;
  private reloading: Promise<void> = Promise.resolve();
  private inFlight = 0;
  private idle: Array<() => void> = [];

  constructor(private readonly deps: StreamedTopicsDeps) {}

  async start(): Promise<void> {
    this.running = true;
    await this.reload();
  }

  stop(): void {
    this.running = false;
    for (const { consumer } of this.consumers.values()) void consumer.then((c) => c.stop()).catch((e: unknown) => this.deps.onError(e, 'stopping a topic consumer'));
    this.consumers.clear();
  }

  /** Resolves when no delivery runs here (after stop: what was running has been acked or given back). */
  async drained(): Promise<void> {
    if (this.inFlight === 0) return;
    await new Promise<void>((r) => this.idle.push(r));
  }

  /** Consumes every subscription, and stops consuming (and removes) those that are gone. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.sync()).catch((e: unknown) => this.deps.onError(e, 'reading the topic subscriptions'));
    return this.reloading;
  }

  private options(sub: TriggerRecord) {
    // A subscription's events are those published after it was made, less a clock skew the
    // cluster tolerates (docs/cluster.md: a fifth of the lease).
    return { since: sub.createdAt - Math.floor(this.deps.ackWaitMs / 5), ackWaitMs: this.deps.ackWaitMs, maxInFlight: this.deps.maxInFlight };
  }

  private async sync(): Promise<void> {
    if (!this.running) return;
    const subs = await this.deps.triggers.list({ kind: 'event' });
    const wanted = new Map(subs.map((s) => [s.id, s]));
    for (const [id, { sub, consumer }] of this.consumers) {
      if (wanted.has(id)) continue;
      this.consumers.delete(id);
      await (await consumer).stop();
      // Any node may remove it: removing is idempotent.
      await this.deps.log.remove(sub.topic!, consumerName(sub));
    }
    for (const sub of subs) {
      if (this.consumers.has(sub.id) || !sub.topic) continue;
      const consumer = this.deps.log.consume(sub.topic, consumerName(sub), this.options(sub), (d) => void this.deliver(sub, d));
      this.consumers.set(sub.id, { sub, consumer });
      await consumer;
    }
  }

  /** Queue deliveries are not this source's (destinations to a topic use the queue); see EventBus.deliveries. */
  async publish(topic: string, events: readonly CloudEvent[]): Promise<PublishResult> {
    if (!(await this.deps.topics.get(topic))) throw topicNotFound(topic);
    const subs = (await this.deps.triggers.list({ kind: 'event', topic })).filter((s) => s.topic === topic);
    // Every subscription has its consumer before the events are in the log (the log keeps a
    // message for the consumers that exist when it arrives).
    for (const sub of subs) await this.deps.log.ensure(topic, consumerName(sub), this.options(sub));
    if (this.running && subs.some((s) => !this.consumers.has(s.id))) void this.reload();
    const at = this.deps.clock.now();
    const messages = events.map((event) => ({ id: messageId(event), data: { at, event: toJson(event) } satisfies Message }));
    const published = await this.deps.log.publish(topic, messages);
    const ids: string[] = [];
    published.forEach((p, i) => {
      if (p.duplicate) return;
      for (const sub of subs) if (matchesFilter((sub.filter ?? {}) as EventFilter, events[i])) ids.push(deliveryId(at, sub.id, p.seq));
    });
    return { topic, events: events.length, deliveries: ids.length, ids };
  }

  private async deliver(sub: TriggerRecord, d: TopicDelivery): Promise<void> {
    this.inFlight++;
    // Extend while it runs: the delivery stays this node's until acked or this node dies.
    let keep: TimerHandle | null = null;
    const extend = () => {
      keep = this.deps.clock.setTimer(Math.max(50, Math.floor(this.deps.ackWaitMs / 3)), () => {
        d.extend();
        extend();
      });
    };
    extend();
    try {
      const message = d.data as Message;
      if (!matchesFilter((sub.filter ?? {}) as EventFilter, message.event as unknown as FilterableEvent)) d.ack();
      else if (sub.workflow) await this.startWorkflow(sub, d, message);
      else await this.invoke(sub, d, message);
    } catch (error) {
      this.deps.onError(error, `delivering event ${d.seq} of topic ${sub.topic} to subscription ${sub.id}`);
      d.retry(this.deps.ackWaitMs);
    } finally {
      (keep as TimerHandle | null)?.cancel();
      keep = null;
      if (--this.inFlight === 0) for (const r of this.idle.splice(0)) r();
    }
  }

  private async invoke(sub: TriggerRecord, d: TopicDelivery, message: Message): Promise<void> {
    const { clock } = this.deps;
    const random = this.deps.random ?? Math.random;
    const id = deliveryId(message.at, sub.id, d.seq);
    // A redelivery of an event already given up on (the node died before its ack): done.
    if (d.attempt > 1 && (await this.deps.queue.get(id))) return d.ack();
    const policy = await this.deps.policy(sub.functionName);
    const state = { enqueuedAt: message.at, attempts: d.attempt, throttles: 0 };
    const before = decideBeforeAttempt(policy, state, clock.now());
    if (before.kind === 'dead-letter') return this.giveUp(sub, d, message, before.reason, null, before.destination);
    const payload = JSON.stringify(message.event);
    const outcome = await this.deps.invoke({
      functionName: sub.functionName,
      trigger: 'event',
      triggerSource: `event:${sub.topic}:${sub.id}`,
      invocationId: id,
      attempt: d.attempt,
      recordCommittedByCaller: true,
      input: { kind: 'event', event: message.event },
      requestBytes: Buffer.byteLength(payload),
    });
    if (outcome.record) await this.deps.commitRecord(outcome.record);
    const now = clock.now();
    if (outcome.ok) {
      const decision = decideAfterAttempt(policy, state, { ok: true }, now, random);
      const destination = decision.kind === 'done' ? decision.destination : null;
      if (destination) {
        const sent = await destinationInputs(this.deps, destination, this.outcomeOf(sub, d, message), 'success', null, message.event, outcome.value ?? null, now);
        // As on the queue: a destination that cannot take the event dead-letters the delivery, so `dlq ls` says why.
        if (sent.failure) return this.deadLetter(sub, d, message, DESTINATION_FAILED, sent.failure, []);
        if (sent.inputs.length > 0) {
          await this.deps.queue.enqueue(sent.inputs, now, Number.POSITIVE_INFINITY);
          this.deps.onEnqueued();
        }
      }
      return d.ack();
    }
    const error = outcome.error;
    if (THROTTLES.has(error.code)) return d.retry(decideAfterThrottle(policy, state, now, random, (error.retryAfterSeconds ?? 0) * 1000).at - now);
    // Stopping: another node takes it at once.
    if (error.code === 'NIMBUS_ERR_SHUTTING_DOWN') return d.retry(0);
    const next = decideAfterAttempt(policy, state, { ok: false, errorCode: error.code }, now, random);
    if (next.kind === 'retry') return d.retry(next.at - now);
    if (next.kind === 'dead-letter') return this.giveUp(sub, d, message, next.reason, queueError(error), next.destination);
  }

  private outcomeOf(sub: TriggerRecord, d: TopicDelivery, message: Message) {
    return { id: deliveryId(message.at, sub.id, d.seq), target: sub.functionName, attempts: d.attempt, enqueuedAt: message.at };
  }

  /** Exhausted: dead-lettered with the onFailure destination's event (or, if it cannot take it, as destination-failed). */
  private async giveUp(sub: TriggerRecord, d: TopicDelivery, message: Message, reason: string, error: QueueError | null, destination: Destination | null): Promise<void> {
    const now = this.deps.clock.now();
    const sent = destination ? await destinationInputs(this.deps, destination, this.outcomeOf(sub, d, message), 'failure', reason, message.event, error, now) : NOTHING_TO_SEND;
    if (sent.failure) return this.deadLetter(sub, d, message, DESTINATION_FAILED, destinationFailedError(sent.failure, reason, error), []);
    return this.deadLetter(sub, d, message, reason, error, sent.inputs);
  }

  /** Writes the delivery to the dead-letter list (with `followUps`), then acks it. */
  private async deadLetter(sub: TriggerRecord, d: TopicDelivery, message: Message, reason: string, error: QueueError | null, followUps: Parameters<QueueRepo['addDead']>[2]): Promise<void> {
    const id = deliveryId(message.at, sub.id, d.seq);
    const event = message.event as { source?: unknown; id?: unknown };
    const input = subscriptionDelivery(id, sub, sub.topic!, { source: String(event.source), id: String(event.id) }, JSON.stringify(message.event));
    const written = await this.deps.queue.addDead({ ...input, acceptedAt: message.at, attempts: d.attempt, reason, error }, this.deps.clock.now(), followUps);
    if (written && followUps && followUps.length > 0) this.deps.onEnqueued();
    d.ack();
    const target = sub.workflow ? `workflow ${sub.workflow}` : sub.functionName;
    this.deps.onError(new Error(error ? `${error.code}: ${error.message}` : reason), `topic event ${String(event.id)} to ${target} (invocation ${id}) given up: ${reason}; dead-lettered`);
  }

  private async startWorkflow(sub: TriggerRecord, d: TopicDelivery, message: Message): Promise<void> {
    const { clock } = this.deps;
    const key = `ce:${sub.id}:${String(message.event.source)}\n${String(message.event.id)}`;
    const state = { enqueuedAt: message.at, attempts: d.attempt, throttles: 0 };
    try {
      if (!this.deps.startWorkflow) throw Object.assign(new Error('this platform has no workflow engine'), { code: 'NIMBUS_ERR_WORKFLOW_NOT_FOUND' });
      // Named after the event: a repeat delivery finds the execution the first one started.
      await this.deps.startWorkflow({
        workflow: sub.workflow!,
        input: message.event,
        name: workflowExecutionName({ id: deliveryId(message.at, sub.id, d.seq), idempotencyKey: key, trigger: 'event' }),
        source: `event:${sub.topic}:${sub.id}`,
      });
      d.ack();
    } catch (error) {
      const code = String((error as { code?: unknown }).code ?? 'NIMBUS_ERR_INTERNAL');
      if (code === 'NIMBUS_ERR_SHUTTING_DOWN') return d.retry(0);
      const now = clock.now();
      const retryable = !WORKFLOW_START_FINAL.has(code);
      const next = decideAfterAttempt(WORKFLOW_START_POLICY, state, { ok: false, errorCode: code, retryable }, now, this.deps.random ?? Math.random);
      if (next.kind === 'retry') return d.retry(next.at - now);
      const reason = next.kind === 'dead-letter' ? next.reason : 'non-retryable';
      await this.deadLetter(sub, d, message, reason, { code, message: (error as Error)?.message ?? String(error) }, []);
    }
  }
}
