/**
 * One instance of a `node` function: a generic Node process (worker.mjs, pre-started by
 * node-runtime.ts) specialised with the function's bundle, called over its IPC channel.
 * A call past its deadline stops the process (a loop would block every other call on it);
 * its exit is its death (crash, or the memory limit when the kernel OOM-killed in its cgroup).
 * A fetch answered with a WebSocket (101) is a call until its socket closes (node-sockets.ts):
 * its deadline bounds the socket's life, and its CPU limit applies to each client message.
 * So it does to each message of an outbound WebSocket a call opened, while the call's own
 * CPU is not being counted (after its answer: in its waitUntil work or its socket's life).
 * A call is over once it answered and its waitUntil work is done (or its socket closed):
 * the outbound WebSockets it opened are closed then (1001). Its waitUntil work must be done
 * by its deadline too: work still running then stops the process, as a call past it does.
 */
import type { ChildProcess } from 'node:child_process';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import type { LogLevel, ModuleExports } from '../../core/types.ts';
import type { HttpRequestData, HttpResponseData, Instance, InstanceCall, InstanceDeath, InstanceResult, InstanceSpec, InstanceStats, StreamEnd } from '../port.ts';
import { removeWhenEmpty, type InstanceCgroup } from './instance-cgroup.ts';
import { InvocationCpu } from './invocation-cpu.ts';
import { ProcessTreeMeter } from './proc-usage.ts';
import { killGroup } from './signal.ts';
import type { AddonFile } from './node-pack.ts';
import type { HostSocket } from '../host-sockets.ts';
import { isSocketMessage, NodeSockets, WS_SEND_WINDOW, type SocketFromWorker } from './node-sockets.ts';

/** How often the CPU of a process with calls in flight is read (as isolates sample theirs). */
export const CPU_SAMPLE_MS = 10;

/** A started generic process, not yet given a function. */
export interface SpareProcess {
  readonly child: ChildProcess;
  readonly spawnedAt: number;
  /** Resolves when the worker said it is ready; rejects if it died first. */
  readonly ready: Promise<void>;
  /** Its cgroup, joined at spawn with a generous limit; the function's limit is set when it is specialised. */
  readonly cgroup: InstanceCgroup | null;
}

type WorkerError = { name: string; message: string; stack: string };
type FromWorker =
  | { t: 'ready' }
  | { t: 'log'; id: string; level: LogLevel; msg: string }
  | { t: 'loaded'; exports: ModuleExports }
  | { t: 'load-error'; error: WorkerError }
  | { t: 'result'; id: number; mode: 'fetch'; response: HttpResponseData; background: boolean; socket?: number }
  | { t: 'result'; id: number; mode: 'handler'; value: unknown; background: boolean }
  | { t: 'error'; id: number; error: WorkerError; badResponse: boolean }
  | { t: 'background-done'; id: number }
  | { t: 'fetch'; id: number; invocationId: string; request: HttpRequestData }
  | SocketFromWorker;

interface Pending {
  readonly invocationId: string;
  resolve(r: InstanceResult): void;
  reject(e: unknown): void;
  timer: TimerHandle;
  /** Once it answered with a WebSocket: the socket, and how its life ends (the call is over then). */
  socket?: HostSocket;
  endSocket?: (end: StreamEnd) => void;
  /** Its waitUntil work, when it left some (given with the socket's end). */
  background?: Promise<void>;
}

export class NodeInstance implements Instance {
  readonly id: string;
  initMs = 0;
  exports: ModuleExports = { fetch: false, handler: false };
  private death: InstanceDeath | null = null;
  private exitText = '';
  private readonly pending = new Map<number, Pending>();
  /** Calls answered whose waitUntil work is not done: how to settle it, and the call's deadline, still running. */
  private readonly backgrounds = new Map<number, { readonly invocationId: string; readonly done: () => void; timer: TimerHandle | null }>();
  /** Calls not over yet (in flight, or in their waitUntil work): their invocation id, by call. */
  private readonly live = new Map<number, string>();
  private nextId = 1;
  private readonly exited: Promise<void>;
  private exitedNow = false;
  /** The call that caused the death by a limit (it gets the limit's error, the others in flight INSTANCE_CRASHED), when known. */
  private culprit: number | null = null;
  private readonly cpu: InvocationCpu;
  private readonly meter: ProcessTreeMeter;
  private readonly sockets: NodeSockets;

