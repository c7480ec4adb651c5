/**
 * Platform configuration: read once from flags and environment (flags win), validated,
 * frozen. Every field is declared in FIELDS with its flag, variable, default and doc;
 * docs/configuration.md lists the same fields (a test keeps them in step).
 */
import { isAbsolute, resolve } from 'node:path';
import { NimbusError } from '../core/errors.ts';
import { MEMORY_MB } from '../core/types.ts';
import { parseSecretsKey } from '../releases/secret-box.ts';
import { parseEgressAllow } from '../runtime/egress-policy.ts';

export interface Config {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** '' for <tmpdir>/nimbus-apps/<data dir hash>; else where apps' files are unpacked. */
  readonly appsDir: string;
  /** '' for the embedded SQLite store in dataDir; else a postgres:// URL. */
  readonly store: string;
  /** '' for the in-process bus; else a nats:// URL (NATS JetStream). */
  readonly bus: string;
  /** How long a node's leases (cron, workflow executions) and heartbeat last without renewal. */
  readonly leaseMs: number;
  readonly deployExamples: boolean;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  readonly payloadLimitBytes: number;
  readonly apiBodyLimitBytes: number;
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly wsMessageLimitBytes: number;
  readonly wsIdleTimeoutMs: number;
  readonly bodyBudgetBytes: number;
  readonly logLimitBytes: number;
  readonly queueLimit: number;
  readonly maxTotalInstances: number;
  readonly memoryBudgetMb: number;
  readonly recordFlushMs: number;
  readonly drainTimeoutMs: number;
  readonly defaultMemoryMb: number;
  readonly defaultTimeoutMs: number;
  readonly defaultIdleTimeoutMs: number;
  readonly scaleStableWindowMs: number;
  readonly scalePanicWindowMs: number;
  readonly observability: boolean;
  /** Log functions' unhandled promise rejections (the isolate runtime). */
  readonly rejectionLogs: boolean;
  readonly recordRetentionMs: number;
  readonly recordRetentionCount: number;
  readonly executionRetentionMs: number;
  readonly prices: string;
  readonly alertRules: string;
  readonly alertWebhook: string;
  readonly alertIntervalMs: number;
  readonly egressAllow: string;
  readonly secretsKey: string;
  readonly metricsPublic: boolean;
  /** App and node processes run on the host network instead of a network namespace each (no egress rules for their sockets). */
  readonly appHostNetwork: boolean;
  /** The web console at /console (static assets; everything it shows needs the API token). */
  readonly console: boolean;
  readonly awsAccountId: string;
  readonly awsRegion: string;
}

type Parser<T> = (raw: string, key: string) => T;

interface Field<K extends keyof Config> {
  readonly key: K;
  readonly flag: string;
  readonly env: string;
  readonly default: Config[K] | ((partial: Partial<Config>) => Config[K]);
  readonly parse: Parser<Config[K]>;
  readonly doc: string;
}

function invalid(key: string, raw: string, why: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_VALIDATION', `config ${key}: ${JSON.stringify(raw)} ${why}`, {
    extra: { field: key, value: raw },
  });
}

const integer =
  (min: number, max: number): Parser<number> =>
  (raw, key) => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max) throw invalid(key, raw, `is not a whole number from ${min} to ${max}`);
    return n;
  };

/** Accepts `1500`, `1500ms`, `10s`, `5m`, `1h`, `7d`. */
export function parseDuration(raw: string, key = 'duration'): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!m) throw invalid(key, raw, 'is not a duration (e.g. 500ms, 10s, 5m, 1h, 7d)');
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'ms') as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Math.round(Number(m[1]) * unit);
}

const SIZE = /^(\d+(?:\.\d+)?)\s*(b|[kmg](?:i?b)?)?$/i;
const UNIT_BYTES = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as const;

/** A number with an optional unit (`b`, `k`/`kb`, `m`/`mb`, `g`/`gb`, any case); null if it is not one. */
function sizeParts(raw: string): { n: number; unit: keyof typeof UNIT_BYTES | null } | null {
  const m = SIZE.exec(raw.trim());
  if (!m) return null;
  return { n: Number(m[1]), unit: m[2] === undefined ? null : (m[2][0].toLowerCase() as keyof typeof UNIT_BYTES) };
}

