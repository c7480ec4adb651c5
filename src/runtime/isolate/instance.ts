/**
 * One function instance = one isolate. Invocations are sent with apply, never waited on
 * (the host never blocks on the isolate's thread): its promise only says that the entry's
 * task ended, and with what unhandled rejection. Results, logs, timers and host calls come
 * back on the shim's `send` channel. Limits: a deadline timer per invocation (dispose on expiry),
 * the shared CPU watchdog, and V8's heap limit (noticed when the isolate goes away).
 */
import type ivm from 'isolated-vm';
import { MAX_TIMER_MS, type Clock, type TimerHandle } from '../../core/clock.ts';
import type { Deadline, Deadlines } from '../../core/deadlines.ts';
import { NimbusError, isNimbusError } from '../../core/errors.ts';
import type { LogLevel, ModuleExports } from '../../core/types.ts';
import type {
  UnhandledRejection,
  ByteStream,
  HttpResponseData,
  Instance,
  InstanceCall,
  InstanceDeath,
  InstanceResult,
  InstanceSpec,
  InstanceStats,
  InvocationMeta,
  StreamEnd,
} from '../port.ts';
import { bundleFileName } from '../port.ts';
import type { CodeCache } from './code-cache.ts';
import { KeyStore } from './crypto-host.ts';
import { hostCall, message } from './host-ops.ts';
import { StreamTable, type FromIsolate } from './host-streams.ts';
import { SocketTable, type HostSocket } from '../host-sockets.ts';
import { MAX_OUTBOUND_WEBSOCKETS, openOutbound } from '../outbound-sockets.ts';
import { ZlibStore } from './zlib-host.ts';
import { deadError, describeRejection, initError, limitError, rejectionLine } from './instance-errors.ts';
import { delivered, discard, type Prepared } from './prepare.ts';
import {
  IN_ABORT,
  IN_FETCH,
  IN_CANCEL,
  IN_DATA,
  IN_HANDLER,
  IN_HANDLER_JSON,
  IN_PULL,
  IN_REPLY,
  IN_SETUP,
  IN_NODE_SOCKET,
  IN_TIMER,
  IN_WS_CLOSE,
  IN_WS_TAKEN,
  IN_WS_MESSAGE,
  LEVELS,
  OUT_BG_DONE,
  OUT_CALL,
  OUT_CHUNK,
  OUT_DONE,
  OUT_END,
  OUT_LOG,
  OUT_MEMORY,
  OUT_RCANCEL,
  OUT_READ,
  OUT_TIMER_CLEAR,
  OUT_TIMER_SET,
  OUT_WS_ACK,
  OUT_WS_CLOSE,
  OUT_WS_SEND,
  OP_KEY_FREE,
  OP_WS_CONNECT,
  OP_ZLIB_FREE,
  R_BAD,
  R_ERROR,
  R_INVALID,
  R_RESPONSE,
  R_SOCKET,
  R_STREAM,
  R_VALUE,
  SAB_CURRENT,
  WS_TAKEN_BATCH,
} from './protocol.ts';
import { BackgroundCpu } from './background-cpu.ts';
import { Entries } from './entries.ts';
import type { Watchdog, Watched } from './watchdog.ts';
import { bodyBytes, exactArrayBuffer, joinHeaders, requestBody, splitHeaders, withoutShimFrames } from './wire.ts';
import { giveNodeEnv } from './node-env.ts';
import { parseJsonBounded } from '../../core/json-depth.ts';

export interface InstanceContext {
  readonly clock: Clock;
  readonly watchdog: Watchdog;
  /** Invocation deadlines, shared by every instance of the runtime (one timer for all). */
  readonly deadlines: Deadlines;
  readonly maxPayloadBytes: number;
  readonly maxTimers: number;
  /** CryptoKeys one instance may hold. */
  readonly maxCryptoKeys: number;
  readonly maxCryptoKeyBytes: number;
  readonly initTimeoutMs: number;
  /** Entries go in with apply, whose promise reports unhandled rejections (else applyIgnored, which drops them). */
  readonly reportRejections: boolean;
  readonly codeCache: CodeCache<ivm.ExternalCopy<ArrayBuffer>>;
  readonly onError: (message: string, error?: unknown) => void;
  readonly onGone: (instance: IsolateInstance) => void;
}


interface Pending {
  readonly seq: number;
  readonly meta: InvocationMeta;
  readonly resolve: (r: InstanceResult) => void;
  readonly reject: (e: NimbusError) => void;
  readonly deadline: Deadline;
  /** running → (streaming: its response's body is still being produced) → (background) → over. */
  phase: 'running' | 'streaming' | 'background';
  cpuMs: number;
  endBackground: (() => void) | null;
  /** While streaming: the response's stream and how to say that it ended. */
  stream: FromIsolate | null;
  endStream: ((end: StreamEnd) => void) | null;
  /** While its WebSocket is open (phase 'streaming'): the socket. */
  socket: HostSocket | null;
  /** The HTTP client went away before the answer: the invocation ends as NIMBUS_ERR_CLIENT_CLOSED. */
  clientGone: boolean;
  /** Its unhandled rejections being logged (null: none): it is not over until they are. */
  logging: Promise<void> | null;
}

interface HostTimer {
  readonly seq: number;
  readonly handle: TimerHandle;
}

const MAX_SEQ = 2 ** 31 - 1;

const EMPTY = new Uint8Array(0);
/** CompressionStreams and DecompressionStreams open at once in one instance. */
const MAX_ZLIB_STREAMS = 64;

/** What incoming streams an invocation left unread are cancelled with. */
const INVOCATION_OVER = new NimbusError('NIMBUS_ERR_BAD_REQUEST', 'the invocation is over');