  constructor(
    private readonly clock: Clock,
    private readonly spec: InstanceSpec,
    private readonly spare: SpareProcess,
    private readonly cgroup: InstanceCgroup | null,
  ) {
    this.id = spec.instanceId;
    const child = spare.child;
    this.meter = new ProcessTreeMeter(child.pid ?? 0, () => clock.monotonic());
    this.cpu = new InvocationCpu(clock, CPU_SAMPLE_MS, () => this.cpuMs(), spec.config.cpuLimitMs, (id) => this.stop('cpu_limit', id));
    this.sockets = new NodeSockets({
      send: (message) => this.tell(message),
      // a socket's CPU limit applies afresh to each message's listeners, unless the call's own CPU counts (before its answer)
      busy: (id) => this.listenersBusy(id, 1),
      handled: (id, more) => this.listenersBusy(id, more),
      over: (id) => this.socketOver(id),
      callOf: (invocationId) => this.callOf(invocationId),
      connect: spec.connectWebSocket,
    });
    this.exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', (code, signal) => (this.onExit(code, signal), resolve())));
    child.on('message', (raw: unknown) => {
      const m = fromWorker(raw);
      if (m !== null) this.onMessage(m);
      else this.malformed(raw);
    });
  }

  get pid(): number {
    return this.spare.child.pid!;
  }

  /**
   * Evaluates the bundle in the process; rejects with FUNCTION_INIT (the error, its name and
   * line) if its top level throws. `packages`: the directory (as the process sees it) its
   * `require` resolves packages from, and the Node addons there, loaded first (an addon
   * built for another Node fails here, naming its package).
   */
  load(code: string, env: Readonly<Record<string, string>>, packages: { readonly dir: string; readonly addons: readonly AddonFile[] } | null = null): Promise<ModuleExports> {
    const t0 = this.clock.monotonic();
    return new Promise<ModuleExports>((resolve, reject) => {
      const onMessage = (raw: unknown) => {
        const m = fromWorker(raw);
        if (m === null) return;
        if (m.t === 'loaded') {
          done();
          this.exports = m.exports;
          this.initMs = Math.round((this.clock.monotonic() - t0) * 1000) / 1000;
          resolve(m.exports);
        } else if (m.t === 'load-error') {
          done();
          // The first frame in the bundle: "at <name>.js:line:column".
          const line = new RegExp(`${this.spec.functionName.replace(/[^A-Za-z0-9_]/g, '\\$&')}\\.js:(\\d+):(\\d+)`).exec(m.error.stack);
          reject(
            new NimbusError('NIMBUS_ERR_FUNCTION_INIT', `${m.error.name}: ${m.error.message}`, {
              extra: { errorName: m.error.name, errorMessage: m.error.message, stack: m.error.stack, ...(line ? { line: Number(line[1]), column: Number(line[2]) } : {}) },
            }),
          );
        }
      };
      const onExit = () => (done(), reject(new NimbusError('NIMBUS_ERR_FUNCTION_INIT', `the Node process exited while loading the function (${this.exitText})`)));
      const done = () => {
        this.spare.child.off('message', onMessage);
        this.spare.child.off('exit', onExit);
      };
      this.spare.child.on('message', onMessage);
      this.spare.child.once('exit', onExit);
      this.spare.child.send({ t: 'load', code, env, name: this.spec.functionName, packages, wsSendWindow: WS_SEND_WINDOW });
    });
  }

