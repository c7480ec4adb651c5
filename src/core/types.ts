/** Domain types shared by every part. Plain data only: no behaviour, no imports of ours. */

/**
 * `isolate`: a JS module in a V8 isolate in the gateway process; `node`: the same contract in
 * a Node process with all of Node; `app`: any HTTP server command, run as a sandboxed process.
 */
export type RuntimeKind = 'isolate' | 'node' | 'app';

/** How an `app` version is started and reached (docs/apps.md). */
export interface AppSettings {
  /** The start command, run by /bin/sh in the app's directory with PORT and HOST set. */
  readonly command: string;
  /** A path answered 2xx once the app is ready; absent: ready when its port accepts a connection. */
  readonly readinessPath?: string;
  /** Where events, async and workflow invocations are POSTed as JSON. */
  readonly eventPath: string;
  /** How long an instance may take to become ready, in ms. */
  readonly startTimeoutMs: number;
  /** How long a retiring instance has after SIGTERM before SIGKILL, in ms. */
  readonly graceMs: number;
}

/** The memory a function may have, in MB: the same bounds for a deploy and for the platform's default. */
export const MEMORY_MB = { min: 16, max: 8192 } as const;

/** Per-function settings, fixed in each version (a change makes a new version). */
export interface FunctionConfig {
  /** Memory limit of one instance, in MB; also what usage is billed at. */
  readonly memoryMb: number;
  /** Wall-clock limit of one invocation, in ms. */
  readonly timeoutMs: number;
  /** CPU-time limit of one invocation, in ms. */
  readonly cpuLimitMs: number;
  /** Variables visible to the function as `env` (fetch) and `context.env` (handler). */
  readonly env: Readonly<Record<string, string>>;
  /** Hard limit of invocations one instance serves at once. */
  readonly concurrency: number;
  /** Soft per-instance concurrency the scaler aims for (≤ concurrency). */
  readonly targetConcurrency: number;
  /** Instances kept warm even when idle. */
  readonly minInstances: number;
  /** Instances never exceeded. */
  readonly maxInstances: number;
  /** An instance idle this long is retired (scale to zero when minInstances is 0). */
  readonly idleTimeoutMs: number;
  /**
   * A scale down follows the most instances asked for over this long; absent in versions
   * deployed before it existed, which get the default (autoscaler/settings.ts).
   */
  readonly scaleDownDelayMs?: number;
  readonly runtime: RuntimeKind;
  /** Present exactly when runtime is `app`. */
  readonly app?: AppSettings;
}

/** Which entry points a module exports, learnt once at deploy time. */
export interface ModuleExports {
  readonly fetch: boolean;
  readonly handler: boolean;
}

export interface FunctionVersion {
  readonly functionName: string;
  readonly version: number;
  /** sha256 of the bundle and the config: identical deploys share it. */
  readonly hash: string;
  /** sha256 of the bundled code alone. */
  readonly codeHash: string;
  readonly codeBytes: number;
  readonly config: FunctionConfig;
  readonly exports: ModuleExports;
  readonly createdAt: number;
}

export interface FunctionInfo {
  readonly name: string;
  readonly currentVersion: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** One target of an alias: a version and its share of the traffic, in whole percent. */
export interface AliasRoute {
  readonly version: number;
  readonly weight: number;
}

/**
 * A name that points at one version, or splits traffic between two by weight (weights sum
 * to 100). `previous` is what it pointed at before its last change: rollback goes back to it.
 */
export interface FunctionAlias {
  readonly functionName: string;
  readonly name: string;
  readonly routes: readonly AliasRoute[];
  readonly previous: readonly AliasRoute[] | null;
  readonly updatedAt: number;
}

/** `background`: CPU a function's own code used outside any invocation (module-level timers), charged to it. */
/** `instance`: the lifetime of a process instance (an app), metered as occupancy (instance-seconds x memory), not as a request. */
export type TriggerKind = 'http' | 'api' | 'async' | 'cron' | 'event' | 'workflow' | 'background' | 'instance';

export type InvocationStatus =
  | 'success'
  | 'error'
  | 'timeout'
  | 'cpu_limit'
  | 'memory_limit'
  | 'crashed'
  | 'throttled';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  /** Epoch ms. */
  readonly t: number;
  readonly level: LogLevel;
  readonly msg: string;
}

/** Exactly one per invocation; logs, metrics and usage all derive from these. */
export interface InvocationRecord {
  readonly id: string;
  readonly functionName: string;
  readonly version: number;
  /** The alias the invocation came through (`live` for a plain `/fn/<name>` when it exists); null when none. */
  readonly alias: string | null;
  readonly trigger: TriggerKind;
  /** What fired it: the HTTP route, an async id, a cron trigger… */
  readonly triggerSource: string;
  /** Epoch ms at which the platform accepted the invocation. */
  readonly startedAt: number;
  readonly durationMs: number;
  /** Execution time rounded up to the next whole ms. */
  readonly billedMs: number;
  readonly memoryMb: number;
  readonly status: InvocationStatus;
  /** HTTP status returned to the caller, where there was one. */
  readonly statusCode: number | null;
  readonly errorCode: string | null;
  readonly errorName: string | null;
  readonly errorMessage: string | null;
  readonly coldStart: boolean;
  readonly initMs: number;
  readonly instanceId: string | null;
  readonly requestBytes: number;
  readonly responseBytes: number;
  readonly attempt: number;
  readonly logs: readonly LogLine[];
  readonly logsTruncated: boolean;
  /**
   * CPU time attributed to this invocation, in ms: the instance's CPU between samples,
   * shared equally among the invocations in flight on it (docs/observability.md).
   */
  readonly cpuMs: number;
  /** Highest heap of the instance seen while this invocation ran, in bytes (0: not sampled). */
  readonly peakMemoryBytes: number;
  /** This invocation's share of the time its instance was busy, in ms (sums to instance busy time). */
  readonly occupancyMs: number;
  /** W3C trace context: the trace, this invocation's span, and the caller's span (null at a root). */
  readonly traceId: string | null;
  readonly spanId: string | null;
  readonly parentSpanId: string | null;
  /**
   * The Node layer's outbound TCP/TLS sockets as this invocation used them (sockets opened,
   * bytes received and sent; docs/observability.md); absent when it used none.
   */
  readonly sockets?: SocketCounts;
}

/** An invocation's socket use (InvocationRecord.sockets). */
export interface SocketCounts {
  readonly opened: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
}

/** The `sockets` field of a record for these counts: absent when they are all zero. */
export function socketCounts(opened: number, bytesIn: number, bytesOut: number): { sockets?: SocketCounts } {
  return opened === 0 && bytesIn === 0 && bytesOut === 0 ? {} : { sockets: { opened, bytesIn, bytesOut } };
}
