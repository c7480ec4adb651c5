/**
 * Sending an async outcome to its onSuccess/onFailure destination: the queue inputs that
 * deliver it (committed by the caller with the outcome), or why the destination cannot take
 * it. Shared by the queue consumer (consumer.ts) and topic deliveries on a topic log
 * (triggers/events/streamed.ts), so both send the same event once per outcome.
 */
import type { NimbusError } from '../../core/errors.ts';
import { newId } from '../../core/ids.ts';
import { toJson, toStructured, type CloudEvent } from '../../triggers/events/cloudevents.ts';
import type { EnqueueInput, QueueError } from '../../store/queue-ports.ts';
import { WEBHOOK_TARGET } from '../../store/queue-ports.ts';
import { destinationEvent, type Condition } from './destination-event.ts';
import type { Destination } from './policy.ts';

/** Dead-letter reason of an item whose onSuccess/onFailure destination could not take its event. */
export const DESTINATION_FAILED = 'destination-failed';

/** What an outcome's destination gets: the queue inputs, or why it cannot get them. */
export interface DestinationInputs {
  readonly inputs: readonly EnqueueInput[];
  readonly failure: QueueError | null;
}

export const NOTHING_TO_SEND: DestinationInputs = { inputs: [], failure: null };

/** The invocation whose outcome is sent. */
export interface OutcomeOf {
  readonly id: string;
  /** The function (as targeted, qualifier included). */
  readonly target: string;
  readonly attempts: number;
  /** Age origin: a redrive's outcome is a new one. */
  readonly enqueuedAt: number;
}

export interface DestinationDeps {
  /** Deliveries of events to a topic's subscriptions (throws when the topic is gone). */
  readonly topicDeliveries: (topic: string, events: readonly CloudEvent[]) => Promise<EnqueueInput[]>;
  readonly onError?: (error: unknown, what: string) => void;
}

/** The webhook request a `webhook` queue item carries. */
export interface WebhookRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export async function destinationInputs(
  deps: DestinationDeps,
  destination: Destination,
  of: OutcomeOf,
  condition: Condition,
  reason: string | null,
  request: unknown,
  response: unknown,
  now: number,
): Promise<DestinationInputs> {
  const ce = destinationEvent({ invocationId: of.id, functionName: of.target, condition, reason, attempts: of.attempts, request, response, now });
  // Keyed by the item and its age origin: one delivery per outcome, a redrive gets its own.
  const idempotencyKey = `dest:${of.id}:${of.enqueuedAt}:${condition}`;
  const source = `destination:${of.target}:${condition}`;
  try {
    switch (destination.kind) {
      case 'function':
        return { inputs: [{ id: newId(now), kind: 'invoke', target: destination.name, trigger: 'async', source, payload: JSON.stringify(toJson(ce)), idempotencyKey }], failure: null };
      case 'topic':
        return { inputs: await deps.topicDeliveries(destination.name, [ce]), failure: null };
      case 'webhook': {
        const { headers, body } = toStructured(ce);
        const payload = JSON.stringify({ url: destination.url, headers, body } satisfies WebhookRequest);
        return { inputs: [{ id: newId(now), kind: 'webhook', target: WEBHOOK_TARGET, trigger: 'async', source, payload, idempotencyKey }], failure: null };
      }
    }
  } catch (error) {
    const field = condition === 'success' ? 'onSuccess' : 'onFailure';
    const code = (error as { code?: unknown }).code;
    // A platform error (a missing topic) is the dead letter's reason; anything else is also logged.
    if (typeof code !== 'string') deps.onError?.(error, `${condition} destination of ${of.id}`);
    return {
      inputs: [],
      failure: { code: typeof code === 'string' ? code : 'NIMBUS_ERR_INTERNAL', message: `${field} destination: ${(error as Error).message ?? String(error)}` },
    };
  }
}

/** The error of a DESTINATION_FAILED dead letter: why the destination failed, and how the invocation itself ended. */
export function destinationFailedError(failure: QueueError, reason: string, error: QueueError | null): QueueError {
  const own = `the invocation itself ended ${reason}${error ? ` (${error.code}: ${error.message})` : ''}`;
  return { code: failure.code, message: `${failure.message}; ${own}` };
}

/** A dispatcher error as a queue item's last error (the function's error name in front of its message). */
export function queueError(error: NimbusError): QueueError {
  const name = error.extra.errorName as string | undefined;
  const message = (error.extra.errorMessage as string | undefined) ?? error.message;
  return { code: error.code, message: name ? `${name}: ${message}` : message };
}
