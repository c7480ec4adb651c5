/**
 * invoke(): the one entry every trigger uses (HTTP, the API, and later the async
 * queue, cron, events and workflows). It resolves the current version, leases an
 * instance, calls the right export, and emits exactly one record.
 */
import type { Clock } from '../core/clock.ts';
import { NimbusError, isNimbusError, type ErrorCode } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import { socketCounts, type FunctionVersion, type InvocationRecord, type InvocationStatus, type ModuleExports, type TriggerKind } from '../core/types.ts';
import { framesOf, type SourceStacks } from './source-stacks.ts';
import type { LogCollector } from '../observe/log-collector.ts';
import type { Recorder } from '../observe/recorder.ts';
import type { DispatchObserver, Measuring } from '../observe/observer.ts';
import type { PoolRegistry } from '../pool/registry.ts';
import type { Lease } from '../pool/version-pool.ts';
import type { HttpRequestData, HttpResponseData, InstanceCall, InstanceResult, InvocationMeta, SocketPeer, SocketUsage } from '../runtime/port.ts';
import { asNimbusError, collect, Counted } from './byte-streams.ts';
import { noRedaction, redactValue, type Redactor } from '../releases/redact.ts';
import type { Catalog } from './catalog.ts';
import { checkHttpResponse, headBytes } from './http-response-check.ts';
import { eventToRequest, fromHandlerResult, responseToValue, toApiGatewayV2Event } from './http-event.ts';
import { startWaitMs } from './wait-bounds.ts';

export type InvokeInput =
  | { readonly kind: 'http'; readonly request: HttpRequestData; readonly sourceIp: string }
  /** `json`: the event's JSON text, when the caller has it (JSON.parse of it gives `event`); passed on to the runtime. */
  | { readonly kind: 'event'; readonly event: unknown; readonly json?: string };

export interface InvokeRequest {
  readonly functionName: string;
  readonly trigger: TriggerKind;
  readonly triggerSource: string;
  readonly input: InvokeInput;
  /** Given by retrying triggers so every attempt shares one id. */
  readonly invocationId?: string;
  readonly attempt?: number;
  readonly requestBytes?: number;
  /** Run this version instead of the current one (a workflow Task's qualifier). */
  readonly version?: number;
  /**
   * A version number, an alias or `$LATEST` (`/fn/<name>@<qualifier>`, a Lambda ARN's
   * qualifier). `functionName` may carry it too, as `<name>@<qualifier>`. None: the `live`
   * alias when the function has one, else the current version.
   */
  readonly qualifier?: string;
  /**
   * The caller commits the record with its own outcome and then tells the recorder
   * (Recorder.committedByItsCaller), as the async queue does: the recorder waits one flush
   * interval for that before it writes the record itself.
   */
  readonly recordCommittedByCaller?: boolean;
  /** W3C trace context of the caller (async and workflow children); HTTP reads the header. */
  readonly traceparent?: string;
  /**
   * Sends a streamed response (http.stream) to the caller as it is produced: called with
   * its head once the function has returned it; resolves once all of it was delivered,
   * rejects with a NimbusError (NIMBUS_ERR_CLIENT_CLOSED when the caller went away) after
   * cancelling the stream. The invocation, and its record, end when the stream does.
   * Absent: a streamed response is buffered (within the response limit) like any other.
   */
  readonly respond?: (http: HttpResponseData, invocationId: string) => Promise<void>;
  /** HTTP: settles when the client's connection closes (a fetch function not yet answered is then aborted). */
  readonly clientGone?: Promise<void>;
}

export type InvokeOutcome =
  | {
      readonly ok: true;
      readonly invocationId: string;
      readonly record: InvocationRecord;
      readonly http?: HttpResponseData;
      readonly value?: unknown;
      /** The response went to InvokeRequest.respond (http.body is empty). */
      readonly streamed?: boolean;
    }
  | { readonly ok: false; readonly invocationId: string; readonly record: InvocationRecord | null; readonly error: NimbusError };

