/**
 * Topic logs: durable messages fanned out to subscriptions, for what crosses nodes and must
 * not be lost (topic events, when the bus is NATS JetStream). Unlike the Bus (port.ts), a
 * message is kept until every subscription has acknowledged it:
 *
 * - `publish` resolves once the messages are stored; a message whose id was published
 *   before (within the log's duplicate window) is stored once.
 * - Each subscription (a durable name) gets every message of its topic published at or
 *   after its `since`, once, whichever node consumes it: consumers of one subscription on
 *   several nodes share its messages (a work queue per subscription).
 * - A delivery stays its consumer's while it is `extend`ed within `ackWaitMs`; one neither
 *   acked nor extended (its node died) is delivered again, to any consumer, as the next
 *   attempt. `retry(delayMs)` gives it back for a later attempt.
 *
 * Implementations: local/ (in-process, one node) and nats/ (JetStream). topic-contract.ts
 * is the suite both pass.
 */
export interface TopicDelivery {
  readonly data: unknown;
  /** The message's position in its topic: the same on every attempt, unique in the topic. */
  readonly seq: number;
  /** 1 on the first delivery, then one more on each redelivery. */
  readonly attempt: number;
  /** Done: never delivered to this subscription again. */
  ack(): void;
  /** Deliver again after `delayMs` (as the next attempt). */
  retry(delayMs: number): void;
  /** Still working on it: keeps it this consumer's for another ackWaitMs. */
  extend(): void;
}

export interface TopicConsumerOptions {
  /** Messages published before this (epoch ms) are not this subscription's. */
  readonly since: number;
  /** How long a delivery stays this consumer's without ack or extend. */
  readonly ackWaitMs: number;
  /** Deliveries this consumer holds at once (unacked). */
  readonly maxInFlight: number;
}

export type TopicHandler = (delivery: TopicDelivery) => void;

export interface TopicConsumer {
  /** Stops taking deliveries; those not yet handed to the handler go back at once. */
  stop(): Promise<void>;
}

export interface TopicMessage {
  /** Deduplication key: a repeat within the duplicate window is not stored again. */
  readonly id: string;
  readonly data: unknown;
}

export interface PublishedMessage {
  readonly seq: number;
  readonly duplicate: boolean;
}

export interface TopicLog {
  /** Stores the messages in order; resolves once they are durable. */
  publish(topic: string, messages: readonly TopicMessage[]): Promise<PublishedMessage[]>;
  /** Makes the subscription's durable state if missing (idempotent); a publish after this resolves reaches it. */
  ensure(topic: string, subscription: string, options: TopicConsumerOptions): Promise<void>;
  /** Consumes a subscription (ensuring it first); the handler is called once per delivery. */
  consume(topic: string, subscription: string, options: TopicConsumerOptions, handler: TopicHandler): Promise<TopicConsumer>;
  /** Deletes a subscription's durable state (its pending messages go). Idempotent. */
  remove(topic: string, subscription: string): Promise<void>;
  close(): Promise<void>;
}
