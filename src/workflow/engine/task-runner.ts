/**
 * Carries out one InvokeTask command and answers with the event to feed back: a Nimbus
 * function through the dispatcher (trigger 'workflow', an invocation id derived from the
 * idempotency key, so a step re-issued after a crash is recognisable by its id), or an
 * HTTP call with fetch (the key is sent as Idempotency-Key). Returns null when there is
 * nothing to report now (the platform is shutting down: the step is re-issued at restart).
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { NimbusError } from '../../core/errors.ts';
import type { InvokeOutcome, InvokeRequest } from '../../dispatch/dispatcher.ts';
import type { AslEvent, HttpTarget, InvokeTaskCommand, Json } from '../asl/index.ts';
import { jsonValueTooDeep } from '../../core/json-depth.ts';

export interface TaskRunnerDeps {
  readonly clock: Clock;
  readonly invoke: (req: InvokeRequest) => Promise<InvokeOutcome>;
  readonly fetch?: typeof fetch;
  /** Waits after a throttled invocation before trying again (not an ASL retry): default 50 ms doubling to 2 s. */
  readonly throttleDelayMs?: (n: number) => number;
}

const CROCKFORD = '0123456789abcdefghjkmnpqrstvwxyz';
const THROTTLES = new Set(['NIMBUS_ERR_THROTTLED', 'NIMBUS_ERR_QUEUE_TIMEOUT']);
/** How long throttled invocations are tried again before the task fails with Lambda.TooManyRequestsException. */
const MAX_THROTTLE_WAIT_MS = 120_000;
const HTTP_DEFAULT_TIMEOUT_MS = 60_000;

/**
 * The invocation id of a task step: the execution's start time (so records sort by time like
 * other ids) then 16 characters of SHA-256 of the idempotency key. The same step always gets
 * the same id; a retry, a loop back or a redrive gets another.
 */
export function taskInvocationId(idempotencyKey: string, executionStartMs: number): string {
  let time = '';
  let t = executionStartMs;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const digest = createHash('sha256').update(idempotencyKey).digest();
  let rand = '';
  for (let i = 0; i < 16; i++) rand += CROCKFORD[digest[i] & 31];
  return time + rand;
}

/** The ASL error name for a failed invocation (Step Functions' Lambda integration style). */
export function errorNameFor(error: NimbusError): string {
  switch (error.code) {
    case 'NIMBUS_ERR_FUNCTION_ERROR':
    case 'NIMBUS_ERR_FUNCTION_INIT':
      return (error.extra.errorName as string | undefined) || 'Error';
    case 'NIMBUS_ERR_TIMEOUT':
      return 'States.Timeout';
    case 'NIMBUS_ERR_FUNCTION_NOT_FOUND':
    case 'NIMBUS_ERR_VERSION_NOT_FOUND':
    case 'NIMBUS_ERR_ALIAS_NOT_FOUND':
      return 'Lambda.ResourceNotFoundException';
    case 'NIMBUS_ERR_THROTTLED':
    case 'NIMBUS_ERR_QUEUE_TIMEOUT':
      return 'Lambda.TooManyRequestsException';
    case 'NIMBUS_ERR_PAYLOAD_TOO_LARGE':
      return 'Lambda.RequestTooLargeException';
    case 'NIMBUS_ERR_INTERNAL':
      return 'Lambda.ServiceException';
    default:
      return 'Lambda.Unknown'; // crashed, memory or CPU limit, bad response
  }
}

function toJsonValue(value: unknown): Json {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value)) as Json;
  } catch {
    return null;
  }
}

/** What a task needs of its execution. */
export interface TaskExecution {
  readonly id: string;
  readonly snapshot: { readonly execution: { readonly startTime: number } };
  /** The execution's span; null for executions started before traces were kept. */
  readonly traceparent: string | null;
}

export class TaskRunner {
  constructor(private readonly deps: TaskRunnerDeps) {}

  async run(execution: TaskExecution, cmd: InvokeTaskCommand): Promise<AslEvent | null> {
    return cmd.target.kind === 'http' ? this.http(cmd, cmd.target, execution.traceparent) : this.fn(execution, cmd);
  }

