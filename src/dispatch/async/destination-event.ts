/**
 * What a destination receives: a CloudEvent (JSON format) describing how an async
 * invocation ended, with Lambda's destination record as its data. Pure.
 */
import type { CloudEvent } from '../../triggers/events/cloudevents.ts';

export type Condition = 'success' | 'failure';

export interface OutcomeFacts {
  readonly invocationId: string;
  readonly functionName: string;
  readonly condition: Condition;
  /** Dead-letter reason on failure (max-attempts, max-age, non-retryable). */
  readonly reason: string | null;
  readonly attempts: number;
  /** The event the function was invoked with. */
  readonly request: unknown;
  /** The function's result (success) or the last error (failure). */
  readonly response: unknown;
  readonly now: number;
}

export const SUCCESS_TYPE = 'dev.nimbus.async.success';
export const FAILURE_TYPE = 'dev.nimbus.async.failure';

export function destinationEvent(facts: OutcomeFacts): CloudEvent {
  return {
    specversion: '1.0',
    id: `${facts.invocationId}:${facts.condition}`,
    source: `/nimbus/functions/${facts.functionName}`,
    type: facts.condition === 'success' ? SUCCESS_TYPE : FAILURE_TYPE,
    subject: facts.invocationId,
    time: new Date(facts.now).toISOString(),
    datacontenttype: 'application/json',
    extensions: {},
    data: {
      version: '1.0',
      timestamp: new Date(facts.now).toISOString(),
      requestContext: {
        requestId: facts.invocationId,
        functionName: facts.functionName,
        condition: facts.condition === 'success' ? 'Success' : facts.reason,
        approximateInvokeCount: facts.attempts,
      },
      requestPayload: facts.request ?? null,
      responsePayload: facts.response ?? null,
    },
  };
}
