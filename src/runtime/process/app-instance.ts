/**
 * One instance of an `app`: a sandboxed child process serving HTTP on its own loopback
 * port: in its own network namespace where the host has them, reached through its
 * connector (connector-link.ts; its outbound HTTP through egress-proxy.ts), else on the
 * host's loopback. Calls are proxied over keep-alive connections (an undici Pool per instance);
 * stdout and stderr become log lines; its exit is its death (crash, or the memory limit
 * when the kernel OOM-killed in its cgroup). Retiring asks it to stop (SIGTERM) and kills
 * what is left after the grace period.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect, type Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Pool } from 'undici';
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { Deadlines } from '../../core/deadlines.ts';
import { NimbusError, isNimbusError } from '../../core/errors.ts';
import type { AppSettings } from '../../core/types.ts';
import type { HttpRequestData, Instance, InstanceCall, InstanceDeath, InstanceResult, InstanceSpec, InstanceStats } from '../port.ts';
import { chunksOf } from '../readable-bytes.ts';
import type { AfterTurn } from './after-turn.ts';
import type { AppCallLimits } from './app-call.ts';
import { InFlight } from './app-in-flight.ts';
import { materialiseApp } from './app-archive.ts';
import { AppSocket, isWebSocketUpgrade, type SocketHost } from './app-socket.ts';
import { ConnectorLink } from './connector-link.ts';
import { createEgressProxy, type EgressProxy } from './egress-proxy.ts';
import { createInstanceCgroup, removeWhenEmpty, type InstanceCgroup } from './instance-cgroup.ts';
import type { ProcessIsolation } from './isolation.ts';
import { launchPlan } from './launch.ts';
import { LineTail, splitLines } from './lines.ts';
import { freePort, portAnswers } from './port-probe.ts';
import { ProcessTreeMeter } from './proc-usage.ts';
import { guardChannel } from './channel-guard.ts';
import { killGroup, sendTerm } from './signal.ts';

/** connector.mjs's directory (beside this file in src/, beside the chunks in dist/). */
const CONNECTOR_DIR = fileURLToPath(new URL('./connector/', import.meta.url));
/** The connector's messages are a few dozen bytes. */
const CONNECTOR_MAX_MESSAGE_BYTES = 64 * 1024;
/** In its own network namespace every app can have the same ports. */
const NAMESPACE_APP_PORT = 8080;
const NAMESPACE_PROXY_PORT = 3128;

export interface AppInstanceDeps {
  readonly clock: Clock;
  readonly isolation: ProcessIsolation;
  /** Where apps' files are unpacked (outside the data directory). */
  readonly appsDir: string;
  readonly maxResponseBytes: number;
  readonly PoolClass: typeof Pool;
  /** Call deadlines, shared by the runtime's instances (one timer for all). */
  readonly deadlines: Deadlines;
  readonly afterTurn: AfterTurn;
}

/** Why the calls in flight on an instance that stopped were ended (their callers are told its death). */
const GONE = new Error('the instance is gone');

export class AppInstance implements Instance {
  readonly id: string;
  initMs = 0;
  private death: InstanceDeath | null = null;
  private readonly calls = new Set<InFlight>();
  /** WebSocket calls in flight: each holds its slot until its socket closes. */
  private readonly sockets = new Set<AppSocket>();
  private socketHost: SocketHost | null = null;
  private readonly tail = new LineTail(40);
  private readonly exited: Promise<void>;
  private exitedNow = false;
  private exitText = '';
  private killTimer: TimerHandle | null = null;
  private memoryRead = 0;
  private memoryReadAt = -Infinity;
  private cpuLast = 0;
  private procCpu: ProcessTreeMeter | null = null;
  private readonly pool: Pool;
  /** In a network namespace: the way to the app (its connector) and its outbound proxy. */
  private readonly link: ConnectorLink | null = null;
  private readonly proxy: EgressProxy | null = null;

  /** What every call to this instance shares (AppCall). */
  readonly limits: AppCallLimits;