  invoke(call: InstanceCall): Promise<InstanceResult> {
    if (this.death) return Promise.reject(this.deathError());
    const mode = call.mode;
    if ((mode === 'fetch' && !this.exports.fetch) || (mode === 'handler' && !this.exports.handler)) {
      return Promise.reject(new NimbusError('NIMBUS_ERR_INVALID_FUNCTION', `${this.spec.functionName} does not export ${mode === 'fetch' ? 'a default object with fetch()' : 'handler()'}`));
    }
    const remaining = call.meta.deadline - this.clock.now();
    if (remaining <= 0) return Promise.reject(new NimbusError('NIMBUS_ERR_TIMEOUT', `${this.spec.functionName}: the deadline had passed before the call began`));
    const id = this.nextId++;
    return new Promise<InstanceResult>((resolve, reject) => {
      // A call that does not end may be a loop that blocks the process: the instance goes.
      const timer = this.clock.setTimer(remaining, () => this.stop('timeout', id));
      this.pending.set(id, { invocationId: call.meta.invocationId, resolve, reject, timer });
      this.live.set(id, call.meta.invocationId);
      this.cpu.begin(id);
      const { meta } = call;
      const message = { t: 'call', id, mode, meta: { invocationId: meta.invocationId, functionName: meta.functionName, version: meta.version, deadline: meta.deadline, attempt: meta.attempt, memoryMb: meta.memoryMb } };
      this.spare.child.send(call.mode === 'fetch' ? { ...message, request: call.request } : { ...message, event: call.event }, (error) => {
        if (error && this.pending.delete(id)) {
          this.callOver(id);
          timer.cancel();
          this.cpu.end(id);
          reject(new NimbusError('NIMBUS_ERR_BAD_REQUEST', `the event cannot be sent to the function: ${error.message}`));
        }
      });
    });
  }

  /**
   * A message of a shape the worker never sends: the function's own code wrote it
   * (process.send). Dropped; one that names a call in flight fails that call.
   */
  private malformed(raw: unknown): void {
    const m = raw as { t?: unknown; id?: unknown } | null;
    if (m === null || typeof m !== 'object' || (m.t !== 'result' && m.t !== 'error') || typeof m.id !== 'number' || !this.pending.has(m.id)) return;
    this.onMessage({ t: 'error', id: m.id, error: { name: 'TypeError', message: 'the process sent a malformed answer', stack: '' }, badResponse: true });
  }

