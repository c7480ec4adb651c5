/**
 * The Runtime port: start an instance of a function version and call it. One
 * implementation per folder (isolate/ now; node/ and app/ later). Nothing outside
 * server/ imports an implementation.
 */
import type { NimbusError } from '../core/errors.ts';
import type { FunctionConfig, LogLevel, ModuleExports } from '../core/types.ts';

/**
 * A body that arrives in pieces (a streamed response, an upload still being sent): pulled
 * one chunk at a time, its producer kept at most a few chunks ahead of the reader.
 */
export interface ByteStream {
  /** The next chunk, or null once the body has ended; rejects with a NimbusError when it failed. */
  read(): Promise<Uint8Array | null>;
  /** The reader wants no more (the client went away, a limit was passed): the producer is told and stops. */
  cancel(reason: NimbusError): void;
}

/** A buffered HTTP request as the function will see it. */
export interface HttpRequestData {
  readonly method: string;
  /** Absolute URL, e.g. http://127.0.0.1:8080/fn/hello/world?x=1 */
  readonly url: string;
  /** In arrival order; repeated names allowed. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** null when there is no body, or when it is streamed. */
  readonly body: Uint8Array | null;
  /** The body as it arrives, when it is streamed (then `body` is null). */
  readonly stream?: ByteStream;
}

export interface HttpResponseData {
  readonly status: number;
  readonly statusText: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** Empty when the body is streamed. */
  readonly body: Uint8Array;
  /** The body as the function produces it, when it is streamed (a ReadableStream not yet complete). */
  readonly stream?: ByteStream;
  /** With status 101: the WebSocket the function accepted (`new Response(null, { status: 101, webSocket })`). */
  readonly webSocket?: SocketPeer;
}

/** Where a function's WebSocket messages go: the client's socket. */
export interface SocketSink {
  /** False when it was dropped (the socket is closing). */
  message(data: string | Uint8Array): boolean;
  /** The function closed the socket (or its instance stopped: 1011). */
  close(code: number, reason: string): void;
  /**
   * Optional: true when the client is behind on what was sent to it, and `drained` will be
   * called once it has caught up (a peer that can stop producing waits for it); false when
   * it is not behind (`drained` is not kept).
   */
  whenDrained?(drained: () => void): boolean;
}

/**
 * The host's end of a WebSocket a function accepted. The invocation lasts until it closes
 * (InstanceResult.streamEnd settles then).
 */
export interface SocketPeer {
  /** Connects the client: what the function sent before goes to `sink` now. */
  attach(sink: SocketSink): void;
  /** A client message for the function; false when the function is behind on messages: read no more until onDrain. */
  send(data: string | Uint8Array): boolean;
  onDrain: (() => void) | null;
  /** The client's side is closed: the function sees `close` and the invocation ends. Idempotent. */
  close(code: number, reason: string): void;
  /** Bytes of messages from the client, and to it. */
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** How a streamed response ended, once the function's stream is over (read to its end, failed or cancelled). */
export interface StreamEnd {
  /** Why it did not end well, or null. */
  readonly error: NimbusError | null;
  /** As InstanceResult.background: waitUntil work still running after the stream ended. */
  readonly background?: Promise<void>;
}

/** Facts about one invocation that the function's `context`/`ctx` exposes. */
export interface InvocationMeta {
  readonly invocationId: string;
  readonly functionName: string;
  readonly version: number;
  /** Epoch ms by which the invocation must finish. */
  readonly deadline: number;
  readonly attempt: number;
  readonly memoryMb: number;
  /** The trace span it runs in, if traced: its outbound requests carry it (not shown to the function). */
  readonly trace?: InvocationTrace;
  /** Where the runtime counts the Node-layer sockets this invocation used (not shown to the function). */
  readonly sockets?: SocketUsage;
}

/**
 * A function's outbound TCP/TLS sockets (the Node layer's net/tls, cloudflare:sockets) as one
 * invocation used them: sockets it opened, and bytes received and sent on the sockets it
 * used (a socket's bytes count for the invocation that last wrote to it, or opened it).
 */
export interface SocketUsage {
  opened: number;
  bytesIn: number;
  bytesOut: number;
}

/** A W3C trace span (observe/trace.ts makes them). */
export interface InvocationTrace {
  readonly traceId: string;
  readonly spanId: string;
  /** Trace flags (01 = sampled). */
  readonly flags: string;
}

export type InstanceCall =
  | {
      readonly mode: 'fetch';
      readonly request: HttpRequestData;
      readonly meta: InvocationMeta;
      /**
       * Settles when the HTTP client's connection closes (also after a complete answer):
       * while the function has not answered yet, the runtime aborts its request.signal and
       * ends the invocation with NIMBUS_ERR_CLIENT_CLOSED.
       */
      readonly clientGone?: Promise<void>;
    }
  | {
      readonly mode: 'handler';
      readonly event: unknown;
      readonly meta: InvocationMeta;
      /**
       * `event` as JSON text, when the caller had it (a queued item's payload): a runtime may
       * send this instead of copying `event`, whose value parsing it gives.
       */
      readonly eventJson?: string;
    };

export type InstanceResult = (
  | {
      readonly mode: 'fetch';
      readonly response: HttpResponseData;
      /**
       * With a streamed response (response.stream): settles (never rejects) once the stream is
       * over; until then the invocation runs on (its deadline and limits apply). `background`
       * is then on the StreamEnd, not here.
       */
      readonly streamEnd?: Promise<StreamEnd>;
    }
  | { readonly mode: 'handler'; readonly value: unknown }
) & {
  /**
   * Present when the function left work running after its result (`ctx.waitUntil`):
   * settles (never rejects) once that work has finished or has been stopped at the
   * invocation's deadline. Until then the invocation still occupies its slot on the
   * instance (and may still log); a pool should count it as in flight.
   */
  readonly background?: Promise<void>;
};

/** Receives console output as it happens, so nothing is lost if the instance dies. */
/** The file name a function's code runs under: its stack frames name it (`<name>.js:line:column`). */
export function bundleFileName(functionName: string): string {
  return `${functionName}.js`;
}

export type LogSink = (invocationId: string, level: LogLevel, message: string) => void;

/** A promise of the function's code rejected with no handler: what it rejected with. */
export interface UnhandledRejection {
  /** '' when the reason was not an Error (errorMessage is then the value: a string quoted, a number). */
  readonly errorName: string;
  readonly errorMessage: string;
  /** V8's stack in bundle positions (the runtime's own frames left out); '' when the reason was not an Error. */
  readonly stack: string;
}

/**
 * Logs an unhandled rejection: for the invocation `invocationId` (not over, its record not
 * written, until the promise settles), or with invocationId '' for the instance, `after`
 * then naming the invocation that last ran code there when it is known (the rejection came
 * after its answer).
 */
export type RejectionSink = (invocationId: string, rejection: UnhandledRejection, after?: string) => Promise<void>;

/** An outbound fetch made by a function, carried out by the host. */
export type OutboundFetch = (request: HttpRequestData, invocationId: string, trace?: InvocationTrace) => Promise<HttpResponseData>;

/** Where an outbound TCP connection goes; `tls`: TLS over it, verified against `servername` (default the host). */
export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly servername?: string;
  /** Extra certificate authorities (PEM) to trust for this connection, besides the host's. */
  readonly ca?: string;
}