function streamedTooLarge(limit: number): NimbusError {
  return new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `the streamed response body passed ${limit} bytes; the limit is ${limit}`, { extra: { limit } });
}

function streamedRequestTooLarge(limit: number): NimbusError {
  return new NimbusError('NIMBUS_ERR_UPSTREAM', `the streamed request body passed ${limit} bytes; the limit is ${limit}`, { extra: { limit } });
}

/** The function's response stream failed: "name\nmessage" from the shim. */
function streamError(text: string): NimbusError {
  const cut = text.indexOf('\n');
  const errorName = cut < 0 ? 'Error' : text.slice(0, cut);
  const errorMessage = cut < 0 ? text : text.slice(cut + 1);
  return new NimbusError('NIMBUS_ERR_FUNCTION_ERROR', `the response stream failed: ${errorName}: ${errorMessage}`, { extra: { errorName, errorMessage } });
}

/** A response head ("status\nstatusText\nheaders") with `body`, or why it is unusable. */
function responseHead(headIn: unknown, body: Uint8Array): HttpResponseData | string {
  const head = String(headIn);
  const i1 = head.indexOf('\n');
  const i2 = head.indexOf('\n', i1 + 1);
  const status = Number(head.slice(0, i1));
  if (i1 < 0 || i2 < 0 || !Number.isInteger(status) || status < 200 || status > 599) return `the response status ${head.slice(0, i1)} is not in 200–599`;
  return { status, statusText: head.slice(i1 + 1, i2), headers: splitHeaders(head.slice(i2 + 1)), body };
}

/** Not the shim's: #done's own kind for an answer that came after the client went away. */
const R_CLIENT_GONE = -1;

function clientClosed(): NimbusError {
  return new NimbusError('NIMBUS_ERR_CLIENT_CLOSED', 'the client closed the connection before the function answered');
}

/** Fields packed into one "\n"-joined string must not contain the separator. */
function oneLine(s: string): string {
  return s.includes('\n') ? s.replace(/[\r\n]/g, '') : s;
}

export class IsolateInstance implements Instance, Watched {
  readonly id: string;
  #initMs = 0;
  #exports: ModuleExports = { fetch: false, handler: false };
  readonly #p: Prepared;
  readonly #spec: InstanceSpec;
  readonly #cx: InstanceContext;
  readonly #inflight = new Map<number, Pending>();
  readonly #timers = new Map<number, HostTimer>();
  readonly #keys: KeyStore;
  readonly #streams: StreamTable;
  readonly #zlib: ZlibStore;
  readonly #sockets: SocketTable;
  /** Outbound WebSockets being opened (not in #sockets yet). */
  #outboundOpening = 0;
  readonly streamsBodies = true;
  #seq = 0;
  #death: InstanceDeath | null = null;
  #catastrophic = false;
  #watched = false;
  /** The isolate's reading (wall-clock while executing) at the last sample. */
  #rawAtSample = 0;
  /** CPU charged so far: each sample's reading bounded by the CPU really used (Watchdog). */
  #chargedMs = 0;
  readonly #background: BackgroundCpu;
  /** An invocation began or ended since the last sample: the sample's CPU is partly theirs. */
  #busyChanged = false;
  /**
   * The host woke the isolate (a timer, an answer to a call) with no invocation open, and it
   * has not been seen idle since: only then does its own code run outside invocations.
   */
  #wokenIdle = false;
  /** CPU of code no invocation owns while invocations are open, per uninterrupted run. */
  #unownedRunMs = 0;
  #heapBytes = 0;
  #heapRefreshing = false;
  #heapPending: Promise<void> | null = null;
  #lastKnownCpuMs = 0;
  #timerWarned = false;
  /** Entries into the isolate, batched while several come in one turn. */
  readonly #entries: Entries;
  /** The invocation that finished last: a rejection of its code reported after its answer names it. */
  #lastFinishedSeq = 0;
  #lastFinishedId = '';
  /** Invocations over but for their answer, which waits for their rejections to be logged. */
  readonly #answering = new Map<number, Pending>();