  private onMessage(m: FromWorker): void {
    if (m.t === 'log') {
      // only into the log of one of this instance's calls not over yet (or none: '', the module's top level)
      if (m.id === '' || this.callOf(m.id) !== null) this.spec.onLog(m.id, m.level, m.msg);
      return;
    }
    if (m.t === 'fetch') return void this.outboundFetch(m);
    if (isSocketMessage(m)) return this.sockets.onMessage(m);
    if (m.t === 'background-done') {
      const b = this.backgrounds.get(m.id);
      b?.timer?.cancel();
      b?.done();
      this.backgrounds.delete(m.id);
      // a call whose socket is still open is not over
      if (!this.pending.has(m.id)) this.callOver(m.id);
      return;
    }
    if (m.t !== 'result' && m.t !== 'error') return;
    const p = this.pending.get(m.id);
    // a call whose socket is open has answered already
    if (!p || p.endSocket !== undefined) return;
    // Its CPU up to its answer counts: past the limit, it fails with CPU_LIMIT as the process stops.
    this.cpu.end(m.id);
    if (this.culprit === m.id) return;
    if (m.t === 'result' && m.mode === 'fetch' && m.socket !== undefined) return this.socketAnswer(m.id, p, m.response, m.socket, m.background);
    this.pending.delete(m.id);
    // waitUntil work must end by the call's deadline too: its timer goes on until the work is done
    if (m.t === 'error' || !m.background) p.timer.cancel();
    if (m.t === 'error' || !m.background) this.callOver(m.id);
    if (m.t === 'error') {
      const { name, message, stack } = m.error;
      p.reject(
        m.badResponse
          ? new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `${this.spec.functionName}: ${message}`)
          : new NimbusError('NIMBUS_ERR_FUNCTION_ERROR', `${name}: ${message}`, { extra: { errorName: name, errorMessage: message, stack } }),
      );
      return;
    }
    const background = m.background ? new Promise<void>((resolve) => this.backgrounds.set(m.id, { invocationId: p.invocationId, done: resolve, timer: p.timer })) : undefined;
    const result = m.mode === 'fetch' ? { mode: 'fetch' as const, response: m.response } : { mode: 'handler' as const, value: m.value };
    p.resolve(background ? { ...result, background } : result);
    // messages of its outbound sockets still waiting to be handled are limited from now
    if (background) this.listenersBusy(m.id, this.sockets.busyOf(m.id));
  }

  /**
   * The call answered with a WebSocket: it resolves with the 101 and stays pending (its
   * deadline running) until the socket is over.
   */
  private socketAnswer(id: number, p: Pending, head: HttpResponseData, socketId: number, background: boolean): void {
    const socket = head.status === 101 ? this.sockets.open(id, socketId) : null;
    if (socket === null) {
      this.pending.delete(id);
      this.callOver(id);
      p.timer.cancel();
      p.reject(new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `${this.spec.functionName}: the WebSocket response is unusable`));
      return;
    }
    p.socket = socket;
    if (background) p.background = new Promise<void>((resolve) => this.backgrounds.set(id, { invocationId: p.invocationId, done: resolve, timer: null }));
    const streamEnd = new Promise<StreamEnd>((resolve) => (p.endSocket = resolve));
    const response: HttpResponseData = { status: 101, statusText: head.statusText, headers: head.headers, body: new Uint8Array(0), webSocket: socket };
    p.resolve({ mode: 'fetch', response, streamEnd });
    this.listenersBusy(id, this.sockets.busyOf(id));
  }

  /** Its socket closed (either side): the call is over. */
  private socketOver(id: number): void {
    const p = this.pending.get(id);
    if (p?.endSocket === undefined) return;
    this.pending.delete(id);
    this.callOver(id);
    // its waitUntil work, if not done, keeps the deadline
    const b = this.backgrounds.get(id);
    if (b !== undefined) b.timer = p.timer;
    else p.timer.cancel();
    this.cpu.end(id);
    p.endSocket(p.background === undefined ? { error: null } : { error: null, background: p.background });
  }

  /**
   * Listeners of call `id`'s sockets have `waiting` messages (or a close) to run: the CPU
   * limit counts afresh for the next (none: it stops counting). Not while the call has yet to
   * answer (its own count goes on), nor once it is over.
   */
  private listenersBusy(id: number, waiting: number): void {
    const p = this.pending.get(id);
    if (p !== undefined && p.endSocket === undefined) return;
    if (waiting > 0 && this.live.has(id)) this.cpu.begin(id);
    else this.cpu.end(id);
  }

  /** The call not over yet that runs invocation `invocationId` (one the process names), or null. */
  private callOf(invocationId: unknown): number | null {
    if (typeof invocationId !== 'string' || invocationId === '') return null;
    for (const [id, inv] of this.live) if (inv === invocationId) return id;
    return null;
  }

  /** Call `id` is over: the outbound WebSockets it opened are closed (1001). */
  private callOver(id: number): void {
    if (this.live.delete(id)) this.sockets.closeOf(id);
  }

  private tell(message: object): void {
    if (this.spare.child.connected) this.spare.child.send(message, () => {});
  }

  /**
   * The function's `fetch`, made by the platform (spec.fetch: the egress rules). What the
   * process sends is not trusted: a malformed request is refused, and an invocation id
   * that is not one of its calls in flight counts as none.
   */
  private async outboundFetch(m: { id: number; invocationId: string; request: HttpRequestData }): Promise<void> {
    const reply = (message: object) => this.tell(message);
    try {
      const request = wellFormed(m.request);
      const ours = [...this.pending.values()].some((p) => p.invocationId === m.invocationId);
      const answer = await this.spec.fetch(request, ours ? m.invocationId : '');
      let body = answer.body;
      if (answer.stream) {
        const chunks: Uint8Array[] = [];
        for (let c = await answer.stream.read(); c !== null; c = await answer.stream.read()) chunks.push(c);
        body = Buffer.concat(chunks);
      }
      reply({ t: 'fetched', id: m.id, response: { status: answer.status, statusText: answer.statusText, headers: answer.headers.map(([k, v]) => [k, v]), body } });
    } catch (error) {
      reply({ t: 'fetch-failed', id: m.id, error: { message: (error as Error).message, code: (error as { code?: string }).code ?? '' } });
    }
  }

  /**
   * Stops the process for a limit `id` passed (the first reason stays). A socket open at its
   * call's deadline is closed instead (1011), its call failing with TIMEOUT: the process is
   * not stuck (a listener that loops is stopped by the CPU limit) and serves on, unless
   * the call's waitUntil work is still running: that stops the process (an error line in
   * the invocation's log), as isolates stop theirs.
   */
  private stop(reason: 'timeout' | 'cpu_limit', id: number): void {
    if (this.death !== null) return;
    const p = this.pending.get(id);
    const background = this.backgrounds.get(id);
    // waitUntil work still running at the deadline: the process is stopped, as isolates stop theirs
    if (reason === 'timeout' && background !== undefined) this.spec.onLog(background.invocationId, 'error', 'waitUntil work was still running at the deadline; the instance was stopped');
    // answered already (no error can reach it): its log says why its instance went
    const answered = p === undefined ? (this.live.get(id) ?? background?.invocationId) : undefined;
    if (reason === 'cpu_limit' && answered !== undefined) this.spec.onLog(answered, 'error', `a WebSocket listener went over the CPU limit (${this.spec.config.cpuLimitMs} ms); the instance was stopped`);
    if (reason === 'timeout' && background === undefined && p?.socket !== undefined && p.endSocket !== undefined) {
      this.pending.delete(id);
      this.callOver(id);
      this.cpu.end(id);
      p.endSocket({ error: new NimbusError('NIMBUS_ERR_TIMEOUT', `${this.spec.functionName}: the WebSocket was open at the end of the ${this.spec.config.timeoutMs} ms timeout`), ...(p.background === undefined ? {} : { background: p.background }) });
      p.socket.closeClient(1011, 'the invocation timed out');
      p.socket.close(1011, 'the invocation timed out');
      return;
    }
    this.death = reason;
    this.culprit = id;
    killGroup(this.pid);
  }

  private deathError(): NimbusError {
    if (this.death === 'memory_limit') return new NimbusError('NIMBUS_ERR_MEMORY_LIMIT', `${this.spec.functionName}: the Node process went over its ${this.spec.config.memoryMb} MB memory limit and was killed`);
    if (this.death === 'cpu_limit') return new NimbusError('NIMBUS_ERR_CPU_LIMIT', `${this.spec.functionName}: the call used more than its CPU limit (${this.spec.config.cpuLimitMs} ms); the instance was stopped`, { extra: { cpuLimitMs: this.spec.config.cpuLimitMs } });
    if (this.death === 'timeout') return new NimbusError('NIMBUS_ERR_TIMEOUT', `${this.spec.functionName}: no answer within ${this.spec.config.timeoutMs} ms; the instance was stopped`);
    return new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', `${this.spec.functionName}: the Node process stopped (${this.exitText || 'disposed'})`);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exitedNow = true;
    this.exitText = signal ? `killed by ${signal}` : `exit code ${code}`;
    const wasAlive = this.death === null;
    if (wasAlive) this.death = this.cgroup?.oomKilled() ? 'memory_limit' : 'crashed';
    this.cpu.stop();
    // An OOM kill with one call in flight is that call's; with several, which one allocated is not known: all get MEMORY_LIMIT.
    if (this.death === 'memory_limit' && this.pending.size === 1) this.culprit = [...this.pending.keys()][0];
    const error = this.deathError();
    const crashed = new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', `${this.spec.functionName}: the Node process was stopped for another call (${this.death}); retry`, { extra: { death: this.death } });
    for (const [id, p] of this.pending) {
      p.timer.cancel();
      const failure = this.culprit === null || this.culprit === id ? error : crashed;
      if (p.endSocket !== undefined) p.endSocket({ error: failure });
      else p.reject(failure);
    }
    this.pending.clear();
    this.live.clear();
    this.sockets.closeAll(1011, `the function's instance stopped (${this.death})`);
    for (const b of this.backgrounds.values()) {
      b.timer?.cancel();
      b.done();
    }
    this.backgrounds.clear();
    killGroup(this.pid);
    removeWhenEmpty(this.cgroup, this.clock);
    if (wasAlive || this.culprit !== null) this.spec.onDeath?.(this.death!);
  }

  deathReason(): InstanceDeath | null {
    return this.death;
  }

  /** From /proc on the host (proc-usage.ts): the resident bytes and CPU of the process and what it started. */
  stats(): InstanceStats {
    const u = this.usage();
    return { heapUsedBytes: u.rssBytes, cpuMs: u.cpuMs };
  }

  cpuMs(): number {
    return this.usage().cpuMs;
  }

  /** The last reading stays once the process is gone (its /proc entry with it). */
  private lastUsage = { cpuMs: 0, rssBytes: 0 };
  private usage(): { cpuMs: number; rssBytes: number } {
    if (this.exitedNow) return { cpuMs: this.lastUsage.cpuMs, rssBytes: 0 };
    const u = this.meter.read();
    if (u.cpuMs >= this.lastUsage.cpuMs) this.lastUsage = u;
    return this.lastUsage;
  }

  dispose(): void {
    if (this.exitedNow) return;
    this.death ??= 'disposed';
    killGroup(this.pid);
  }

  whenExited(): Promise<void> {
    return this.exited;
  }
}

