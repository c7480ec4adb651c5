/**
 * Topics to functions and workflows: an event published to a topic becomes one async
 * invocation (or one workflow start) per matching subscription (an `event` trigger),
 * enqueued durably in one transaction. The
 * idempotency key is the subscription plus the CloudEvent's source and id (which
 * CloudEvents defines as unique), so publishing the same event twice delivers it once.
 */
import type { Clock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { triggerQueueTarget, type EnqueueInput, type QueueRepo, type TopicRepo, type TriggerRecord, type TriggerRepo } from '../../store/queue-ports.ts';
import type { TriggerSource } from '../source.ts';
import { toJson, type CloudEvent } from './cloudevents.ts';
import { matchesFilter, type EventFilter } from './filter.ts';

/** The queue input delivering `event` (JSON text `payload`) to subscription `sub` as item `id`. */
export function subscriptionDelivery(id: string, sub: TriggerRecord, topic: string, event: Pick<CloudEvent, 'source' | 'id'>, payload: string): EnqueueInput {
  const { kind, target } = triggerQueueTarget(sub);
  return { id, kind, target, trigger: 'event', source: `event:${topic}:${sub.id}`, payload, idempotencyKey: `ce:${sub.id}:${event.source}\n${event.id}` };
}

export interface EventBusDeps {
  readonly clock: Clock;
  readonly topics: TopicRepo;
  readonly triggers: TriggerRepo;
  readonly queue: QueueRepo;
  readonly idempotencyTtlMs: number;
  /** Called after deliveries are enqueued (wakes the consumer). */
  readonly onEnqueued: () => void;
}

export interface PublishResult {
  readonly topic: string;
  readonly events: number;
  /** Invocations queued (matching subscriptions × events, duplicates excluded). */
  readonly deliveries: number;
  readonly ids: readonly string[];
}

/** Where the API publishes events: the store's queue (EventBus, one node) or a topic log (StreamedTopics, a cluster on JetStream). */
export interface TopicPublisher {
  publish(topic: string, events: readonly CloudEvent[]): Promise<PublishResult>;
}

export function topicNotFound(topic: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_TOPIC_NOT_FOUND', `topic "${topic}" does not exist; create it with \`nimbus topics create ${topic}\``, {
    extra: { topic },
  });
}

/**
 * Topics as a trigger source. Events are pushed to it (publish, from the API) and it reads
 * the subscriptions from the store each time, so it has nothing to arm, stop or re-read: an
 * event accepted while the platform drains is still queued durably.
 */
export class EventBus implements TriggerSource, TopicPublisher {
  readonly kind = 'topics';

  constructor(private readonly deps: EventBusDeps) {}

  async start(): Promise<void> {}

  stop(): void {}

  async reload(): Promise<void> {}

  /** The queue inputs that deliver `events` to the topic's matching subscriptions. Throws TOPIC_NOT_FOUND. */
  async deliveries(topic: string, events: readonly CloudEvent[]): Promise<EnqueueInput[]> {
    if (!(await this.deps.topics.get(topic))) throw topicNotFound(topic);
    const subscriptions = await this.deps.triggers.list({ kind: 'event', topic });
    const now = this.deps.clock.now();
    const out: EnqueueInput[] = [];
    for (const event of events) {
      const payload = JSON.stringify(toJson(event));
      for (const sub of subscriptions) {
        if (!matchesFilter((sub.filter ?? {}) as EventFilter, event)) continue;
        out.push(subscriptionDelivery(newId(now), sub, topic, event, payload));
      }
    }
    return out;
  }

  async publish(topic: string, events: readonly CloudEvent[]): Promise<PublishResult> {
    const inputs = await this.deliveries(topic, events);
    const outcomes = await this.deps.queue.enqueue(inputs, this.deps.clock.now(), this.deps.idempotencyTtlMs);
    if (outcomes.some((o) => o.created)) this.deps.onEnqueued();
    return { topic, events: events.length, deliveries: outcomes.filter((o) => o.created).length, ids: outcomes.map((o) => o.id) };
  }
}