/** Accepts `1048576` (bytes), `512kb`, `6mb`, `6m`, `1gb`, `1g`. */
export function parseBytes(raw: string, key = 'size'): number {
  const p = sizeParts(raw);
  if (!p) throw invalid(key, raw, 'is not a size (e.g. 512kb, 6mb, 1g)');
  return Math.round(p.n * UNIT_BYTES[p.unit ?? 'b']);
}

/** A memory size in whole MB: a plain number is MB (`128`); units as parseBytes (`512m`, `512MB`, `1g`, `1gb`). */
export function parseMegabytes(raw: string, key = 'memory'): number {
  const p = sizeParts(raw);
  if (!p) throw invalid(key, raw, 'is not a memory size (e.g. 128 for MB, 512mb, 1g)');
  return Math.round((p.n * UNIT_BYTES[p.unit ?? 'm']) / UNIT_BYTES.m);
}

const boolean: Parser<boolean> = (raw, key) => {
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw invalid(key, raw, 'is not true/false');
};

const durationIn =
  (min: number, max: number): Parser<number> =>
  (raw, key) => {
    const ms = parseDuration(raw, key);
    if (ms < min || ms > max) throw invalid(key, raw, `is outside ${min}ms..${max}ms`);
    return ms;
  };

const megabytesIn =
  (min: number, max: number): Parser<number> =>
  (raw, key) => {
    const n = parseMegabytes(raw, key);
    if (n < min || n > max) throw invalid(key, raw, `is outside ${min}..${max} MB`);
    return n;
  };

const bytesIn =
  (min: number, max: number): Parser<number> =>
  (raw, key) => {
    const n = parseBytes(raw, key);
    if (n < min || n > max) throw invalid(key, raw, `is outside ${min}..${max} bytes`);
    return n;
  };

const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