/** A request as the worker must send it; anything else is refused before the platform acts on it. */
function wellFormed(r: unknown): HttpRequestData {
  const q = r as Partial<HttpRequestData> | null;
  const ok =
    q !== null && typeof q === 'object' && typeof q.method === 'string' && typeof q.url === 'string' &&
    Array.isArray(q.headers) && q.headers.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string') &&
    (q.body === null || q.body instanceof Uint8Array);
  if (!ok) throw new NimbusError('NIMBUS_ERR_BAD_REQUEST', 'fetch: a malformed request');
  return { method: q.method!, url: q.url!, headers: q.headers!, body: q.body ?? null };
}

const LEVELS: ReadonlySet<unknown> = new Set<LogLevel>(['debug', 'info', 'warn', 'error']);
const isId = (v: unknown): v is number => Number.isSafeInteger(v);
const isError = (e: unknown): e is WorkerError =>
  e !== null && typeof e === 'object' && typeof (e as WorkerError).name === 'string' && typeof (e as WorkerError).message === 'string' && typeof (e as WorkerError).stack === 'string';
const isHeaders = (h: unknown): boolean => Array.isArray(h) && h.every((p) => Array.isArray(p) && p.length === 2 && typeof p[0] === 'string' && typeof p[1] === 'string');
const isResponse = (r: unknown, socket: unknown): boolean => {
  const q = r as HttpResponseData | null;
  return (
    q !== null && typeof q === 'object' && Number.isInteger(q.status) && (socket === undefined ? q.status >= 200 && q.status <= 599 : isId(socket)) &&
    typeof q.statusText === 'string' && isHeaders(q.headers) && q.body instanceof Uint8Array
  );
};