export interface DispatcherDeps {
  readonly clock: Clock;
  readonly catalog: Catalog;
  readonly pools: PoolRegistry;
  readonly logs: LogCollector;
  readonly recorder: Recorder;
  /** Trace span and CPU/memory/occupancy figures; absent with observability off. */
  readonly observer?: DispatchObserver;
  /** Maps uncaught errors' stacks to source positions for the log; absent: bundle positions. */
  readonly stacks?: SourceStacks;
  /** Largest HTTP response, head and body together; past it (or with a header Node refuses) the invocation is NIMBUS_ERR_BAD_RESPONSE. */
  readonly responseLimitBytes: number;
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, InvocationStatus>> = {
  NIMBUS_ERR_TIMEOUT: 'timeout',
  NIMBUS_ERR_CPU_LIMIT: 'cpu_limit',
  NIMBUS_ERR_MEMORY_LIMIT: 'memory_limit',
  NIMBUS_ERR_INSTANCE_CRASHED: 'crashed',
  NIMBUS_ERR_THROTTLED: 'throttled',
  NIMBUS_ERR_QUEUE_TIMEOUT: 'throttled',
};

export class Dispatcher {
  private accepting = true;
  constructor(private readonly deps: DispatcherDeps) {}

  stopAccepting(): void {
    this.accepting = false;
  }

