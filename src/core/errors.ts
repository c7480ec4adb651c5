/**
 * The one error catalogue. Every error that crosses a boundary (HTTP, CLI, store) is a
 * NimbusError carrying one of these codes; the HTTP layer renders it as an RFC 7807
 * problem. docs/errors.md lists the same codes, and a test keeps the two in step.
 */
export interface ErrorSpec {
  readonly status: number;
  readonly title: string;
  /** Whether repeating the same request later may succeed. */
  readonly retryable: boolean;
}

export const ERRORS = {
  NIMBUS_ERR_BAD_REQUEST: { status: 400, title: 'The request is malformed', retryable: false },
  NIMBUS_ERR_VALIDATION: { status: 400, title: 'A field has an invalid value', retryable: false },
  NIMBUS_ERR_BUILD_FAILED: { status: 400, title: 'The function code did not compile or bundle', retryable: false },
  NIMBUS_ERR_UNSUPPORTED_MODULE: { status: 400, title: 'The function imports a Node.js built-in that functions do not have', retryable: false },
  NIMBUS_ERR_INVALID_FUNCTION: { status: 400, title: 'The function module is not a valid Nimbus function', retryable: false },
  NIMBUS_ERR_UNAUTHORIZED: { status: 401, title: 'A valid bearer token is required', retryable: false },
  NIMBUS_ERR_NOT_FOUND: { status: 404, title: 'No such route', retryable: false },
  NIMBUS_ERR_FUNCTION_NOT_FOUND: { status: 404, title: 'No such function', retryable: false },
  NIMBUS_ERR_VERSION_NOT_FOUND: { status: 404, title: 'No such function version', retryable: false },
  NIMBUS_ERR_ALIAS_NOT_FOUND: { status: 404, title: 'No such alias', retryable: false },
  NIMBUS_ERR_SECRET_NOT_FOUND: { status: 404, title: 'No such secret', retryable: false },
  NIMBUS_ERR_INVOCATION_NOT_FOUND: { status: 404, title: 'No such invocation', retryable: false },
  NIMBUS_ERR_TOPIC_NOT_FOUND: { status: 404, title: 'No such topic', retryable: false },
  NIMBUS_ERR_ALERT_RULE_NOT_FOUND: { status: 404, title: 'Alert rule not found', retryable: false },
  NIMBUS_ERR_TRIGGER_NOT_FOUND: { status: 404, title: 'No such trigger', retryable: false },
  NIMBUS_ERR_WORKFLOW_NOT_FOUND: { status: 404, title: 'No such workflow (state machine)', retryable: false },
  NIMBUS_ERR_EXECUTION_NOT_FOUND: { status: 404, title: 'No such workflow execution', retryable: false },
  NIMBUS_ERR_EXECUTION_ELSEWHERE: { status: 503, title: 'Another node drives this workflow execution', retryable: true },
  NIMBUS_ERR_AWS_KEY_NOT_FOUND: { status: 404, title: 'No such AWS access key', retryable: false },
  NIMBUS_ERR_TASK_TOKEN_NOT_FOUND: { status: 404, title: 'No callback task has this task token', retryable: false },
  NIMBUS_ERR_METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed on this route', retryable: false },
  NIMBUS_ERR_CONFLICT: { status: 409, title: 'The resource changed concurrently', retryable: true },
  NIMBUS_ERR_STATE_CONFLICT: { status: 409, title: 'The resource is not in a state that allows this', retryable: false },
  NIMBUS_ERR_OBSERVABILITY_OFF: { status: 409, title: 'Observability is switched off on this platform', retryable: false },
  NIMBUS_ERR_TASK_ALREADY_COMPLETED: { status: 409, title: 'The callback task already has its result', retryable: false },
  NIMBUS_ERR_TASK_TOKEN_EXPIRED: { status: 410, title: 'The callback task is no longer waiting for its token', retryable: false },
  NIMBUS_ERR_REQUEST_TIMEOUT: { status: 408, title: 'The request did not arrive in time', retryable: true },
  NIMBUS_ERR_HEADERS_TOO_LARGE: { status: 431, title: 'The request headers are too large', retryable: false },
  NIMBUS_ERR_PAYLOAD_TOO_LARGE: { status: 413, title: 'The payload exceeds the limit', retryable: false },
  NIMBUS_ERR_CLIENT_CLOSED: { status: 499, title: 'The client went away before the response was complete', retryable: true },
  NIMBUS_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'Unsupported content type', retryable: false },
  NIMBUS_ERR_THROTTLED: { status: 429, title: 'Every instance is busy and the wait queue is full', retryable: true },
  NIMBUS_ERR_FUNCTION_ERROR: { status: 500, title: 'The function threw an error', retryable: false },
  NIMBUS_ERR_FUNCTION_INIT: { status: 500, title: 'The function failed while initialising', retryable: true },
  NIMBUS_ERR_EXECUTION_FAILED: { status: 500, title: 'The workflow execution did not succeed', retryable: false },
  NIMBUS_ERR_BAD_RESPONSE: { status: 502, title: 'The function returned something that is not a response', retryable: false },
  NIMBUS_ERR_MEMORY_LIMIT: { status: 502, title: 'The function exceeded its memory limit', retryable: true },
  NIMBUS_ERR_INSTANCE_CRASHED: { status: 502, title: 'The function instance stopped unexpectedly', retryable: true },
  NIMBUS_ERR_SHUTTING_DOWN: { status: 503, title: 'The platform is shutting down', retryable: true },
  NIMBUS_ERR_TIMEOUT: { status: 504, title: 'The function exceeded its timeout', retryable: true },
  NIMBUS_ERR_CPU_LIMIT: { status: 504, title: 'The function exceeded its CPU-time limit', retryable: true },
  NIMBUS_ERR_BODY_BUDGET: { status: 503, title: 'Too many request bodies are being received at once', retryable: true },
  NIMBUS_ERR_QUEUE_TIMEOUT: { status: 503, title: 'No instance became free before the deadline', retryable: true },
  NIMBUS_ERR_STORE_UNAVAILABLE: { status: 503, title: 'The store (PostgreSQL) cannot be reached', retryable: true },
  NIMBUS_ERR_BUS_UNAVAILABLE: { status: 503, title: 'The bus (NATS) cannot be reached', retryable: true },
  NIMBUS_ERR_STORE_SCHEMA_NEWER: { status: 500, title: 'The store was written by a newer Nimbus', retryable: false },
  NIMBUS_ERR_DATA_DIR_IN_USE: { status: 409, title: 'Another platform runs on this data directory', retryable: false },
  NIMBUS_ERR_ADDRESS_IN_USE: { status: 409, title: 'The platform cannot listen on that address', retryable: false },
  NIMBUS_ERR_UPSTREAM: { status: 502, title: 'An outbound request from the function failed', retryable: true },
  NIMBUS_ERR_EGRESS_DENIED: { status: 403, title: 'The function may not reach that address', retryable: false },
  NIMBUS_ERR_SECRET_UNREADABLE: { status: 500, title: 'A stored secret does not open with this platform\'s key', retryable: false },
  NIMBUS_ERR_INTERNAL: { status: 500, title: 'An internal error occurred', retryable: true },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export interface ErrorOptions {
  /** Extra members for the problem document (e.g. `errors`, `retryAfter`). */
  readonly extra?: Record<string, unknown>;
  readonly cause?: unknown;
  /** Seconds; sent as Retry-After with 429/503. */
  readonly retryAfterSeconds?: number;
}

