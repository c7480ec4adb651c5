/**
 * A source of trigger firings: timers (cron/), topics (events/), and later broker
 * connectors, as peers. Each enqueues its work through the queue store; the platform starts
 * and stops every source together and asks them all to reload when triggers change (here or,
 * announced over the bus, on another node).
 */
export interface TriggerSource {
  /** What it fires from, for logs: 'timers', 'topics'. */
  readonly kind: string;
  /** Reads its triggers and begins firing. */
  start(): Promise<void>;
  /** Stops firing (what it enqueued stays queued). */
  stop(): void;
  /** Re-reads its triggers from the store. */
  reload(): Promise<void>;
}