  constructor(prepared: Prepared, spec: InstanceSpec, cx: InstanceContext) {
    this.id = spec.instanceId;
    this.#p = prepared;
    this.#spec = spec;
    this.#cx = cx;
    this.#keys = new KeyStore(cx.maxCryptoKeys, cx.maxCryptoKeyBytes);
    this.#entries = new Entries({
      recv: prepared.recv,
      reportRejections: cx.reportRejections,
      rejected: (owner, reason) => this.#rejected(owner, reason),
      failed: (error) => this.#undeliverable(error),
    });
    this.#zlib = new ZlibStore(MAX_ZLIB_STREAMS, spec.config.memoryMb * 1024 * 1024);
    this.#streams = new StreamTable({
      pull: (id, n) => this.#deliver([IN_PULL, id, n], false),
      cancel: (id, reason) => this.#deliver([IN_CANCEL, id, reason], false),
      data: (id, chunk, error) =>
        chunk === null ? this.#deliver([IN_DATA, id, null, error], false) : this.#deliver([IN_DATA, id, exactArrayBuffer(chunk), null]),
    });
    this.#sockets = new SocketTable({
      message: (id, data) => this.#deliver([IN_WS_MESSAGE, id, typeof data === 'string' ? data : exactArrayBuffer(data)], typeof data !== 'string'),
      closed: (id, code, reason) => this.#deliver([IN_WS_CLOSE, id, code, reason], false),
      taken: (id, bytes) => this.#deliver([IN_WS_TAKEN, id, bytes], false),
    }, WS_TAKEN_BATCH);
    this.#background = new BackgroundCpu(spec.config.cpuLimitMs, spec.config.timeoutMs, (r) => spec.onBackground?.(r));
    prepared.port.onMessage = (kind, a, b, c, d, e, f, g) => this.#onMessage(kind, a, b, c, d, e, f, g);
    prepared.port.onCatastrophic = (msg) => {
      this.#catastrophic = true;
      cx.onError(`isolate of ${spec.functionName}@${spec.version} hit a catastrophic V8 error: ${msg}`);
      this.#kill('crashed');
    };
    void prepared.gone.then(() => {
      if (this.#death === null) this.#kill(this.#catastrophic ? 'crashed' : 'memory_limit');
    });
  }

  get initMs(): number {
    return this.#initMs;
  }

  get exports(): ModuleExports {
    return this.#exports;
  }

  /** Compiles and runs the bundle, then asks the shim what it exports. */
  async init(startedAt: number): Promise<void> {
    const { isolate, context, recv } = this.#p;
    const spec = this.#spec;
    const filename = bundleFileName(spec.functionName);
    const cached = this.#cx.codeCache.get(filename, spec.code);
    let script: ivm.Script;
    try {
      script = await isolate.compileScript(spec.code, {
        filename,
        ...(cached ? { cachedData: cached } : { produceCachedData: true }),
      });
    } catch (error) {
      throw this.#initError(error, filename);
    }
    const produced = script as typeof script & { cachedData?: ivm.ExternalCopy<ArrayBuffer>; cachedDataRejected?: boolean };
    if (cached === undefined && produced.cachedData) this.#cx.codeCache.set(filename, spec.code, produced.cachedData);
    else if (cached !== undefined && produced.cachedDataRejected) this.#cx.codeCache.delete(filename, spec.code);
    // Run the top level and set up right behind it: both tasks are queued together, so the
    // isolate's thread does them in one wake-up. If the top level fails, setup's answer
    // (no module) is ignored and the top level's error is reported.
    giveNodeEnv(context, spec.code, spec.config.env, {
      connect: spec.connect,
      lookup: spec.lookup,
      resolve: spec.resolve,
      usage: () => this.#inflight.get(Atomics.load(this.#p.current, SAB_CURRENT))?.meta.sockets ?? null,
      running: () => Atomics.load(this.#p.current, SAB_CURRENT),
      // An entry as timers' are: it wakes the CPU watchdog, and code it runs outside any
      // invocation is bounded as the instance's own (module-level timers').
      deliver: (id, event, data, owner) =>
        this.#deliver([IN_NODE_SOCKET, owner, id, event, data], data !== null && typeof data === 'object', this.#inflight.has(owner) ? owner : 0),
      charge: () => {
        const seq = Atomics.load(this.#p.current, SAB_CURRENT);
        return (ms) => this.#chargeHostWork(seq, ms);
      },
      gone: this.#p.gone,
    }, this.#p.layer?.bind);
    const ran = script.run(context, { timeout: this.#cx.initTimeoutMs });
    const setup = recv.apply(undefined, [IN_SETUP, { ...spec.config.env }, this.#cx.maxPayloadBytes], {
      arguments: { copy: true },
      result: { copy: true },
    });
    setup.catch(() => undefined);
    try {
      await ran;
    } catch (error) {
      // the shim may have reported wasm memory past the limit just before the throw
      await delivered();
      throw this.#initError(error, filename);
    } finally {
      script.release();
    }
    let res: unknown;
    try {
      res = await setup;
    } catch (error) {
      throw this.#initError(error, filename);
    }
    // console output of the top level reaches onLog before start() resolves
    await delivered();
    if (typeof res === 'string') throw new NimbusError('NIMBUS_ERR_INVALID_FUNCTION', res);
    const [fetch, handler] = res as [boolean, boolean];
    if (!fetch && !handler) {
      throw new NimbusError(
        'NIMBUS_ERR_INVALID_FUNCTION',
        'the module exports neither `default` with a fetch method nor a `handler` function: add `export default { fetch(request, env, ctx) {…} }` or `export async function handler(event, context) {…}`',
      );
    }
    this.#exports = { fetch, handler };
    this.#initMs = this.#cx.clock.monotonic() - startedAt;
    this.#refreshHeap();
  }

  #initError(error: unknown, filename: string): NimbusError {
    return initError(error, filename, this.#death, this.#spec.config, this.#cx.initTimeoutMs, this.#spec.code);
  }

  invoke(call: InstanceCall): Promise<InstanceResult> {
    if (this.#death !== null) return Promise.reject(this.#deadError());
    const meta = call.meta;
    if (call.mode === 'fetch' ? !this.#exports.fetch : !this.#exports.handler) {
      return Promise.reject(
        new NimbusError(
          'NIMBUS_ERR_INVALID_FUNCTION',
          call.mode === 'fetch'
            ? `${meta.functionName} has no default export with a fetch method: export default { fetch(request, env, ctx) {…} }`
            : `${meta.functionName} exports no handler function: export async function handler(event, context) {…}`,
        ),
      );
    }
    const remaining = meta.deadline - this.#cx.clock.now();
    if (remaining <= 0) {
      return Promise.reject(new NimbusError('NIMBUS_ERR_TIMEOUT', 'the deadline had passed before the invocation started'));
    }
    let args: unknown[];
    this.#seq = this.#seq >= MAX_SEQ ? 1 : this.#seq + 1;
    const seq = this.#seq;
    let streamId = 0;
    if (call.mode === 'fetch') {
      const r = call.request;
      if (r.stream !== undefined) streamId = this.#streams.openIncoming(r.stream, seq);
      if (r.body !== null && r.body.byteLength > this.#cx.maxPayloadBytes) {
        return Promise.reject(
          new NimbusError('NIMBUS_ERR_PAYLOAD_TOO_LARGE', `the request body has ${r.body.byteLength} bytes; the limit is ${this.#cx.maxPayloadBytes}`, {
            extra: { limit: this.#cx.maxPayloadBytes },
          }),
        );
      }
      const text = `${oneLine(meta.invocationId)}\n${oneLine(meta.functionName)}\n${oneLine(r.method)}\n${oneLine(r.url)}\n${joinHeaders(r.headers)}`;
      args = [IN_FETCH, seq, remaining, meta.attempt, meta.version, text, streamId !== 0 ? streamId : r.body === null ? null : requestBody(r.body)];
    } else if (call.eventJson !== undefined) {
      // text is parsed on the isolate's thread: no copy of the event made on this one
      args = [IN_HANDLER_JSON, seq, remaining, meta.attempt, meta.version, meta.memoryMb, `${oneLine(meta.invocationId)}\n${oneLine(meta.functionName)}\n${call.eventJson}`];
    } else {
      args = [IN_HANDLER, seq, meta.invocationId, remaining, meta.attempt, meta.functionName, meta.version, meta.memoryMb, call.event];
    }
    return new Promise<InstanceResult>((resolve, reject) => {
      const pending: Pending = {
        seq,
        meta,
        resolve,
        reject,
        // an invocation in flight keeps the process alive until it ends or times out
        deadline: this.#cx.deadlines.at(meta.deadline, () => this.#onDeadline(seq)),
        phase: 'running',
        cpuMs: 0,
        endBackground: null,
        stream: null,
        endStream: null,
        socket: null,
        clientGone: false,
        logging: null,
      };
      this.#inflight.set(seq, pending);
      this.#busyChanged = true;
      this.#wokenIdle = false;
      try {
        // primitives (a text body too) pass as they are; only bytes or an event need the (slower) copy
        const last = args[args.length - 1];
        this.#enter(args, last !== null && typeof last === 'object', seq);
      } catch (error) {
        this.#inflight.delete(seq);
        pending.deadline.cancel();
        if (streamId !== 0) this.#streams.closeOf(seq, new NimbusError('NIMBUS_ERR_BAD_REQUEST', 'the invocation did not start'));
        if (this.#p.isolate.isDisposed) {
          this.#kill(this.#catastrophic ? 'crashed' : 'memory_limit');
          reject(this.#deadError());
        } else {
          reject(new NimbusError('NIMBUS_ERR_BAD_REQUEST', `the event cannot be passed to the function: ${message(error)}`));
        }
        return;
      }
      this.#activate();
      if (call.mode === 'fetch' && call.clientGone !== undefined) void call.clientGone.then(() => this.#clientGone(pending));
    });
  }

  /**
   * The HTTP client closed its connection while the function had not answered: its
   * request.signal is aborted (the listeners run, and what they log is the invocation's),
   * then the invocation ends as NIMBUS_ERR_CLIENT_CLOSED, whatever the function answers.
   */
  #clientGone(p: Pending): void {
    if (this.#death !== null || p.phase !== 'running' || p.clientGone || this.#inflight.get(p.seq) !== p) return;
    p.clientGone = true;
    const end = () => {
      void delivered().then(() => {
        if (this.#inflight.get(p.seq) !== p || p.phase !== 'running') return;
        this.#finish(p.seq);
        p.reject(clientClosed());
      });
    };
    try {
      this.#enter([IN_ABORT, p.seq], false, p.seq);
      this.#entries.flush();
    } catch {
      return end();
    }
    // the abort listeners have run (and what they rejected is taken) once that entry has ended
    if (this.#cx.reportRejections) void this.#entries.last.then(end);
    else void this.#p.recv.apply(undefined, []).then(end, end);
  }

  deathReason(): InstanceDeath | null {
    return this.#death;
  }

  /**
   * CPU used since start: what the watchdog charged, plus the isolate's reading since its
   * last sample (not yet bounded: at most one sampling interval of wall-clock time).
   */
  cpuMs(): number {
    return this.#chargedMs + Math.max(0, this.#cpuNow() - this.#rawAtSample);
  }

  stats(): InstanceStats {
    this.#refreshHeap();
    return { heapUsedBytes: this.#heapBytes, cpuMs: this.cpuMs() };
  }

  dispose(): void {
    this.#kill('disposed');
  }

  /**
   * Resolves once the isolate is gone and isolated-vm has settled what the host still had
   * pending on it. Awaited by runtime.close(): those settlements must not be left for
   * process teardown (isolated-vm asserts if it meets them there).
   */
  settled(): Promise<void> {
    return Promise.all([this.#p.gone, this.#heapPending ?? Promise.resolve()]).then(() => undefined);
  }

  // ------------------------------------------------------------------ CPU

  #cpuNow(): number {
    if (this.#death !== null) return this.#lastKnownCpuMs;
    try {
      this.#lastKnownCpuMs = Number(this.#p.isolate.cpuTime) / 1e6;
    } catch {
      /* disposed under us */
    }
    return this.#lastKnownCpuMs;
  }

  #activate(): void {
    if (this.#watched || this.#death !== null) return;
    this.#watched = true;
    // What ran while nobody watched (module-level timers of an idle instance) is charged as read.
    const raw = this.#cpuNow();
    this.#chargedMs += Math.max(0, raw - this.#rawAtSample);
    this.#rawAtSample = raw;
    this.#cx.watchdog.watch(this);
  }

  cpuSample(): number {
    if (this.#death !== null) return 0;
    const raw = this.#cpuNow();
    const delta = Math.max(0, raw - this.#rawAtSample);
    this.#rawAtSample = raw;
    return delta;
  }

  charge(delta: number, raw: number): boolean {
    if (this.#death !== null) {
      this.#watched = false;
      return false;
    }
    this.#chargedMs += delta;
    const limit = this.#spec.config.cpuLimitMs;
    // The runtime's own work in the isolate after an invocation (the rest of its reply, a heap
    // read) is not the function's background work: that runs only when the host woke it idle.
    const idleThrough = this.#inflight.size === 0 && !this.#busyChanged && this.#wokenIdle;
    this.#busyChanged = false;
    // Still executing (even blocked, charged nothing): keep watching, or its time would be charged unbounded later (#activate).
    if (raw > 0) {
      const p = this.#inflight.get(Atomics.load(this.#p.current, SAB_CURRENT));
      if (p !== undefined) {
        this.#unownedRunMs = 0;
        p.cpuMs += delta;
        if (p.cpuMs > limit) {
          this.#kill('cpu_limit', p.seq);
          return false;
        }
      } else if (!idleThrough) {
        // Invocations were open during the sample, so its CPU is partly theirs (the platform's
        // meter shares it among them): not charged here, but a run of it is bounded.
        this.#unownedRunMs += delta;
        if (this.#unownedRunMs > limit) {
          this.#cx.onError(`${this.#spec.functionName}@${this.#spec.version}: code outside any invocation used over ${limit} ms of CPU; instance stopped`);
          this.#kill('cpu_limit');
          return false;
        }
      } else {
        // No invocation open for the whole sample: the instance's own code (module-level
        // timers), charged to it and bounded over a sliding span, so a light periodic timer
        // lives on while a heavy one, steady or in bursts, is stopped.
        this.#unownedRunMs = 0;
        if (!this.#background.add(delta, this.#cx.clock.now())) {
          this.#cx.onError(
            `${this.#spec.functionName}@${this.#spec.version}: code outside any invocation used over ${limit} ms of CPU in ${this.#spec.config.timeoutMs} ms; instance stopped`,
          );
          this.#kill('cpu_limit');
          return false;
        }
      }
      return true;
    }
    this.#unownedRunMs = 0;
    this.#wokenIdle = false;
    if (this.#inflight.size === 0) {
      this.#watched = false;
      return false;
    }
    return true;
  }

  #refreshHeap(): void {
    if (this.#heapRefreshing || this.#death !== null) return;
    this.#heapRefreshing = true;
    this.#heapPending = this.#p.isolate.getHeapStatistics().then(
      (h) => {
        this.#heapRefreshing = false;
        this.#heapBytes = h.used_heap_size + h.externally_allocated_size;
      },
      () => {
        this.#heapRefreshing = false;
      },
    );
  }

  // ------------------------------------------------------------------ messages from the shim

  #onMessage(kind: number, a: unknown, b: unknown, c: unknown, d: unknown, e: unknown, f: unknown, g: unknown): void {
    if (this.#death !== null) return;
    switch (kind) {
      case OUT_LOG:
        this.#log(String(a ?? ''), typeof b === 'number' ? (LEVELS[b] ?? 'info') : 'info', String(c ?? ''));
        return;
      case OUT_DONE:
        this.#done(a, b, c, d, e, f, g);
        return;
      case OUT_BG_DONE:
        this.#backgroundDone(a);
        return;
      case OUT_TIMER_SET:
        this.#timerSet(a, b, c);
        return;
      case OUT_TIMER_CLEAR:
        this.#timerClear(a);
        return;
      case OUT_CALL:
        this.#call(a, b, c, d, e, f, g);
        return;
      case OUT_CHUNK:
        this.#streams.chunk(a, b);
        return;
      case OUT_END:
        this.#streamEnd(a, b, c, d);
        return;
      case OUT_READ:
        if (this.#owns(Number(a))) this.#streams.read(Number(a), b);
        return;
      case OUT_RCANCEL:
        this.#streams.cancelIncoming(a, 'the function cancelled the body');
        return;
      case OUT_WS_SEND: {
        const s = this.#sockets.get(a);
        if (s === undefined) return;
        const data = typeof b === 'string' ? b : b instanceof ArrayBuffer ? new Uint8Array(b) : null;
        if (data === null) s.closeClient(1011, 'the function sent a message that is not text or bytes');
        else if (!s.fromFunction(data)) s.closeClient(1009, 'the function sent too much before the client was connected');
        return;
      }
      case OUT_WS_CLOSE:
        this.#sockets.get(a)?.closeClient(Number(b), String(c ?? ''));
        return;
      case OUT_WS_ACK: {
        const s = this.#sockets.get(a);
        if (s === undefined) return;
        s.ack();
        // a socket's CPU limit applies to each message's listeners, as to one request
        const p = this.#inflight.get(s.seq);
        if (p !== undefined && p.socket === s) p.cpuMs = 0;
        return;
      }
      case OUT_MEMORY: {
        // the shim counts wasm memory (V8's heap limit does not cover it)
        const seq = Number(a);
        this.#kill('memory_limit', this.#inflight.get(seq)?.phase === 'running' ? seq : undefined);
        return;
      }
    }
  }

  #log(invocationId: string, level: LogLevel, text: string): void {
    try {
      this.#spec.onLog(invocationId, level, text);
    } catch (error) {
      this.#cx.onError('onLog threw', error);
    }
  }

  #done(seqIn: unknown, kind: unknown, background: unknown, a: unknown, b: unknown, c: unknown, d: unknown): void {
    const seq = Number(seqIn);
    const p = this.#inflight.get(seq);
    if (p === undefined || p.phase !== 'running') return;
    let result: InstanceResult | null = null;
    let error: NimbusError | null = null;
    // the client went away: nobody is left to take the answer (a stream's is cancelled)
    if (p.clientGone) {
      if (kind === R_STREAM) this.#deliver([IN_CANCEL, Number(b), 'the client went away'], false);
      kind = R_CLIENT_GONE;
    }
    switch (kind) {
      case R_CLIENT_GONE:
        error = clientClosed();
        break;
      case R_STREAM: {
        const head = responseHead(a, EMPTY);
        const stream = typeof head === 'string' ? null : this.#streams.openOutgoing(Number(b), seq, this.#cx.maxPayloadBytes, streamedTooLarge);
        if (typeof head === 'string' || stream === null) {
          if (stream === null) this.#deliver([IN_CANCEL, Number(b), 'the response cannot be sent'], false);
          error = new NimbusError('NIMBUS_ERR_BAD_RESPONSE', typeof head === 'string' ? head : 'the response stream is unusable');
          break;
        }
        p.phase = 'streaming';
        p.stream = stream;
        const streamEnd = new Promise<StreamEnd>((resolve) => {
          p.endStream = resolve;
        });
        this.#whenSettled(p, () => p.resolve({ mode: 'fetch', response: { ...head, stream }, streamEnd }));
        return;
      }
      case R_SOCKET: {
        const head = String(a);
        const i1 = head.indexOf('\n');
        const i2 = head.indexOf('\n', i1 + 1);
        const socket = i1 < 0 || i2 < 0 ? null : this.#sockets.open(Number(b), seq, (s) => this.#socketOver(s));
        if (socket === null) {
          error = new NimbusError('NIMBUS_ERR_BAD_RESPONSE', 'the WebSocket response is unusable');
          break;
        }
        p.phase = 'streaming';
        p.socket = socket;
        const streamEnd = new Promise<StreamEnd>((resolve) => {
          p.endStream = resolve;
        });
        const response: HttpResponseData = { status: 101, statusText: head.slice(i1 + 1, i2), headers: splitHeaders(head.slice(i2 + 1)), body: EMPTY, webSocket: socket };
        this.#whenSettled(p, () => p.resolve({ mode: 'fetch', response, streamEnd }));
        return;
      }
      case R_RESPONSE: {
        const head = String(a);
        const i1 = head.indexOf('\n');
        const i2 = head.indexOf('\n', i1 + 1);
        const status = Number(head.slice(0, i1));
        const body = bodyBytes(b);
        if (i1 < 0 || i2 < 0 || !Number.isInteger(status) || status < 200 || status > 599) {
          error = new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `the response status ${head.slice(0, i1)} is not in 200–599`);
        } else if (body.byteLength > this.#cx.maxPayloadBytes) {
          error = new NimbusError(
            'NIMBUS_ERR_BAD_RESPONSE',
            `the response body has ${body.byteLength} bytes; the limit is ${this.#cx.maxPayloadBytes}`,
          );
        } else {
          result = { mode: 'fetch', response: { status, statusText: head.slice(i1 + 1, i2), headers: splitHeaders(head.slice(i2 + 1)), body } };
        }
        break;
      }
      case R_VALUE:
        try {
          result = { mode: 'handler', value: parseJsonBounded(String(a), 'the handler result', 'NIMBUS_ERR_BAD_RESPONSE') };
        } catch (e) {
          error = isNimbusError(e) && e.extra.maxDepth !== undefined ? e : new NimbusError('NIMBUS_ERR_BAD_RESPONSE', 'the handler result could not be read');
        }
        break;
      case R_ERROR: {
        const errorName = String(a ?? 'Error');
        const errorMessage = String(b ?? '');
        error = new NimbusError('NIMBUS_ERR_FUNCTION_ERROR', `${errorName}: ${errorMessage}`, {
          extra: { errorName, errorMessage, stack: withoutShimFrames(String(c ?? '')) },
        });
        break;
      }
      case R_INVALID:
        error = new NimbusError('NIMBUS_ERR_INVALID_FUNCTION', String(a ?? 'the module cannot serve this call'));
        break;
      default:
        error = new NimbusError('NIMBUS_ERR_BAD_RESPONSE', String(kind === R_BAD ? a : 'the function returned an unusable result'));
    }
    if (background === true) {
      p.phase = 'background';
      const done = new Promise<void>((resolve) => {
        p.endBackground = resolve;
      });
      if (result !== null) result = { ...result, background: done };
    } else this.#finish(seq);
    const answer = result;
    const failure = error as NimbusError;
    this.#whenSettled(p, () => (answer !== null ? p.resolve(answer) : p.reject(failure)));
  }

  /** OUT_END: an outgoing stream is over; when it is a response's, so is its invocation (but for waitUntil work). */
  #streamEnd(seqIn: unknown, idIn: unknown, errorIn: unknown, background: unknown): void {
    const seq = Number(seqIn);
    const shimError = typeof errorIn === 'string' ? streamError(errorIn) : null;
    this.#streams.end(idIn, shimError);
    const p = this.#inflight.get(seq);
    if (p === undefined || p.phase !== 'streaming' || p.stream === null || p.stream.id !== Number(idIn)) return;
    // a cancel from the host (client gone, limit) is the reason, whatever the shim then said
    const error = p.stream.error ?? shimError;
    const endStream = p.endStream;
    p.stream = null;
    p.endStream = null;
    if (background === true) {
      p.phase = 'background';
      const done = new Promise<void>((resolve) => {
        p.endBackground = resolve;
      });
      this.#whenSettled(p, () => endStream?.({ error, background: done }));
    } else {
      this.#finish(seq);
      this.#whenSettled(p, () => endStream?.({ error }));
    }
  }

  /** Its WebSocket closed: the invocation is over. */
  #socketOver(socket: HostSocket): void {
    const p = this.#inflight.get(socket.seq);
    if (p === undefined || p.socket !== socket) return;
    const endStream = p.endStream;
    p.socket = null;
    p.endStream = null;
    this.#finish(socket.seq);
    this.#whenSettled(p, () => endStream?.({ error: null }));
  }

  #backgroundDone(seqIn: unknown): void {
    const seq = Number(seqIn);
    const p = this.#inflight.get(seq);
    if (p === undefined || p.phase !== 'background') return;
    this.#finish(seq);
    this.#whenSettled(p, () => p.endBackground?.());
  }

  #finish(seq: number): void {
    const p = this.#inflight.get(seq);
    if (p === undefined) return;
    p.deadline.cancel();
    this.#inflight.delete(seq);
    this.#lastFinishedSeq = seq;
    this.#lastFinishedId = p.meta.invocationId;
    this.#busyChanged = true;
    this.#wokenIdle = false;
    this.#streams.closeOf(seq, INVOCATION_OVER);
    this.#sockets.closeOf(seq);
    for (const [id, t] of this.#timers) {
      if (t.seq === seq) {
        t.handle.cancel();
        this.#timers.delete(id);
      }
    }
  }

  #owns(seq: number): boolean {
    return seq === 0 || this.#inflight.has(seq);
  }

  #timerSet(seqIn: unknown, idIn: unknown, msIn: unknown): void {
    const seq = Number(seqIn);
    const id = Number(idIn);
    const ms = Math.max(0, Math.min(MAX_TIMER_MS, Number(msIn) || 0));
    if (!Number.isInteger(id) || !this.#owns(seq)) return;
    const old = this.#timers.get(id);
    if (old !== undefined) old.handle.cancel();
    else if (this.#timers.size >= this.#cx.maxTimers) {
      if (!this.#timerWarned) {
        this.#timerWarned = true;
        this.#log(this.#inflight.get(seq)?.meta.invocationId ?? '', 'error', `too many pending timers (limit ${this.#cx.maxTimers}); new ones are ignored`);
      }
      return;
    }
    const handle = this.#cx.clock.setTimer(ms, () => {
      if (this.#timers.get(id)?.handle !== handle) return;
      this.#timers.delete(id);
      this.#deliver([IN_TIMER, id], false, seq);
    });
    this.#timers.set(id, { seq, handle });
  }

  #timerClear(idIn: unknown): void {
    const id = Number(idIn);
    const t = this.#timers.get(id);
    if (t === undefined) return;
    t.handle.cancel();
    this.#timers.delete(id);
  }

  #call(seqIn: unknown, idIn: unknown, op: unknown, a: unknown, b: unknown, c: unknown, d: unknown): void {
    const seq = Number(seqIn);
    const id = Number(idIn);
    if (op === OP_KEY_FREE) {
      this.#keys.free(a);
      return;
    }
    if (op === OP_ZLIB_FREE) {
      this.#zlib.free(a);
      return;
    }
    if (!this.#owns(seq)) return;
    if (op === OP_WS_CONNECT) {
      this.#connectWebSocket(seq, id, a, b, c);
      return;
    }
    const reply = (ok: boolean, value: unknown) => {
      if (this.#death === null && this.#owns(seq)) this.#deliver([IN_REPLY, id, ok, value], true, seq);
      // a streamed answer nobody is left to read
      else if (ok && Array.isArray(value) && typeof value[5] === 'number' && value[5] !== 0) this.#streams.cancelIncoming(value[5], 'the invocation is over');
    };
    const openIncoming = (stream: ByteStream) => this.#streams.openIncoming(stream, seq);
    const openOutgoing = (streamId: number): ByteStream => {
      const s = this.#streams.openOutgoing(streamId, seq, this.#cx.maxPayloadBytes, streamedRequestTooLarge);
      if (s === null) throw new Error('the request body stream is unusable');
      return s;
    };
    hostCall(op, a, b, c, d, this.#spec.fetch, this.#inflight.get(seq)?.meta, this.#keys, openIncoming, openOutgoing, this.#zlib, (ms) => this.#chargeHostWork(seq, ms)).then(
      (value) => reply(true, value),
      (error: unknown) => reply(false, message(error)),
    );
  }

  /** OP_WS_CONNECT: an outbound WebSocket, relayed as an accepted one is (outbound-sockets.ts). */
  #connectWebSocket(seq: number, callId: number, idIn: unknown, url: unknown, protocols: unknown): void {
    const reply = (ok: boolean, value: unknown) => {
      if (this.#death === null && this.#owns(seq)) this.#deliver([IN_REPLY, callId, ok, value], false, seq);
    };
    const id = Number(idIn);
    if (!Number.isSafeInteger(id) || id <= 0 || this.#sockets.get(id) !== undefined) return reply(false, 'bad socket number');
    if (this.#outboundOpening + this.#sockets.outboundCount() >= MAX_OUTBOUND_WEBSOCKETS) {
      return reply(false, `too many outbound WebSockets: at most ${MAX_OUTBOUND_WEBSOCKETS} may be opening or open at once per instance`);
    }
    this.#outboundOpening++;
    const open = () => (this.#death === null && this.#owns(seq) && seq !== 0 ? this.#sockets.open(id, seq, () => undefined, true) : null);
    openOutbound(this.#spec.connectWebSocket, url, protocols, open).then(
      (protocol) => {
        this.#outboundOpening--;
        reply(true, protocol);
      },
      (error: unknown) => {
        this.#outboundOpening--;
        reply(false, message(error));
      },
    );
  }

  /** Host work done for an invocation (compression) is its CPU: charged, and bounded by its CPU limit. */
  #chargeHostWork(seq: number, ms: number): void {
    if (this.#death !== null || !(ms > 0)) return;
    this.#chargedMs += ms;
    const p = this.#inflight.get(seq);
    if (p === undefined) return;
    p.cpuMs += ms;
    if (p.cpuMs > this.#spec.config.cpuLimitMs) this.#kill('cpu_limit', seq);
  }

  /**
   * Sends one entry into the isolate, at once or gathered with others of this turn
   * (entries.ts). The task that runs it reports an unhandled rejection it left, which is then
   * logged for `owner` (an invocation's number; 0: whichever the shim last marked as running).
   */
  #enter(args: unknown[], copy: boolean, owner: number): void {
    this.#entries.send(args, copy, owner);
  }

  /** An unhandled rejection: logged for the invocation whose code it was, else for the instance. */
  #rejected(owner: number, reason: unknown): void {
    // the isolate went away under the task or before it (memory limit, dispose): not the function's rejection
    if (this.#p.isolate.isDisposed) return this.#undeliverable(reason);
    if (this.#death !== null) return;
    const seq = owner !== 0 ? owner : Atomics.load(this.#p.current, SAB_CURRENT);
    const p = this.#inflight.get(seq) ?? this.#answering.get(seq);
    const rejection = describeRejection(reason);
    const invocationId = p?.meta.invocationId ?? '';
    const after = p === undefined && seq === this.#lastFinishedSeq ? this.#lastFinishedId : undefined;
    let logged: Promise<void>;
    try {
      logged =
        this.#spec.onRejection !== undefined
          ? this.#spec.onRejection(invocationId, rejection, after)
          : Promise.resolve(this.#log(invocationId, 'error', rejectionLine(rejection, rejection.stack.split('\n').filter((line) => /^\s+at /.test(line)))));
    } catch (error) {
      logged = Promise.reject(error);
    }
    const safe = logged.catch((error: unknown) => this.#cx.onError('logging an unhandled rejection failed', error));
    if (p !== undefined) p.logging = p.logging === null ? safe : Promise.all([p.logging, safe]).then(() => undefined);
  }

  /**
   * Runs `end` (an invocation's answer or end) once the unhandled rejections already reported
   * for it are logged (mapping a stack reads the source map), so they are in its record. The
   * common case (none) runs it now. The answer does not wait for the end of the task that gave
   * it (that costs every request a turn of the event loop): a rejection reported after the
   * answer belongs to no running invocation, and is the instance's.
   */
  #whenSettled(p: Pending, end: () => void): void {
    if (p.logging === null) return end();
    this.#answering.set(p.seq, p);
    void (async () => {
      while (p.logging !== null) {
        const logging = p.logging;
        await logging;
        if (p.logging === logging) p.logging = null;
      }
      if (this.#answering.get(p.seq) === p) this.#answering.delete(p.seq);
      end();
    })();
  }

  #deliver(args: unknown[], copy = true, owner = 0): void {
    if (this.#death !== null) return;
    try {
      this.#enter(args, copy, owner);
    } catch (error) {
      this.#undeliverable(error);
      return;
    }
    if (this.#inflight.size === 0) this.#wokenIdle = true;
    this.#activate();
  }

  #undeliverable(error: unknown): void {
    if (this.#death !== null) return;
    if (this.#p.isolate.isDisposed) this.#kill(this.#catastrophic ? 'crashed' : 'memory_limit');
    else this.#cx.onError('could not deliver a message to an isolate', error);
  }

  // ------------------------------------------------------------------ death

  #onDeadline(seq: number): void {
    const p = this.#inflight.get(seq);
    if (p === undefined || this.#death !== null) return;
    if (p.phase === 'background') {
      this.#log(p.meta.invocationId, 'error', 'waitUntil work was still running at the deadline; the instance was stopped');
    }
    this.#kill('timeout', seq);
  }

  #deadError(): NimbusError {
    return deadError(this.#death);
  }

  #errorFor(reason: InstanceDeath, p: Pending): NimbusError {
    return limitError(reason, this.#spec.config, p.cpuMs);
  }

  #kill(reason: InstanceDeath, culprit?: number): void {
    if (this.#death !== null) return;
    this.#cpuNow();
    this.#background.flush();
    this.#death = reason;
    this.#entries.drop();
    discard(this.#p);
    for (const t of this.#timers.values()) t.handle.cancel();
    this.#timers.clear();
    this.#keys.clear();
    this.#zlib.clear();
    let blamed = culprit;
    if (reason === 'memory_limit' && blamed === undefined) {
      const current = Atomics.load(this.#p.current, SAB_CURRENT);
      if (this.#inflight.get(current)?.phase === 'running') blamed = current;
    }
    const errorOf = (p: Pending): NimbusError => {
      const own = blamed === undefined ? reason === 'memory_limit' : p.seq === blamed;
      return own
        ? this.#errorFor(reason, p)
        : new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', `the instance stopped (${reason}) while this invocation was running; retry`, {
            extra: { death: reason },
          });
    };
    for (const p of this.#inflight.values()) {
      p.deadline.cancel();
      if (p.phase === 'running') p.reject(errorOf(p));
      else if (p.phase === 'streaming') {
        const error = errorOf(p);
        p.stream?.fail(error);
        p.endStream?.({ error });
        p.endStream = null;
      } else p.endBackground?.();
    }
    this.#sockets.closeAll(1011, `the function's instance stopped (${reason})`);
    this.#streams.closeAll((seq) => {
      const p = this.#inflight.get(seq);
      return p === undefined ? deadError(reason) : errorOf(p);
    });
    this.#inflight.clear();
    this.#cx.watchdog.unwatch(this);
    this.#watched = false;
    this.#cx.onGone(this);
    if (reason !== 'disposed' && this.#spec.onDeath !== undefined) {
      const onDeath = this.#spec.onDeath;
      queueMicrotask(() => {
        try {
          onDeath(reason);
        } catch (error) {
          this.#cx.onError('onDeath threw', error);
        }
      });
    }
  }
}