/**
 * Opens an outbound TCP (or TLS) connection for user code under the same egress rules as
 * fetch; resolves once connected (and, with TLS, once the handshake is done). A refused
 * address rejects with NIMBUS_ERR_EGRESS_DENIED.
 */
export type OutboundConnect = (target: ConnectTarget) => Promise<import('node:stream').Duplex & { readonly remoteAddress?: string; readonly remotePort?: number }>;

/** dns.lookup for user code: the addresses of a name that the egress rules let it reach, as [address, family]. */
export type OutboundLookup = (hostname: string, family: 0 | 4 | 6) => Promise<Array<[string, number]>>;

/** The DNS record types a function may ask for (dns.resolve*). */
export type DnsRecordType = 'A' | 'AAAA' | 'MX' | 'TXT' | 'SRV' | 'CNAME' | 'NS';

/**
 * dns.resolve* for user code under the egress rules (egress-dns.ts), answered as plain data:
 * A/AAAA as [address, ttl] (only addresses it may reach), MX {exchange, priority}, TXT
 * string[][], SRV {name, port, priority, weight}, CNAME and NS names. Rejects with an error
 * carrying Node's `code` (ENOTFOUND, ENODATA, …; EACCES when the rules refuse the name).
 */
export type OutboundResolve = (hostname: string, rrtype: DnsRecordType) => Promise<unknown[]>;

/** A WebSocket the host opened for a function (`new WebSocket(url)`), the egress rules applied. */
export interface RemoteSocket {
  /** The subprotocol the server chose ('' when none). */
  readonly protocol: string;
  /** Where the server's messages and its close go. */
  listen(to: { message(data: string | Uint8Array): void; close(code: number, reason: string): void }): void;
  /** False when it was dropped (closing, too big, or the server not reading). */
  send(data: string | Uint8Array): boolean;
  close(code: number, reason: string): void;
  /** Stop reading the server (the function is behind on messages), and go on. */
  pause(): void;
  resume(): void;
}

/** Opens an outbound WebSocket for a function; rejects (NIMBUS_ERR_EGRESS_DENIED for a refused address) when it cannot. */
export type OutboundSocketConnect = (url: string, protocols: readonly string[]) => Promise<RemoteSocket>;