/**
 * A message from the worker as worker.mjs sends it, or null. The channel is the function's
 * too (process.send, or raw bytes on its descriptor), so nothing in it is trusted: a field of
 * the wrong type would otherwise throw in the platform's own message handler (an uncaught
 * exception of the whole platform) or slip past a limit (a log line that is not a string).
 * A handler's value is made JSON here (the worker checks that too, but a forged one may hold
 * a BigInt or a cycle, which the platform could not write).
 */
export function fromWorker(raw: unknown): FromWorker | null {
  if (raw === null || typeof raw !== 'object') return null;
  const m = raw as Record<string, unknown>;
  switch (m.t) {
    case 'ready':
      return m as FromWorker;
    case 'log':
      return typeof m.id === 'string' && LEVELS.has(m.level) && typeof m.msg === 'string' ? (m as FromWorker) : null;
    case 'loaded': {
      const e = m.exports as ModuleExports | null;
      return e !== null && typeof e === 'object' && typeof e.fetch === 'boolean' && typeof e.handler === 'boolean' ? { t: 'loaded', exports: { fetch: e.fetch, handler: e.handler } } : null;
    }
    case 'load-error':
      return isError(m.error) ? (m as FromWorker) : null;
    case 'error':
      return isId(m.id) && isError(m.error) && typeof m.badResponse === 'boolean' ? (m as FromWorker) : null;
    case 'background-done':
      return isId(m.id) ? (m as FromWorker) : null;
    case 'fetch':
      return isId(m.id) && typeof m.invocationId === 'string' ? (m as FromWorker) : null;
    case 'result': {
      if (!isId(m.id) || typeof m.background !== 'boolean') return null;
      if (m.mode === 'fetch') return isResponse(m.response, m.socket) ? (m as FromWorker) : null;
      if (m.mode !== 'handler') return null;
      if (m.value === undefined) return m as FromWorker;
      try {
        return { t: 'result', id: m.id, mode: 'handler', value: JSON.parse(JSON.stringify(m.value)), background: m.background };
      } catch {
        return null;
      }
    }
    default:
      return isSocketMessage(m as { t: string }) && typeof m.id === 'number' ? (m as FromWorker) : null;
  }
}