export const FIELDS: readonly Field<keyof Config>[] = [
  { key: 'host', flag: '--host', env: 'NIMBUS_HOST', default: '127.0.0.1', parse: (r) => r, doc: 'Address the gateway binds to. Use 0.0.0.0 to accept remote clients.' },
  { key: 'port', flag: '--port', env: 'NIMBUS_PORT', default: 8080, parse: integer(0, 65535), doc: 'TCP port of the gateway (0 picks a free one).' },
  { key: 'dataDir', flag: '--data', env: 'NIMBUS_DATA', default: '.nimbus', parse: (r) => r, doc: 'Data directory: the SQLite store (unless `--store` names a PostgreSQL server) and the API token. Relative paths resolve from the working directory. One platform per directory: a second `nimbus up` on it is refused (NIMBUS_ERR_DATA_DIR_IN_USE).' },
  { key: 'appsDir', flag: '--apps-dir', env: 'NIMBUS_APPS_DIR', default: '', parse: (r) => r, doc: 'Where the files of `app` functions are unpacked (one directory per content hash), readable by the app processes. Empty: `nimbus-apps/<hash of the data directory>` in the system temp directory. Keep it outside the data directory (sandboxed apps must not see that), and give each platform its own: unpacked apps the store no longer has are removed from it. docs/apps.md.' },
  {
    key: 'store',
    flag: '--store',
    env: 'NIMBUS_STORE',
    default: '',
    parse: (r, k) => {
      if (r === '' || r === 'sqlite') return '';
      if (!/^postgres(ql)?:\/\/./.test(r)) throw invalid(k, r.replace(/:[^:@/]*@/, ':***@'), 'is neither `sqlite` nor a postgres:// URL');
      try {
        new URL(r);
      } catch {
        throw invalid(k, r.replace(/:[^:@/]*@/, ':***@'), 'is not a URL');
      }
      return r;
    },
    doc: 'Where state is kept: empty (or `sqlite`) for the embedded SQLite file in the data directory; a `postgres://user:password@host:5432/database` URL (optionally `?schema=name`) for PostgreSQL (docs/cluster.md). The node refuses to start when the server cannot be reached (NIMBUS_ERR_STORE_UNAVAILABLE) or its schema is newer than this Nimbus knows (NIMBUS_ERR_STORE_SCHEMA_NEWER).',
  },
  {
    key: 'bus',
    flag: '--bus',
    env: 'NIMBUS_BUS',
    default: '',
    parse: (r, k) => {
      if (r === '' || r === 'local') return '';
      const urls = r.split(',');
      for (const u of urls) {
        let ok = /^(nats|tls):\/\/./.test(u);
        try {
          new URL(u);
        } catch {
          ok = false;
        }
        if (!ok) throw invalid(k, r.replace(/:[^:@/]*@/, ':***@'), 'is neither `local` nor nats:// URLs (comma-separated)');
      }
      return r;
    },
    doc: 'What carries messages between nodes (deploy invalidation, live logs): empty (or `local`) for the in-process bus of a single node; `nats://host:4222` (several URLs comma-separated; `nats://user:password@host`) for NATS with JetStream, which every node of a cluster must share (docs/cluster.md). The node refuses to start when the server cannot be reached (NIMBUS_ERR_BUS_UNAVAILABLE).',
  },
  {
    key: 'leaseMs',
    flag: '--lease-time',
    env: 'NIMBUS_LEASE_TIME',
    default: 15_000,
    parse: durationIn(1_000, 600_000),
    doc: 'How long what one node owns lasts without renewal: the cron lease, each workflow execution it drives, and its heartbeat (a node silent this long counts as dead and its async items run elsewhere). Renewed every third of it; a node that dies has its work taken over within about this time (docs/cluster.md). Every node of a cluster should use the same value.',
  },
  { key: 'deployExamples', flag: '--examples', env: 'NIMBUS_EXAMPLES', default: true, parse: boolean, doc: 'Deploy the functions in examples/ on start (`--no-examples` to skip).' },
  { key: 'logLevel', flag: '--log-level', env: 'NIMBUS_LOG_LEVEL', default: 'info', parse: (r, k) => { if (!(LOG_LEVELS as readonly string[]).includes(r)) throw invalid(k, r, `is not one of ${LOG_LEVELS.join(', ')}`); return r as Config['logLevel']; }, doc: 'Level of the platform\'s own log (JSON lines on stderr).' },
  { key: 'payloadLimitBytes', flag: '--payload-limit', env: 'NIMBUS_PAYLOAD_LIMIT', default: 6 * 1024 * 1024, parse: bytesIn(1024, 1024 ** 3), doc: 'Largest request or response body of a synchronous invocation, streamed bodies included (counted as they pass), and of an outbound fetch.' },
  { key: 'wsMessageLimitBytes', flag: '--ws-message-limit', env: 'NIMBUS_WS_MESSAGE_LIMIT', default: 1024 * 1024, parse: bytesIn(1024, 1024 ** 3), doc: 'Largest WebSocket message a function\'s socket takes or sends; past it the socket is closed with 1009.' },
  { key: 'wsIdleTimeoutMs', flag: '--ws-idle-timeout', env: 'NIMBUS_WS_IDLE_TIMEOUT', default: 60_000, parse: durationIn(100, 86_400_000), doc: 'How long a function\'s WebSocket may pass no message either way; past it the socket is closed with 1000 "idle timeout".' },
  { key: 'apiBodyLimitBytes', flag: '--api-body-limit', env: 'NIMBUS_API_BODY_LIMIT', default: 16 * 1024 * 1024, parse: bytesIn(1024, 1024 ** 3), doc: 'Largest body the control API accepts (deploys carry code).' },
  { key: 'headersTimeoutMs', flag: '--headers-timeout', env: 'NIMBUS_HEADERS_TIMEOUT', default: 30_000, parse: durationIn(100, 600_000), doc: 'How long a client may take to send a request\'s headers; past it the answer is a 408 problem (NIMBUS_ERR_REQUEST_TIMEOUT) and the connection closes.' },
  { key: 'bodyTimeoutMs', flag: '--body-timeout', env: 'NIMBUS_BODY_TIMEOUT', default: 30_000, parse: durationIn(100, 3_600_000), doc: 'How long a request body (to `/fn` or the API) may take to arrive once its headers have; past it the answer is a 408 problem (NIMBUS_ERR_REQUEST_TIMEOUT), the bytes are dropped and the connection closes. At the default, a 6 MB body needs about 1.6 Mbit/s.' },
  { key: 'bodyBudgetBytes', flag: '--body-budget', env: 'NIMBUS_BODY_BUDGET', default: 128 * 1024 * 1024, parse: bytesIn(1024, 1024 ** 4), doc: 'Bytes of request bodies being received by all requests together (a declared Content-Length counts in full from the start); a request past it is a 503 problem (NIMBUS_ERR_BODY_BUDGET, Retry-After) before its body is read. It may not be below `--payload-limit` or `--api-body-limit` (the start is refused).' },
  { key: 'logLimitBytes', flag: '--log-limit', env: 'NIMBUS_LOG_LIMIT', default: 64 * 1024, parse: bytesIn(256, 16 * 1024 * 1024), doc: 'Console output kept per invocation; past it a truncation marker is recorded.' },
  { key: 'queueLimit', flag: '--queue-limit', env: 'NIMBUS_QUEUE_LIMIT', default: 100, parse: integer(0, 100_000), doc: 'Requests that may wait per function when every instance is busy; past it callers get 429.' },
  { key: 'maxTotalInstances', flag: '--max-instances', env: 'NIMBUS_MAX_INSTANCES', default: 1000, parse: integer(1, 1_000_000), doc: 'Platform-wide cap on live instances.' },
  { key: 'memoryBudgetMb', flag: '--memory-budget', env: 'NIMBUS_MEMORY_BUDGET_MB', default: 16_384, parse: megabytesIn(64, 16_777_216), doc: 'Platform-wide cap on the sum of live instances\' memory limits, in MB (or a size: `32g`).' },
  // Short on purpose: under load V8 scavenges about every 60 ms, and records that wait longer
  // are copied and promoted; at 200 ms that cost ~18 µs of CPU a request (bench/README.md).
  { key: 'recordFlushMs', flag: '--record-flush', env: 'NIMBUS_RECORD_FLUSH', default: 20, parse: durationIn(1, 60_000), doc: 'How often buffered invocation records are written to the store.' },
  { key: 'drainTimeoutMs', flag: '--drain-timeout', env: 'NIMBUS_DRAIN_TIMEOUT', default: 30_000, parse: durationIn(0, 3_600_000), doc: 'On shutdown, how long in-flight invocations may finish before instances are stopped.' },
  { key: 'defaultMemoryMb', flag: '--default-memory', env: 'NIMBUS_DEFAULT_MEMORY_MB', default: 128, parse: integer(MEMORY_MB.min, MEMORY_MB.max), doc: 'Memory of a function deployed without `--memory`, in MB (16 to 8192, as for `--memory`).' },
  { key: 'defaultTimeoutMs', flag: '--default-timeout', env: 'NIMBUS_DEFAULT_TIMEOUT', default: 30_000, parse: durationIn(1, 900_000), doc: 'Timeout of a function deployed without `--timeout`.' },
  { key: 'defaultIdleTimeoutMs', flag: '--default-idle', env: 'NIMBUS_DEFAULT_IDLE', default: 60_000, parse: durationIn(0, 86_400_000), doc: 'How long an idle instance is kept before it is retired (scale to zero).' },
  { key: 'scaleStableWindowMs', flag: '--scale-window', env: 'NIMBUS_SCALE_WINDOW', default: 60_000, parse: durationIn(1000, 3_600_000), doc: 'Autoscaler stable window: demand is averaged over it, and panic mode lasts this long after its last trigger.' },
  { key: 'scalePanicWindowMs', flag: '--scale-panic-window', env: 'NIMBUS_SCALE_PANIC_WINDOW', default: 6_000, parse: durationIn(100, 3_600_000), doc: 'Autoscaler panic window: bursts are detected over it (must not exceed the stable window).' },
  { key: 'appHostNetwork', flag: '--app-host-network', env: 'NIMBUS_APP_HOST_NETWORK', default: false, parse: boolean, doc: 'Run `app` and `node` processes on the host network instead of a network namespace each: the loopback, private and metadata rules of isolates then do not apply to their sockets. Where the host cannot make network namespaces (bubblewrap with --unshare-net), app and node deploys are refused (NIMBUS_ERR_VALIDATION) without it. docs/apps.md, Network.' },
  { key: 'metricsPublic', flag: '--metrics-public', env: 'NIMBUS_METRICS_PUBLIC', default: false, parse: boolean, doc: '`GET /metrics` without the bearer token (for a scraper that cannot send one). By default it needs the token, like the control API: function names and traffic are not for everyone who can reach `/fn`.' },
  { key: 'console', flag: '--console', env: 'NIMBUS_CONSOLE', default: true, parse: boolean, doc: 'The web console at `/console` (docs/console.md): static files served by the gateway under a strict Content-Security-Policy; it logs in with the API token and does everything through the REST API, so the files are public but nothing they show is. `--no-console` answers `/console` with 404.' },
  { key: 'awsAccountId', flag: '--aws-account-id', env: 'NIMBUS_AWS_ACCOUNT_ID', default: '000000000000', parse: (r, k) => { if (!/^\d{12}$/.test(r)) throw invalid(k, r, 'is not a 12-digit AWS account id'); return r; }, doc: 'Account id in the ARNs the AWS-compatible endpoint answers with (docs/aws.md); any 12 digits.' },
  { key: 'awsRegion', flag: '--aws-region', env: 'NIMBUS_AWS_REGION', default: 'us-east-1', parse: (r, k) => { if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(r)) throw invalid(k, r, 'is not a region name such as us-east-1'); return r; }, doc: 'Region of the AWS-compatible endpoint: in its ARNs, and the region requests must be signed for (SigV4 credential scope).' },
  { key: 'observability', flag: '--observability', env: 'NIMBUS_OBSERVABILITY', default: true, parse: boolean, doc: 'Invocation records, function logs, metrics, usage and alerts (docs/observability.md). `--no-observability` turns them all off (the benchmark of their cost does).' },
  { key: 'rejectionLogs', flag: '--rejection-logs', env: 'NIMBUS_REJECTION_LOGS', default: true, parse: boolean, doc: 'Log the unhandled promise rejections of isolate functions (docs/runtime.md, Errors). It costs each entry into an isolate a few µs of the platform\'s thread (bench/README.md); `--no-rejection-logs` leaves them unlogged, as before.' },
  { key: 'recordRetentionMs', flag: '--record-retention', env: 'NIMBUS_RECORD_RETENTION', default: 7 * 86_400_000, parse: durationIn(60_000, 3650 * 86_400_000), doc: 'Invocation records (and their logs) older than this are deleted. Usage is kept.' },
  { key: 'executionRetentionMs', flag: '--execution-retention', env: 'NIMBUS_EXECUTION_RETENTION', default: 90 * 86_400_000, parse: durationIn(60_000, 3650 * 86_400_000), doc: 'Ended workflow executions (with their history) are deleted this long after they ended; running ones never are.' },
  { key: 'recordRetentionCount', flag: '--record-keep', env: 'NIMBUS_RECORD_KEEP', default: 1_000_000, parse: integer(1, 1_000_000_000), doc: 'At most this many invocation records are kept (the newest).' },
  { key: 'prices', flag: '--prices', env: 'NIMBUS_PRICES', default: '', parse: (r) => r, doc: 'Price sheet: a JSON or YAML file, or inline JSON (docs/observability.md). Empty: public-cloud-like default prices with a monthly free tier.' },
  { key: 'alertRules', flag: '--alerts', env: 'NIMBUS_ALERTS', default: '', parse: (r) => r, doc: 'Alert rules: a JSON or YAML file (a list of rules, docs/observability.md), loaded on each start next to those made by API or CLI.' },
  { key: 'alertWebhook', flag: '--alert-webhook', env: 'NIMBUS_ALERT_WEBHOOK', default: '', parse: (r, k) => { if (r !== '' && !/^https?:\/\//.test(r)) throw invalid(k, r, 'is not an http(s) URL'); return r; }, doc: 'URL that alert firing and resolving are POSTed to (JSON, retried with backoff). Empty: alerts are only recorded.' },
  { key: 'alertIntervalMs', flag: '--alert-interval', env: 'NIMBUS_ALERT_INTERVAL', default: 15_000, parse: durationIn(100, 3_600_000), doc: 'How often alert rules are evaluated.' },
  {
    key: 'egressAllow',
    flag: '--egress-allow',
    env: 'NIMBUS_EGRESS_ALLOW',
    default: '',
    parse: (r, k) => {
      try {
        parseEgressAllow(r);
      } catch (e) {
        throw invalid(k, r, `cannot be read: ${(e as Error).message}`);
      }
      return r;
    },
    doc: "What functions' outbound fetch may reach besides public addresses: comma-separated host names (`db.internal`, `*.corp.example`), addresses (`127.0.0.1`) and ranges (`10.0.0.0/8`); `*` allows everything. By default loopback, private, link-local, the host's own and other non-public addresses are refused (the platform's own event and task-callback endpoints excepted); workflow HTTP tasks follow the same rule. docs/runtime.md, Outbound fetch.",
  },
  {
    key: 'secretsKey',
    flag: '--secrets-key',
    env: 'NIMBUS_SECRETS_KEY',
    default: '',
    // The value is a key: an error names the setting, never the value.
    parse: (r, k) => {
      if (r !== '' && !parseSecretsKey(r)) throw new NimbusError('NIMBUS_ERR_VALIDATION', `config ${k}: must be 32 bytes, as 64 hex digits or base64`, { extra: { field: k } });
      return r;
    },
    doc: "Key that encrypts functions' secrets at rest (AES-256-GCM): 64 hex digits or 32 bytes in base64. Prefer the environment variable to the flag (a flag shows in the process list). Empty: the key in `secrets.key` in the data directory, made on first start with mode 0600. Secrets stored with one key do not open with another (docs/releases.md).",
  },
];

/**
 * Reads `argv` flags (`--port 9000`, `--port=9000`, `--no-examples`) and `env`
 * variables; unknown flags are an error so typos do not pass silently.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, argv: readonly string[], cwd: string): Config {
  const flags = parseFlags(argv);
  const out: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const raw = flags.get(field.flag) ?? env[field.env];
    out[field.key] = raw === undefined ? field.default : field.parse(raw, field.key);
  }
  // A budget below the largest body allowed would answer that body 503 forever.
  const largest = Math.max(out.payloadLimitBytes as number, out.apiBodyLimitBytes as number);
  if ((out.bodyBudgetBytes as number) < largest) {
    throw invalid('bodyBudgetBytes', String(out.bodyBudgetBytes), `is below the largest body allowed (${largest} bytes, --payload-limit / --api-body-limit); raise it or lower those`);
  }
  const dataDir = out.dataDir as string;
  out.dataDir = isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir);
  const appsDir = out.appsDir as string;
  if (appsDir !== '') out.appsDir = isAbsolute(appsDir) ? appsDir : resolve(cwd, appsDir);
  return Object.freeze(out) as unknown as Config;
}

function parseFlags(argv: readonly string[]): Map<string, string> {
  const known = new Set(FIELDS.map((f) => f.flag));
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw invalid('argv', arg, 'is not a flag; flags look like --port 8080');
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg : arg.slice(0, eq);
    let value: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (name.startsWith('--no-') && value === undefined && known.has('--' + name.slice(5))) {
      name = '--' + name.slice(5);
      value = 'false';
    }
    if (!known.has(name)) {
      throw invalid('argv', arg, `is not a known flag; known: ${[...known].join(' ')}`);
    }
    if (value === undefined) {
      const next = argv[i + 1];
      const field = FIELDS.find((f) => f.flag === name);
      if (field?.parse === boolean && (next === undefined || next.startsWith('--'))) value = 'true';
      else if (next === undefined) throw invalid(name.slice(2), '', 'needs a value');
      else value = argv[++i];
    }
    flags.set(name, value);
  }
  return flags;
}