export interface InstanceSpec {
  readonly instanceId: string;
  readonly functionName: string;
  readonly version: number;
  /** The bundled module: an IIFE script that assigns its exports to `globalThis.__nimbus_module`. */
  readonly code: string;
  readonly config: FunctionConfig;
  readonly onLog: LogSink;
  /** Optional: unhandled promise rejections (absent: an error line through onLog, in bundle positions). */
  readonly onRejection?: RejectionSink;
  readonly fetch: OutboundFetch;
  /** Optional: outbound sockets (the Node layer's net/tls); without it, functions cannot open any. */
  readonly connect?: OutboundConnect;
  /** Optional: name lookups for the Node layer's dns, under the same rules. */
  readonly lookup?: OutboundLookup;
  /** Optional: DNS queries for the Node layer's dns.resolve*, under the same rules. */
  readonly resolve?: OutboundResolve;
  /** Outbound WebSockets; absent: `new WebSocket(url)` fails in the function. */
  readonly connectWebSocket?: OutboundSocketConnect;
  /**
   * Optional: called once when the instance dies on its own (a limit, a crash), also
   * between invocations (e.g. a module-level timer past the CPU limit), so a pool can drop
   * it at once instead of at its next call. Not called for dispose().
   */
  readonly onDeath?: (reason: InstanceDeath) => void;
  /**
   * Optional: CPU the instance's own code used outside any invocation (module-level
   * timers), reported every few seconds while it goes on and when the instance stops, so
   * the platform can charge it to the function. `overLimit`: it passed the CPU limit over
   * the sliding span and the instance is being stopped (onDeath follows with cpu_limit).
   */
  readonly onBackground?: (report: BackgroundReport) => void;
}

/** What an instance's code used outside invocations from `fromMs` to `toMs` (epoch ms). */
export interface BackgroundReport {
  readonly cpuMs: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly overLimit: boolean;
  /** The bound: at most `limitMs` of CPU in any `spanMs`. */
  readonly limitMs: number;
  readonly spanMs: number;
}

export type InstanceDeath = 'disposed' | 'memory_limit' | 'timeout' | 'cpu_limit' | 'crashed';

export interface InstanceStats {
  /** Heap bytes in use by the instance, where the runtime can tell. */
  readonly heapUsedBytes: number;
  /** CPU time the instance has used since it started, in ms. */
  readonly cpuMs: number;
}

export interface Instance {
  readonly id: string;
  /** Time the instance took to start (create, compile, run top level), in ms. */
  readonly initMs: number;
  /**
   * Runs one invocation. Rejects with a NimbusError: NIMBUS_ERR_FUNCTION_ERROR (the
   * function threw; `extra` has errorName/errorMessage/stack), NIMBUS_ERR_TIMEOUT,
   * NIMBUS_ERR_CPU_LIMIT, NIMBUS_ERR_MEMORY_LIMIT, NIMBUS_ERR_INSTANCE_CRASHED or
   * NIMBUS_ERR_BAD_RESPONSE. After TIMEOUT, CPU_LIMIT, MEMORY_LIMIT or INSTANCE_CRASHED
   * the instance is dead (deathReason() says why); after FUNCTION_ERROR and BAD_RESPONSE it
   * serves on. Rejected without running anything (the instance serves on):
   * NIMBUS_ERR_INVALID_FUNCTION (the module lacks the export the mode needs),
   * NIMBUS_ERR_TIMEOUT (meta.deadline had already passed), NIMBUS_ERR_PAYLOAD_TOO_LARGE,
   * NIMBUS_ERR_BAD_REQUEST (an event that cannot be copied). deathReason() is the truth.
   */
  invoke(call: InstanceCall): Promise<InstanceResult>;
  /** Why the instance died, or null while it is alive. */
  deathReason(): InstanceDeath | null;
  stats(): InstanceStats;
  /**
   * CPU time used since start, in ms: cheap and synchronous (no heap statistics), for
   * per-invocation accounting on the hot path. Optional; stats().cpuMs otherwise.
   */
  cpuMs?(): number;
  /** True when the instance takes a request whose body is a stream (HttpRequestData.stream); else the caller buffers it. */
  readonly streamsBodies?: boolean;
  /** Frees the instance at once; in-flight calls reject with INSTANCE_CRASHED. */
  dispose(): void;
}

export interface Runtime {
  readonly kind: string;
  /**
   * Deploy-time check: compiles and runs the module's top level in a throwaway
   * instance and reports its exports. Rejects with NIMBUS_ERR_INVALID_FUNCTION or
   * NIMBUS_ERR_FUNCTION_INIT (with the error's name, message and line).
   */
  inspect(code: string, config: FunctionConfig, functionName?: string): Promise<ModuleExports>;
  /** Starts an instance; rejects with NIMBUS_ERR_FUNCTION_INIT if the top level throws. */
  start(spec: InstanceSpec): Promise<Instance>;
  /**
   * Optional: the code (codeHash) of every version the store still has. A runtime frees
   * what it prepared for other code once no instance uses it (an app's unpacked files).
   */
  keepCode?(codeHashes: ReadonlySet<string>): void;
  /** Releases shared resources (spare isolates, timers). */
  close(): Promise<void>;
}