  async invoke(req: InvokeRequest): Promise<InvokeOutcome> {
    const { clock, catalog, pools, logs, recorder } = this.deps;
    const startedAt = clock.now();
    const t0 = clock.monotonic();
    const invocationId = req.invocationId ?? newId(startedAt);
    if (!this.accepting) {
      return { ok: false, invocationId, record: null, error: new NimbusError('NIMBUS_ERR_SHUTTING_DOWN', 'the platform is shutting down', { retryAfterSeconds: 1 }) };
    }
    let functionName = req.functionName;
    let qualifier = req.qualifier ?? (req.version === undefined ? undefined : String(req.version));
    const at = functionName.indexOf('@');
    if (at > 0) {
      qualifier ??= functionName.slice(at + 1);
      functionName = functionName.slice(0, at);
    }
    let target: Awaited<ReturnType<Catalog['resolveTarget']>>;
    try {
      target = catalog.route(functionName, qualifier, invocationId) ?? (await catalog.resolveTarget(functionName, qualifier, invocationId));
    } catch (error) {
      // A version whose secrets do not open (NIMBUS_ERR_SECRET_UNREADABLE), or the store failing.
      const failure = isNimbusError(error) ? error : new NimbusError('NIMBUS_ERR_INTERNAL', `cannot load ${functionName}: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      return { ok: false, invocationId, record: null, error: failure };
    }
    if (target instanceof NimbusError) return { ok: false, invocationId, record: null, error: target };
    if (!target) {
      return {
        ok: false,
        invocationId,
        record: null,
        error: new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', `function "${functionName}" does not exist; \`nimbus ls\` lists the deployed ones`),
      };
    }
    const { version } = target.deployed;
    const { redact } = catalog.secretsFor(version);
    const config = version.config;
    const observer = this.deps.observer;
    const trace = observer?.open(req);
    // the runtime counts the function's outbound sockets here (Node layer net/tls)
    const sockets: SocketUsage = { opened: 0, bytesIn: 0, bytesOut: 0 };
    logs.open(invocationId, version.functionName, redact === noRedaction ? null : redact);
    let lease: Lease | null = null;
    let measuring: Measuring | null = null;
    let execMs = 0;
    /** When the instance answered (monotonic); 0 until it has. */
    let endedAt = 0;
    let outcome: { http?: HttpResponseData; value?: unknown; streamed?: boolean } | null = null;
    /** Bytes of a streamed request and response body, counted as they pass. */
    let streamedIn: Counted | null = null;
    let streamedOut: Counted | null = null;
    /** A WebSocket the function accepted: its messages' bytes are the invocation's. */
    let socket: SocketPeer | null = null;
    let failure: NimbusError | null = null as NimbusError | null;
    let figures: { cpuMs: number; peakMemoryBytes: number; occupancyMs: number } | undefined;
    // waitUntil work still running after the result keeps the slot busy until it settles.
    let background: Promise<void> | undefined;
    try {
      const pool = pools.poolFor(version);
      // the timeout counts from when an instance takes the request (wait-bounds.ts)
      lease = pool.tryAcquire() ?? (await pool.acquire(startedAt + config.timeoutMs, startedAt + startWaitMs(config)));
      const meta: InvocationMeta = {
        invocationId,
        functionName: version.functionName,
        version: version.version,
        deadline: clock.now() + config.timeoutMs,
        attempt: req.attempt ?? 1,
        memoryMb: config.memoryMb,
        trace,
        sockets,
      };
      let input = req.input;
      if (input.kind === 'http' && input.request.stream !== undefined) {
        streamedIn = new Counted(input.request.stream);
        // a handler, or a runtime that cannot take a stream, gets the body whole
        const request: HttpRequestData =
          version.exports.fetch && lease.instance.streamsBodies === true
            ? { ...input.request, stream: streamedIn }
            : { ...input.request, stream: undefined, body: await collect(streamedIn, Number.POSITIVE_INFINITY, () => new NimbusError('NIMBUS_ERR_INTERNAL', 'unreachable')) };
        input = { ...input, request };
      }
      const call = this.callFor(input === req.input ? req : { ...req, input }, meta, version.exports);
      const execStart = clock.monotonic();
      const pending = lease.instance.invoke(call);
      measuring = observer?.begin(lease.instance, execStart) ?? null;
      let result = await pending;
      if (result.mode === 'fetch' && result.response.webSocket !== undefined) {
        socket = result.response.webSocket;
        const head: HttpResponseData = { ...result.response, webSocket: undefined };
        const failed = await this.finishSocket(invocationId, req, result);
        const end = (await result.streamEnd) ?? { error: null };
        background = end.background;
        if ((failed ?? end.error) !== null) throw failed ?? end.error;
        result = { mode: 'fetch', response: head, background: end.background };
        outcome = { http: head, streamed: true };
      } else if (result.mode === 'fetch' && result.response.stream !== undefined) {
        streamedOut = new Counted(result.response.stream);
        const ended = await this.finishStream(invocationId, req, result, streamedOut);
        // set before a failure is thrown: its waitUntil work still holds the slot until it settles
        background = ended.background;
        if (ended.error !== null) throw ended.error;
        result = { mode: 'fetch', response: ended.response, background: ended.background };
        // sent as it came; else buffered, it is an answer like any other (a value for an event)
        if (req.respond !== undefined && req.input.kind === 'http') outcome = { http: ended.response, streamed: true };
      }
      endedAt = clock.monotonic();
      background = result.background;
      execMs = endedAt - execStart;
      outcome ??= this.outputFor(req, result);
    } catch (error) {
      failure = isNimbusError(error)
        ? error
        : new NimbusError('NIMBUS_ERR_INTERNAL', `invocation failed inside the platform: ${(error as Error)?.message ?? String(error)}`, { cause: error });
      if (lease && execMs === 0) execMs = clock.monotonic() - t0;
      // An upload past the payload limit that the function let fail (its read threw) is the
      // caller's fault: 413, as for a declared length, not the function's error.
      if (failure.code === 'NIMBUS_ERR_FUNCTION_ERROR' && streamedIn?.failure?.code === 'NIMBUS_ERR_PAYLOAD_TOO_LARGE') failure = streamedIn.failure;
    } finally {
      figures = observer?.end(measuring, endedAt || clock.monotonic());
      if (lease && background) {
        const held = lease;
        void background.finally(() => held.release());
      } else lease?.release();
    }

    const durationMs = round3(clock.monotonic() - t0);
    // An error's message is the function's output: it leaves (record, problem, workflow history) redacted.
    if (failure && redact !== noRedaction) failure = redactedError(failure, redact);
    if (failure?.code === 'NIMBUS_ERR_FUNCTION_ERROR') await this.logUncaught(invocationId, version, failure);