  private constructor(
    readonly deps: AppInstanceDeps,
    readonly spec: InstanceSpec,
    private readonly app: AppSettings,
    private readonly child: ChildProcess,
    private readonly port: number,
    private readonly cgroup: InstanceCgroup | null,
  ) {
    this.id = spec.instanceId;
    const limit = deps.maxResponseBytes;
    this.limits = {
      maxResponseBytes: limit,
      overLimit: () => new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `${spec.functionName}: the app's streamed response passed ${limit} bytes; the limit is ${limit}`, { extra: { limit } }),
    };
    if (child.channel) {
      const proxy = createEgressProxy({ fetch: spec.fetch, connect: spec.connect, invocationId: () => this.soleInvocation(), maxBodyBytes: deps.maxResponseBytes });
      this.proxy = proxy;
      this.link = new ConnectorLink(child, (socket) => proxy.accept(socket));
    }
    const link = this.link;
    this.pool = new deps.PoolClass(`http://127.0.0.1:${port}`, {
      connections: Math.max(1, spec.config.concurrency),
      keepAliveTimeout: 30_000,
      ...(link ? { connect: (_options: unknown, callback: (...args: [null, Socket] | [Error, null]) => void) => void link.dial().then((s) => callback(null, s), (e: Error) => callback(e, null)) } : {}),
    });
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => (this.onExit(code, signal), resolve())));
    splitLines(child.stdout!, (line) => this.onLine('info', line));
    splitLines(child.stderr!, (line) => this.onLine('error', line));
  }

  static async start(deps: AppInstanceDeps, spec: InstanceSpec): Promise<AppInstance> {
    const app = spec.config.app;
    if (spec.config.runtime !== 'app' || !app) throw new NimbusError('NIMBUS_ERR_INVALID_FUNCTION', `${spec.functionName} has no app settings (command)`);
    const t0 = deps.clock.monotonic();
    const appDir = materialiseApp(spec.code, deps.appsDir);
    const netns = deps.isolation.sandbox === 'bubblewrap' && deps.isolation.network === 'namespace';
    const port = netns ? NAMESPACE_APP_PORT : await freePort();
    const memoryBytes = spec.config.memoryMb * 1024 * 1024;
    const cgroup = deps.isolation.cgroup ? createInstanceCgroup(deps.isolation.cgroup, spec.instanceId, memoryBytes, { cpu: true }) : null;
    const plan = launchPlan(deps.isolation, {
      appDir,
      command: app.command,
      env: { ...spec.config.env, PORT: String(port), HOST: '127.0.0.1' },
      memoryBytes,
      cgroupProcs: cgroup?.procsFiles ?? [],
      ...(netns ? { connector: { dir: CONNECTOR_DIR, appPort: port, proxyPort: NAMESPACE_PROXY_PORT } } : {}),
    });
    let child: ChildProcess;
    try {
      // Its own session and process group: signals reach the app's processes, not the platform's.
      child = spawn(plan.file, plan.args, { cwd: plan.cwd, env: plan.env, detached: true, stdio: ['ignore', 'pipe', 'pipe', ...(netns ? (['ipc'] as const) : [])] });
    } catch (error) {
      cgroup?.remove();
      throw new NimbusError('NIMBUS_ERR_FUNCTION_INIT', `${spec.functionName}: the app could not be started: ${(error as Error).message}`);
    }
    child.on('error', () => {});
    // the connector shares the app's sandbox: bytes on its channel that are no message, or too many, stop the instance, not the platform
    if (netns) guardChannel(child, CONNECTOR_MAX_MESSAGE_BYTES, () => killGroup(child.pid!));
    const instance = new AppInstance(deps, spec, app, child, port, cgroup);
    await instance.ready(t0);
    instance.initMs = Math.round((deps.clock.monotonic() - t0) * 1000) / 1000;
    return instance;
  }

  /** Resolves once the app answers on its port (or readiness path); else stops it and rejects with FUNCTION_INIT and its last lines. */
  private async ready(t0: number): Promise<void> {
    const { clock } = this.deps;
    const limit = this.app.startTimeoutMs;
    for (;;) {
      if (this.exitedNow) return this.failInit(`the app exited before it listened on PORT (${this.exitText})`);
      if (await portAnswers(() => this.dial(), this.app.readinessPath, this.pool)) {
        if (this.exitedNow) return this.failInit(`the app exited before it listened on PORT (${this.exitText})`);
        return;
      }
      if (clock.monotonic() - t0 >= limit) return this.failInit(`the app did not listen on PORT (${this.port}) within ${limit} ms`);
      await new Promise<void>((resolve) => {
        const t = clock.setTimer(20, resolve);
        void this.exited.then(() => (t.cancel(), resolve()));
      });
    }
  }

  /** A connection to the app: through its connector, or on the host's loopback. */
  private dial(): Promise<Socket> {
    if (this.link) return this.link.dial();
    return new Promise((resolve, reject) => {
      const socket = netConnect({ port: this.port, host: '127.0.0.1' });
      socket.once('connect', () => resolve(socket));
      socket.once('error', reject);
    });
  }

  /** The invocation the app's outbound requests are made for: the one running, else none (''). */
  private soleInvocation(): string {
    if (this.calls.size + this.sockets.size !== 1) return '';
    for (const c of this.calls) return c.invocationId;
    for (const s of this.sockets) return s.invocationId;
    return '';
  }

  private async failInit(why: string): Promise<never> {
    this.death ??= 'crashed';
    killGroup(this.child.pid!);
    await this.exited;
    const lines = this.tail.lines();
    throw new NimbusError('NIMBUS_ERR_FUNCTION_INIT', `${this.spec.functionName}: ${why}${lines.length ? `; its last output:\n${lines.join('\n')}` : '; it printed nothing'}`, {
      extra: { lastLines: lines },
    });
  }

  /** An upload reaches the app as it arrives (HttpRequestData.stream). */
  readonly streamsBodies = true;

  /**
   * Proxies one call. The request body goes up as it arrives; the answer comes back once its
   * head has: a body of known small length buffered, any other as a stream the caller reads
   * as the app sends it (the call, its deadline and its log lines last until it ends).
   */
  invoke(call: InstanceCall): Promise<InstanceResult> {
    if (this.death) return Promise.reject(this.deathError());
    if (call.meta.deadline <= this.deps.clock.now()) return Promise.reject(new NimbusError('NIMBUS_ERR_TIMEOUT', `${this.spec.functionName}: the deadline had passed before the call began`));
    const request = call.mode === 'fetch' ? call.request : eventRequest(call.event, this.app.eventPath, this.spec.functionName);
    if (call.mode === 'fetch' && isWebSocketUpgrade(request)) return this.openSocket(request, call.meta.invocationId, call.meta.deadline);
    const upload = request.stream;
    return new Promise((resolve, reject) => {
      const entry = new InFlight(this, call.meta.invocationId, upload, request.method === 'HEAD', resolve, reject);
      entry.deadline = this.deps.deadlines.at(call.meta.deadline, () => entry.timeOut());
      this.calls.add(entry);
      if (call.mode === 'fetch' && call.clientGone !== undefined) void call.clientGone.then(() => entry.clientGone());
      this.pool.dispatch(
        {
          method: request.method as 'GET',
          path: pathOf(request.url),
          headers: flatHeaders(request.headers),
          // undici takes an async iterable body (its docs); its types list Readable only
          body: upload !== undefined ? (chunksOf(upload) as unknown as Readable) : request.body === null ? null : Buffer.from(request.body.buffer, request.body.byteOffset, request.body.byteLength),
          headersTimeout: 0,
          bodyTimeout: 0,
        },
        entry.handler,
      );
    });
  }

  /** A WebSocket upgrade: the app's own answer, a 101 whose socket the call lasts for, or its refusal. */
  private async openSocket(request: HttpRequestData, invocationId: string, deadline: number): Promise<InstanceResult> {
    const host = (this.socketHost ??= {
      functionName: this.spec.functionName,
      maxResponseBytes: this.deps.maxResponseBytes,
      dial: () => this.dial(),
      lost: () => this.lost(),
      over: (socket) => {
        socket.deadline?.cancel();
        this.sockets.delete(socket);
      },
    });
    const socket = new AppSocket(host, invocationId);
    this.sockets.add(socket);
    socket.deadline = this.deps.deadlines.at(deadline, () => socket.timeOut(new NimbusError('NIMBUS_ERR_TIMEOUT', `${this.spec.functionName}: the WebSocket was open at the end of the ${this.spec.config.timeoutMs} ms timeout`)));
    try {
      return await socket.open(request);
    } catch (error) {
      // the dial failed (the app not accepting connections, or stopping), or the socket was ended before the answer
      const failure = isNimbusError(error) ? error : ((await this.lost()) ?? new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `${this.spec.functionName}: the app did not take the WebSocket connection (${(error as Error).message})`));
      socket.instanceGone(failure);
      throw failure;
    }
  }

  /** A connection to the app was lost: its death when it is dying (waited for briefly), else null. */
  private async lost(): Promise<NimbusError | null> {
    if (!this.death) await Promise.race([this.exited, new Promise<void>((resolve) => this.deps.clock.setTimer(1000, resolve))]);
    return this.death ? this.deathError() : null;
  }

  /** A call is over (answered, failed, its stream ended): its deadline and its share of the log lines go. */
  callOver(entry: InFlight): void {
    entry.deadline.cancel();
    this.calls.delete(entry);
  }

  /** What a failed call tells its caller: its timeout, the instance's death, or the app dropping the connection. */
  async failure(error: unknown, entry: InFlight): Promise<NimbusError> {
    if (entry.timedOut) return new NimbusError('NIMBUS_ERR_TIMEOUT', `${this.spec.functionName}: no answer within ${this.spec.config.timeoutMs} ms`);
    if (this.death) return this.deathError();
    // The upload's own failure (over the payload limit, the client gone) is the reason.
    if (isNimbusError(error) && error.code !== 'NIMBUS_ERR_BAD_RESPONSE') return error;
    // A connection the app dropped: if it is dying, its death is the answer.
    await Promise.race([this.exited, new Promise<void>((resolve) => this.deps.clock.setTimer(1000, resolve))]);
    if (this.death) return this.deathError();
    if (isNimbusError(error)) return error;
    return new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `${this.spec.functionName}: the app closed the connection without an answer (${(error as Error).message})`);
  }

  private deathError(): NimbusError {
    if (this.death === 'memory_limit') {
      return new NimbusError('NIMBUS_ERR_MEMORY_LIMIT', `${this.spec.functionName}: the app went over its ${this.spec.config.memoryMb} MB memory limit and was killed`);
    }
    return new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', `${this.spec.functionName}: the app process stopped (${this.exitText || 'disposed'})`);
  }

  private onLine(level: 'info' | 'error', line: string): void {
    this.tail.push(line);
    const inFlight = this.calls.size + this.sockets.size;
    if (inFlight === 0) return;
    // Several requests (open WebSockets among them) share the process: each gets the line, marked as the instance's.
    const text = inFlight === 1 ? line : `[instance ${this.id}, ${inFlight} requests in flight] ${line}`;
    for (const c of this.calls) this.spec.onLog(c.invocationId, level, text);
    for (const s of this.sockets) this.spec.onLog(s.invocationId, level, text);
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    this.exitedNow = true;
    this.exitText = signal ? `killed by ${signal}` : `exit code ${code}`;
    this.killTimer?.cancel();
    const oom = this.cgroup?.oomKilled() ?? (this.deps.isolation.memoryLimit === 'rlimit-as' && this.tail.lines().some((l) => /MemoryError|heap out of memory|Cannot allocate memory|std::bad_alloc/.test(l)));
    const wasAlive = this.death === null;
    if (wasAlive) this.death = oom ? 'memory_limit' : 'crashed';
    for (const c of this.calls) c.handler.abort(GONE);
    for (const s of [...this.sockets]) s.instanceGone(this.deathError());
    void this.pool.destroy().catch(() => {});
    this.proxy?.close();
    this.link?.close();
    // The kernel removes a cgroup only once its processes are gone: whatever the app forked goes too.
    killGroup(this.child.pid!);
    removeWhenEmpty(this.cgroup, this.deps.clock);
    if (wasAlive) this.spec.onDeath?.(this.death!);
  }

  deathReason(): InstanceDeath | null {
    return this.death;
  }

  /** The cgroup's memory use, read at most every second (reading it is a file read), and the CPU so far (cpuMs). */
  stats(): InstanceStats {
    const now = this.deps.clock.monotonic();
    if (now - this.memoryReadAt >= 1000) {
      this.memoryReadAt = now;
      this.memoryRead = this.cgroup?.memoryBytes() ?? 0;
    }
    return { heapUsedBytes: this.memoryRead, cpuMs: this.cpuMs() };
  }

  /**
   * CPU time of the instance's processes so far, ms, read when a call begins and ends (the
   * meter shares it among the calls in flight: with one at a time it is that call's): the
   * cgroup's counter where it has one (exact), else /proc on the host (10 ms steps).
   */
  cpuMs(): number {
    if (this.exitedNow) return this.cpuLast;
    const ms = this.cgroup?.cpuMs() ?? (this.procCpu ??= new ProcessTreeMeter(this.child.pid!, () => this.deps.clock.monotonic())).read().cpuMs;
    if (ms > this.cpuLast) this.cpuLast = ms;
    return this.cpuLast;
  }

  /** Stops the app: SIGTERM now, SIGKILL after its grace period. In-flight calls fail. */
  dispose(): void {
    if (this.exitedNow) return;
    this.death ??= 'disposed';
    for (const c of this.calls) c.handler.abort(GONE);
    for (const s of [...this.sockets]) s.stopping();
    void this.pool.close().catch(() => {});
    sendTerm(this.child.pid!);
    this.killTimer ??= this.deps.clock.setTimer(this.app.graceMs, () => killGroup(this.child.pid!), true);
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Settles once the process has exited. */
  whenExited(): Promise<void> {
    return this.exited;
  }

  /** Kills at once (platform stop past the grace period). */
  kill(): void {
    if (!this.exitedNow) killGroup(this.child.pid!);
  }
}

/** An event for an app: a JSON POST to its event path. */
function eventRequest(event: unknown, path: string, functionName: string): HttpRequestData {
  return {
    method: 'POST',
    url: `http://localhost${path}`,
    headers: [['content-type', 'application/json'], ['x-nimbus-function', functionName]],
    body: new TextEncoder().encode(JSON.stringify(event ?? null)),
  };
}

/** The path and query of an absolute URL (`http://host/p?q` → `/p?q`). */
function pathOf(url: string): string {
  const at = url.indexOf('/', url.indexOf('//') + 2);
  return at === -1 ? '/' : url.slice(at);
}

function flatHeaders(headers: HttpRequestData['headers']): string[] {
  const out: string[] = [];
  for (const [k, v] of headers) out.push(k, v);
  return out;
}
