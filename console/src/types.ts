/** The shapes the console reads from the API (the OpenAPI document at /api/v1/openapi.json has them all). */

export interface FunctionConfig {
  memoryMb: number;
  timeoutMs: number;
  cpuLimitMs: number;
  env: Record<string, string>;
  concurrency: number;
  targetConcurrency: number;
  minInstances: number;
  maxInstances: number;
  idleTimeoutMs: number;
  scaleDownDelayMs?: number;
  runtime: string;
}

export interface FunctionItem {
  name: string;
  currentVersion: number;
  createdAt: number;
  updatedAt: number;
  config?: FunctionConfig;
  instances: number;
}

export interface Version {
  functionName: string;
  version: number;
  hash: string;
  codeBytes: number;
  config: FunctionConfig;
  exports: { fetch: boolean; handler: boolean };
  createdAt: number;
}

export interface AliasRoute {
  version: number;
  weight: number;
}

export interface Alias {
  name: string;
  functionName: string;
  routes: AliasRoute[];
  previous: AliasRoute[] | null;
  updatedAt: number;
}

export interface FunctionDetail extends FunctionItem {
  url: string;
  current?: Version;
  versions: Version[];
  aliases: Alias[];
  secrets: string[];
  /** Scaling settings changed live on top of the version's (PATCH …/scale), or null. */
  scaleOverride: Record<string, number> | null;
  pools: Array<{ version: number; ready: number; starting: number; inFlight: number; queued: number }>;
}

export interface InvocationRecord {
  id: string;
  functionName: string;
  version: number;
  alias: string | null;
  trigger: string;
  triggerSource: string;
  startedAt: number;
  durationMs: number;
  billedMs: number;
  memoryMb: number;
  status: string;
  statusCode: number | null;
  errorCode: string | null;
  errorName: string | null;
  errorMessage: string | null;
  coldStart: boolean;
  initMs: number;
  attempt: number;
  cpuMs: number;
  logs: Array<{ t: number; level: string; msg: string }>;
  logsTruncated: boolean;
  traceId: string | null;
  [k: string]: unknown;
}

export interface LogEntry {
  t: number;
  functionName: string;
  invocationId: string;
  level: string;
  msg: string;
  data?: unknown;
}

export interface UsageLine {
  function: string | null;
  period: number | null;
  requests: number;
  errors: number;
  throttles: number;
  coldStarts: number;
  billedMs: number;
  gbSeconds: number;
  cpuMs: number;
  /** After the free tier. */
  cost: number;
  /** At list price, before the free tier. */
  grossCost: number;
}

export interface UsageReport {
  since: number;
  until: number;
  by: string;
  currency: string;
  items: UsageLine[];
  total: UsageLine;
}

export interface TopFigures {
  rps: number;
  requests: number;
  errors: number;
  errorRate: number;
  p50Ms: number | null;
  p99Ms: number | null;
  instances: number;
  inFlight: number;
  queued: number;
  coldStarts: number;
  throttles: number;
}

export interface Top {
  at: number;
  windowMs: number;
  items: Array<TopFigures & { function: string }>;
  total: TopFigures;
}

export interface ScaleDecision {
  at: number;
  version: number;
  trigger: string;
  desired: number;
  current: number;
  ready: number;
  mode: string;
  boundBy?: string | null;
  limitedBy?: string | null;
  reason: string;
  stableConcurrency: number;
  panicConcurrency: number;
}

export interface ScaleStatus {
  version: number;
  settings: Record<string, number>;
  override: Record<string, number> | null;
  current: number;
  desired: number;
  ready: number;
  inFlight: number;
  queued: number;
  mode: string | null;
  decisions: ScaleDecision[];
}