    // waitUntil work logs after the response (and its rejection, or the deadline line, is
    // logged for it): the logs stay open until it settles; the record is pushed now and its
    // final version, with every line, replaces it then.
    const collected = background ? logs.peek(invocationId) : logs.close(invocationId);
    const responseBytes = socket !== null ? socket.bytesOut : streamedOut !== null ? streamedOut.bytes : outcome?.http ? outcome.http.body.byteLength : 0;
    const record: InvocationRecord = {
      id: invocationId,
      functionName: version.functionName,
      version: version.version,
      alias: target.alias,
      trigger: req.trigger,
      triggerSource: req.triggerSource,
      startedAt,
      durationMs,
      // What the function ran for, init included when it paid for a cold start.
      billedMs: lease ? Math.max(1, Math.ceil(execMs + (lease.cold ? lease.initMs : 0))) : 0,
      memoryMb: config.memoryMb,
      status: failure ? (STATUS_BY_CODE[failure.code] ?? 'error') : 'success',
      statusCode: failure ? failure.status : (outcome?.http?.status ?? null),
      errorCode: failure?.code ?? null,
      errorName: failure ? ((failure.extra.errorName as string | undefined) ?? failure.code) : null,
      errorMessage: failure ? ((failure.extra.errorMessage as string | undefined) ?? failure.message) : null,
      coldStart: lease?.cold ?? false,
      initMs: round3(lease?.initMs ?? 0),
      instanceId: lease?.instance.id ?? null,
      requestBytes: socket !== null ? socket.bytesIn : streamedIn !== null ? streamedIn.bytes : (req.requestBytes ?? (req.input.kind === 'http' ? (req.input.request.body?.byteLength ?? 0) : 0)),
      responseBytes,
      attempt: req.attempt ?? 1,
      logs: collected.logs,
      logsTruncated: collected.truncated,
      cpuMs: figures?.cpuMs ?? 0,
      peakMemoryBytes: figures?.peakMemoryBytes ?? 0,
      occupancyMs: figures?.occupancyMs ?? 0,
      traceId: trace?.traceId ?? null,
      spanId: trace?.spanId ?? null,
      parentSpanId: trace?.parentSpanId ?? null,
      ...socketCounts(sockets.opened, sockets.bytesIn, sockets.bytesOut),
    };
    if (background) {
      const complete = (): InvocationRecord => {
        const all = logs.close(invocationId);
        // waitUntil work may have used sockets after the result
        return { ...record, logs: all.logs, logsTruncated: all.truncated, ...socketCounts(sockets.opened, sockets.bytesIn, sockets.bytesOut) };
      };
      recorder.push(record, req.invocationId === undefined, background.then(complete, complete), req.recordCommittedByCaller);
    } else recorder.push(record, req.invocationId === undefined, undefined, req.recordCommittedByCaller);
    if (failure) return { ok: false, invocationId, record, error: failure };
    if (outcome?.http !== undefined) return { ok: true, invocationId, record, http: outcome.http, ...(outcome.streamed ? { streamed: true } : {}) };
    // A value (not an HTTP response, which is the function's own answer to its caller) is
    // written by the platform: an API answer, a workflow's history, a destination. Redacted.
    if (redact !== noRedaction && outcome) return { ok: true, invocationId, record, value: redactValue(outcome.value, redact) };
    return { ok: true, invocationId, record, ...outcome };
  }

  /**
   * The error a function let escape goes to its log with the stack, as Node prints an
   * uncaught exception; the caller's answer keeps only the name and message.
   */
  private async logUncaught(invocationId: string, version: FunctionVersion, failure: NimbusError): Promise<void> {
    const { errorName, errorMessage, stack } = failure.extra as { errorName?: unknown; errorMessage?: unknown; stack?: unknown };
    // The name the caller and the record got (V8's own header says "Error" for a subclass without its own name).
    const header = typeof errorName === 'string' ? `${errorName}: ${String(errorMessage ?? '')}` : failure.message;
    const text = typeof stack === 'string' ? stack : '';
    const frames = this.deps.stacks ? await this.deps.stacks.frames(version, text) : framesOf(text);
    this.deps.logs.append(invocationId, 'error', ['Uncaught ' + header, ...frames].join('\n'));
  }