export class NimbusError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly extra: Record<string, unknown>;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, detail: string, options: ErrorOptions = {}) {
    super(detail, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NimbusError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.retryable = ERRORS[code].retryable;
    this.extra = options.extra ?? {};
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function isNimbusError(value: unknown): value is NimbusError {
  return value instanceof NimbusError;
}

/** RFC 7807 problem document. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  retryable: boolean;
  instance?: string;
  [extra: string]: unknown;
}

export const PROBLEM_TYPE_BASE = 'https://nimbus.dev/errors/';

export function toProblem(error: unknown, instance?: string): Problem {
  const err = isNimbusError(error)
    ? error
    : new NimbusError('NIMBUS_ERR_INTERNAL', 'An unexpected error occurred; the platform log has the details');
  const problem: Problem = {
    ...publicExtras(err.extra),
    type: PROBLEM_TYPE_BASE + err.code.slice('NIMBUS_ERR_'.length).toLowerCase().replaceAll('_', '-'),
    title: ERRORS[err.code].title,
    status: err.status,
    detail: err.message,
    code: err.code,
    retryable: err.retryable,
  };
  if (instance !== undefined) problem.instance = instance;
  return problem;
}

/** Members of `extra` that stay inside the platform (records, logs) and never reach a client. */
const PRIVATE_EXTRAS = new Set(['stack', 'cause']);

function publicExtras(extra: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(extra)) if (!PRIVATE_EXTRAS.has(k)) out[k] = v;
  return out;
}