  private async fn(execution: TaskExecution, cmd: InvokeTaskCommand): Promise<AslEvent | null> {
    if (cmd.target.kind !== 'function') return null;
    const executionId = execution.id;
    const executionStartMs = execution.snapshot.execution.startTime;
    const { clock, invoke } = this.deps;
    const invocationId = taskInvocationId(cmd.idempotencyKey, executionStartMs);
    const started = clock.now();
    for (let n = 0; ; n++) {
      const out = await invoke({
        functionName: cmd.target.name,
        // A version, an alias or $LATEST; the invocation id is the task's, so a split alias
        // sends every replay of the task to the same version.
        ...(cmd.target.qualifier === undefined ? {} : { qualifier: cmd.target.qualifier }),
        trigger: 'workflow',
        triggerSource: executionId,
        invocationId,
        attempt: cmd.attempt + 1,
        ...(execution.traceparent === null ? {} : { traceparent: execution.traceparent }),
        // ASL data is JSON: its text goes along, which an isolate takes for less than a copy of the value
        input: { kind: 'event', event: cmd.payload, json: JSON.stringify(cmd.payload) },
      });
      if (out.ok) {
        return { type: 'TaskSucceeded', taskId: cmd.taskId, output: toJsonValue(out.value), executedVersion: String(out.record.version) };
      }
      const { error } = out;
      if (error.code === 'NIMBUS_ERR_SHUTTING_DOWN') return null;
      if (THROTTLES.has(error.code) && clock.now() - started < MAX_THROTTLE_WAIT_MS) {
        const delay = this.deps.throttleDelayMs?.(n) ?? Math.min(2_000, 50 * 2 ** n);
        await new Promise<void>((resolve) => clock.setTimer(delay, resolve));
        continue;
      }
      const cause = (error.extra.errorMessage as string | undefined) ?? error.message;
      return { type: 'TaskFailed', taskId: cmd.taskId, error: errorNameFor(error), cause };
    }
  }

  private async http(cmd: InvokeTaskCommand, t: HttpTarget, traceparent: string | null): Promise<AslEvent> {
    const doFetch = this.deps.fetch ?? fetch;
    const method = t.method.toUpperCase();
    try {
      const url = new URL(t.url);
      for (const [k, v] of Object.entries(t.query)) url.searchParams.append(k, v);
      const hasBody = method !== 'GET' && method !== 'HEAD' && cmd.payload !== null;
      const res = await doFetch(url, {
        method,
        headers: {
          ...(hasBody ? { 'content-type': 'application/json' } : {}),
          ...(traceparent === null ? {} : { traceparent }),
          'idempotency-key': cmd.idempotencyKey,
          ...t.headers,
        },
        body: hasBody ? (typeof cmd.payload === 'string' ? cmd.payload : JSON.stringify(cmd.payload)) : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout((cmd.timeoutSeconds ?? HTTP_DEFAULT_TIMEOUT_MS / 1000) * 1000),
      });
      const text = await res.text();
      let body: Json = text;
      if (/json/i.test(res.headers.get('content-type') ?? '') && text !== '') {
        try {
          const parsed = JSON.parse(text) as Json;
          // JSON nested past the bound stays text: the ASL paths that read it recurse.
          if (!jsonValueTooDeep(parsed)) body = parsed;
        } catch {
          body = text;
        }
      }
      const headers: Record<string, Json> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      const result: Json = { StatusCode: res.status, StatusText: res.statusText, Headers: headers, ResponseBody: body };
      if (res.status >= 200 && res.status < 300) return { type: 'TaskSucceeded', taskId: cmd.taskId, output: result };
      return { type: 'TaskFailed', taskId: cmd.taskId, error: `States.Http.StatusCode.${res.status}`, cause: JSON.stringify(result).slice(0, 32_768) };
    } catch (error) {
      return { type: 'TaskFailed', taskId: cmd.taskId, error: 'States.Http.Socket', cause: `${method} ${t.url} failed: ${(error as Error).message}` };
    }
  }
}