  private callFor(req: InvokeRequest, meta: InvocationMeta, exports: ModuleExports): InstanceCall {
    const input = req.input;
    if (input.kind === 'http') {
      if (exports.fetch) return req.clientGone === undefined ? { mode: 'fetch', request: input.request, meta } : { mode: 'fetch', request: input.request, meta, clientGone: req.clientGone };
      return {
        mode: 'handler',
        event: toApiGatewayV2Event(input.request, { requestId: meta.invocationId, now: this.deps.clock.now(), sourceIp: input.sourceIp }),
        meta,
      };
    }
    if (exports.handler) return input.json === undefined ? { mode: 'handler', event: input.event, meta } : { mode: 'handler', event: input.event, meta, eventJson: input.json };
    return { mode: 'fetch', request: eventToRequest(input.event, req.functionName, 'localhost'), meta };
  }

  /**
   * A streamed response: sent through req.respond as it comes (or buffered when there is
   * none), then the end of the stream awaited, so the invocation's time and bytes cover it
   * all. Throws what ended it badly; returns the result with the body buffered (or empty
   * when it was sent) and the waitUntil work left after the stream.
   */
  private async finishStream(
    invocationId: string,
    req: InvokeRequest,
    result: InstanceResult & { mode: 'fetch' },
    stream: Counted,
  ): Promise<{ response: HttpResponseData; error: NimbusError | null; background?: Promise<void> }> {
    const head: HttpResponseData = { ...result.response, body: EMPTY, stream: undefined };
    const limit = this.deps.responseLimitBytes;
    let delivered: Promise<NimbusError | null>;
    let body: Uint8Array = EMPTY;
    try {
      checkHttpResponse(head, limit);
      if (req.respond !== undefined && req.input.kind === 'http') {
        delivered = req.respond({ ...head, stream }, invocationId).then(() => null, asNimbusError);
      } else {
        const over = () => new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `the function's streamed response passed ${limit} bytes with its headers; the limit is ${limit}`, { extra: { limit } });
        delivered = collect(stream, limit - headBytes(head), over).then((bytes) => {
          body = bytes;
          return null;
        }, asNimbusError);
      }
    } catch (error) {
      stream.cancel(asNimbusError(error));
      delivered = Promise.resolve(asNimbusError(error));
    }
    const failed = await delivered;
    const end = (await result.streamEnd) ?? { error: null };
    return { response: { ...head, body }, error: failed ?? end.error, background: end.background };
  }

  /**
   * A WebSocket the function accepted (101): handed to req.respond, which completes the
   * upgrade and relays until the socket closes. Without an upgrading caller it is refused
   * (the socket closed, so the invocation ends). Returns what went wrong, or null.
   */
  private async finishSocket(invocationId: string, req: InvokeRequest, result: InstanceResult & { mode: 'fetch' }): Promise<NimbusError | null> {
    const socket = result.response.webSocket as SocketPeer;
    if (req.respond === undefined || req.input.kind !== 'http') {
      socket.close(1011, 'no WebSocket client');
      return new NimbusError('NIMBUS_ERR_BAD_RESPONSE', 'the function answered with a WebSocket (status 101), which only an HTTP upgrade request can take');
    }
    try {
      await req.respond(result.response, invocationId);
      return null;
    } catch (error) {
      socket.close(1011, 'the WebSocket could not be set up');
      return asNimbusError(error);
    }
  }

  private outputFor(req: InvokeRequest, result: Awaited<ReturnType<Lease['instance']['invoke']>>): { http?: HttpResponseData; value?: unknown } {
    if (req.input.kind === 'http') {
      const http = result.mode === 'fetch' ? result.response : fromHandlerResult(result.value);
      checkHttpResponse(http, this.deps.responseLimitBytes);
      return { http };
    }
    return { value: result.mode === 'handler' ? result.value : responseToValue(result.response) };
  }
}

/** The same error with its message, the function's error message and stack redacted. */
function redactedError(error: NimbusError, redact: Redactor): NimbusError {
  const extra: Record<string, unknown> = { ...error.extra };
  for (const key of ['errorMessage', 'errorName', 'stack']) if (typeof extra[key] === 'string') extra[key] = redact(extra[key] as string);
  if ('cause' in extra) extra.cause = redactValue(extra.cause, redact);
  return new NimbusError(error.code, redact(error.message), { extra, retryAfterSeconds: error.retryAfterSeconds });
}

const EMPTY = new Uint8Array(0);

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
