/**
 * JSON Schemas (2020-12) of the API's bodies. They are the OpenAPI document's
 * components AND what request bodies are validated with (ajv), so the two agree.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { NimbusError } from '../core/errors.ts';
import { MEMORY_MB } from '../core/types.ts';
import { ASYNC_SCHEMAS } from './async-openapi.ts';
import { RELEASE_SCHEMAS } from './releases-openapi.ts';
import { WORKFLOW_SCHEMAS } from './workflows-openapi.ts';
import { OBSERVE_SCHEMAS } from './observe-openapi.ts';

const functionConfig = {
  type: 'object',
  additionalProperties: false,
  properties: {
    memoryMb: { type: 'integer', minimum: MEMORY_MB.min, maximum: MEMORY_MB.max, description: 'Memory limit of one instance in MB (default 128).' },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 900000, description: 'Wall-clock limit of one invocation, counted from when an instance takes it (default 30000); also how long a request waits for a busy instance.' },
    cpuLimitMs: { type: 'integer', minimum: 1, maximum: 900000, description: 'CPU-time limit of one invocation (default: the timeout).' },
    env: { type: 'object', additionalProperties: { type: 'string' }, description: 'Variables passed as `env` / `context.env`.' },
    concurrency: { type: 'integer', minimum: 1, maximum: 1000, description: 'Hard limit of invocations per instance (default 10).' },
    targetConcurrency: { type: 'integer', minimum: 1, maximum: 1000, description: 'Per-instance concurrency the scaler aims for (default 70% of concurrency).' },
    minInstances: { type: 'integer', minimum: 0, maximum: 10000, description: 'Instances kept warm (default 0: scale to zero).' },
    maxInstances: { type: 'integer', minimum: 1, maximum: 10000, description: 'Instances never exceeded (default 100).' },
    idleTimeoutMs: { type: 'integer', minimum: 0, maximum: 86400000, description: 'Idle time before an instance is retired (default 60000).' },
    scaleDownDelayMs: { type: 'integer', minimum: 0, maximum: 3600000, description: 'A scale down follows the most instances asked for over this long; 0: at once. Not applied to scale to zero (default 30000).' },
    runtime: { type: 'string', enum: ['isolate', 'node', 'app'], description: '`isolate` (default): a JS module in a V8 isolate; `node`: the same module in a Node process with all of Node; `app`: any HTTP server command as a sandboxed process (docs/apps.md).' },
    app: {
      type: 'object',
      additionalProperties: false,
      description: 'How an `app` is started and reached (runtime `app` only).',
      properties: {
        command: { type: 'string', minLength: 1, maxLength: 4096, description: 'Start command, run by /bin/sh in the app directory with PORT and HOST set.' },
        readinessPath: { type: 'string', description: 'A path answered 2xx/3xx once ready; absent: ready when PORT accepts a TCP connection.' },
        eventPath: { type: 'string', description: 'Where events, async and workflow invocations are POSTed as JSON (default "/").' },
        startTimeoutMs: { type: 'integer', minimum: 100, maximum: 300000, description: 'Time an instance has to become ready (default 10000).' },
        graceMs: { type: 'integer', minimum: 0, maximum: 600000, description: 'Time between SIGTERM and SIGKILL when an instance retires (default 5000).' },
      },
    },
  },
} as const;

export const SCHEMAS = {
  FunctionConfig: functionConfig,
  DeployRequest: {
    type: 'object',
    additionalProperties: false,
    required: ['source'],
    properties: {
      source: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['files', 'entry'],
            description: 'Source files, bundled by the server; relative imports only.',
            properties: {
              files: { type: 'object', additionalProperties: { type: 'string' }, minProperties: 1 },
              entry: { type: 'string', minLength: 1 },
            },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['app'],
            description: 'The files of an `app` (config.runtime "app"), as `nimbus deploy --runtime app` sends a directory.',
            properties: {
              app: {
                type: 'object',
                additionalProperties: false,
                required: ['files'],
                properties: {
                  files: { type: 'object', additionalProperties: { type: 'string', contentEncoding: 'base64' }, minProperties: 1, description: 'Relative path → content in base64.' },
                  executable: { type: 'array', items: { type: 'string' }, description: 'Paths unpacked with the executable bit.' },
                },
              },
            },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['bundle'],
            description: 'A bundle made by `nimbus deploy` (esbuild IIFE assigning globalThis.__nimbus_module), with its source map.',
            properties: {
              bundle: { type: 'string', minLength: 1 },
              sourceMap: { type: 'string', description: "The bundle's source map (v3 JSON; sources content not needed): uncaught errors are logged with source positions." },
              packages: {
                type: 'object',
                additionalProperties: false,
                required: ['files'],
                description:
                  'Runtime "node" only: the packages the bundle leaves to `require` (native addons), as files beside it, paths under `node_modules/` (docs/apps.md, Native addons). Stored with the bundle as the version\'s code, and bounded with it by --api-body-limit.',
                properties: {
                  files: { type: 'object', additionalProperties: { type: 'string', contentEncoding: 'base64' }, minProperties: 1, description: 'Path (`node_modules/<package>/…`) → content in base64.' },
                  executable: { type: 'array', items: { type: 'string' }, description: 'Paths unpacked with the executable bit.' },
                },
              },
            },
          },
        ],
      },
      config: { $ref: '#/components/schemas/FunctionConfig' },
      async: { anyOf: [{ $ref: '#/components/schemas/AsyncPolicyInput' }, { type: 'null' }], description: 'Async policy (docs/triggers.md); null resets it. Absent: unchanged.' },
      triggers: { type: 'array', items: { $ref: '#/components/schemas/TriggerInput' }, description: 'Declared triggers; replace those of the previous deploy. Absent: unchanged.' },
    },
  },
  FunctionVersion: {
    type: 'object',
    required: ['functionName', 'version', 'hash', 'codeHash', 'codeBytes', 'config', 'exports', 'createdAt'],
    properties: {
      functionName: { type: 'string' },
      version: { type: 'integer' },
      hash: { type: 'string' },
      codeHash: { type: 'string' },
      codeBytes: { type: 'integer' },
      config: { type: 'object' },
      exports: {
        type: 'object',
        required: ['fetch', 'handler'],
        properties: { fetch: { type: 'boolean' }, handler: { type: 'boolean' } },
      },
      createdAt: { type: 'integer', description: 'Epoch ms.' },
    },
  },
  DeployResult: {
    type: 'object',
    required: ['name', 'version', 'created', 'warnings', 'url'],
    properties: {
      name: { type: 'string' },
      version: { $ref: '#/components/schemas/FunctionVersion' },
      created: { type: 'boolean', description: 'false when the deploy was identical to the current version (no-op).' },
      warnings: { type: 'array', items: { type: 'string' } },
      url: { type: 'string', description: 'Where the function answers HTTP.' },
    },
  },
  FunctionSummary: {
    type: 'object',
    required: ['name', 'currentVersion', 'createdAt', 'updatedAt'],
    properties: {
      name: { type: 'string' },
      currentVersion: { type: 'integer' },
      createdAt: { type: 'integer' },
      updatedAt: { type: 'integer' },
      config: { type: 'object', description: 'The current version\'s config, as deployed.' },
      scaleOverride: { type: ['object', 'null'], description: 'Scaling settings set live with `nimbus scale` / PUT …/scale, applied over the version\'s config (which shows what was deployed); null when there are none.' },
      instances: { type: 'integer' },
    },
  },
  FunctionDetail: {
    type: 'object',
    required: ['name', 'currentVersion', 'current', 'versions', 'pools', 'url'],
    properties: {
      name: { type: 'string' },
      currentVersion: { type: 'integer' },
      createdAt: { type: 'integer' },
      updatedAt: { type: 'integer' },
      url: { type: 'string' },
      current: { $ref: '#/components/schemas/FunctionVersion' },
      versions: { type: 'array', items: { $ref: '#/components/schemas/FunctionVersion' } },
      scaleOverride: { type: ['object', 'null'], description: 'Scaling settings set live with `nimbus scale` / PUT …/scale, applied over the version\'s config (which shows what was deployed); null when there are none.' },
      pools: { type: 'array', items: { type: 'object' } },
      aliases: { type: 'array', items: { $ref: '#/components/schemas/Alias' }, description: 'The function\'s aliases (docs/releases.md).' },
      secrets: { type: 'array', items: { type: 'string' }, description: 'Names of the current version\'s secrets; never their values.' },
    },
  },
  ScaleRequest: {
    type: 'object',
    additionalProperties: false,
    minProperties: 1,
    description: 'Scaling settings changed live, without a new version. A number sets the field; null goes back to the version\'s value.',
    properties: {
      targetConcurrency: { type: ['integer', 'null'], minimum: 1, maximum: 1000, description: 'Concurrency one instance should carry (soft; ≤ concurrency).' },
      concurrency: { type: ['integer', 'null'], minimum: 1, maximum: 1000, description: 'Hard limit of invocations per instance.' },
      minInstances: { type: ['integer', 'null'], minimum: 0, maximum: 10000, description: 'Instances kept warm.' },
      maxInstances: { type: ['integer', 'null'], minimum: 1, maximum: 10000, description: 'Instances never exceeded.' },
      idleTimeoutMs: { type: ['integer', 'null'], minimum: 0, maximum: 86400000, description: 'No request for this long: scale to zero (down to minInstances).' },
      scaleDownDelayMs: { type: ['integer', 'null'], minimum: 0, maximum: 3600000, description: 'A scale down follows the most instances asked for over this long; 0: at once.' },
    },
  },
  ScaleSettings: {
    type: 'object',
    required: ['targetConcurrency', 'concurrency', 'minInstances', 'maxInstances', 'idleTimeoutMs', 'scaleDownDelayMs'],
    properties: {
      targetConcurrency: { type: 'integer' },
      concurrency: { type: 'integer' },
      minInstances: { type: 'integer' },
      maxInstances: { type: 'integer' },
      idleTimeoutMs: { type: 'integer' },
      scaleDownDelayMs: { type: 'integer' },
    },
  },
  ScaleDecision: {
    type: 'object',
    required: ['at', 'version', 'trigger', 'desired', 'current', 'ready', 'starting', 'mode', 'boundBy', 'limitedBy', 'reason'],
    properties: {
      at: { type: 'integer', description: 'Epoch ms.' },
      version: { type: 'integer' },
      trigger: { type: 'string', enum: ['tick', 'demand', 'deploy', 'settings'], description: 'The periodic tick, requests queueing, a deploy (min instances), or a live settings change.' },
      desired: { type: 'integer', description: 'Instances wanted (ready + starting).' },
      current: { type: 'integer', description: 'ready + starting when decided.' },
      ready: { type: 'integer' },
      starting: { type: 'integer' },
      mode: { type: 'string', enum: ['stable', 'panic'] },
      boundBy: {
        type: 'string',
        enum: ['none', 'panic-hold', 'idle-grace', 'activation', 'backlog', 'drain', 'scale-down-delay', 'rate-up', 'rate-down', 'min', 'max', 'cluster-max'],
        description: 'What set the count last (docs/autoscaling.md).',
      },
      limitedBy: { type: ['string', 'null'], enum: ['platform-instances', 'memory-budget', null], description: 'A platform cap that stopped the scale-up short.' },
      started: { type: 'integer' },
      retired: { type: 'integer' },
      stableConcurrency: { type: 'number', description: 'Average in flight + queued over the stable window.' },
      panicConcurrency: { type: 'number', description: 'Average over the panic window.' },
      currentConcurrency: { type: 'number', description: 'In flight + queued when decided.' },
      reason: { type: 'string', description: 'Every step that shaped the count.' },
    },
  },
  ScaleStatus: {
    type: 'object',
    required: ['name', 'version', 'settings', 'versionSettings', 'override', 'maxInstancesEffective', 'current', 'desired', 'ready', 'starting', 'draining', 'inFlight', 'queued', 'mode', 'latest', 'decisions'],
    properties: {
      name: { type: 'string' },
      version: { type: 'integer', description: 'The current version.' },
      settings: { $ref: '#/components/schemas/ScaleSettings', description: 'Effective: the version\'s settings with the live override on top.' },
      versionSettings: { $ref: '#/components/schemas/ScaleSettings' },
      override: { type: ['object', 'null'], description: 'Fields set by `nimbus scale` / PATCH; null when none.' },
      maxInstancesEffective: { type: 'integer', description: 'maxInstances after the platform cap.' },
      platform: {
        type: ['object', 'null'],
        description: 'Platform-wide instances and memory in use, and their caps.',
        properties: { instances: { type: 'integer' }, memoryMb: { type: 'integer' }, maxInstances: { type: 'integer' }, memoryBudgetMb: { type: 'integer' } },
      },
      current: { type: 'integer', description: 'ready + starting, all versions.' },
      desired: { type: 'integer', description: 'What the last decision asked for.' },
      ready: { type: 'integer' },
      starting: { type: 'integer' },
      draining: { type: 'integer', description: 'Retired instances finishing their in-flight work.' },
      inFlight: { type: 'integer' },
      queued: { type: 'integer' },
      mode: { type: ['string', 'null'], enum: ['stable', 'panic', null] },
      latest: { oneOf: [{ $ref: '#/components/schemas/ScaleDecision' }, { type: 'null' }], description: 'The last decision, changed or not.' },
      decisions: { type: 'array', items: { $ref: '#/components/schemas/ScaleDecision' }, description: 'The last decisions that changed something, newest first.' },
    },
  },
  LogLine: {
    type: 'object',
    required: ['t', 'level', 'msg'],
    properties: { t: { type: 'integer' }, level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'] }, msg: { type: 'string' } },
  },
  InvocationRecord: {
    type: 'object',
    required: ['id', 'functionName', 'version', 'trigger', 'startedAt', 'durationMs', 'billedMs', 'status', 'coldStart', 'initMs', 'logs', 'logsTruncated'],
    properties: {
      id: { type: 'string' },
      functionName: { type: 'string' },
      version: { type: 'integer' },
      trigger: { type: 'string', enum: ['http', 'api', 'async', 'cron', 'event', 'workflow', 'background', 'instance'] },
      triggerSource: { type: 'string' },
      startedAt: { type: 'integer' },
      durationMs: { type: 'number' },
      billedMs: { type: 'integer' },
      memoryMb: { type: 'integer' },
      status: { type: 'string', enum: ['success', 'error', 'timeout', 'cpu_limit', 'memory_limit', 'crashed', 'throttled'] },
      statusCode: { type: ['integer', 'null'] },
      errorCode: { type: ['string', 'null'] },
      errorName: { type: ['string', 'null'] },
      errorMessage: { type: ['string', 'null'] },
      coldStart: { type: 'boolean' },
      initMs: { type: 'number' },
      instanceId: { type: ['string', 'null'] },
      requestBytes: { type: 'integer' },
      responseBytes: { type: 'integer' },
      attempt: { type: 'integer' },
      logs: { type: 'array', items: { $ref: '#/components/schemas/LogLine' } },
      logsTruncated: { type: 'boolean' },
      cpuMs: { type: 'number', description: 'CPU time (ms): the instance\'s CPU between samples shared among the invocations in flight on it.' },
      peakMemoryBytes: { type: 'integer', description: 'Highest heap of the instance seen while this invocation ran (0: not sampled).' },
      occupancyMs: { type: 'number', description: 'This invocation\'s share of its instance\'s busy time.' },
      traceId: { type: ['string', 'null'], description: 'W3C trace id (32 hex).' },
      spanId: { type: ['string', 'null'], description: 'This invocation\'s span (16 hex).' },
      parentSpanId: { type: ['string', 'null'], description: 'The caller\'s span from its traceparent; null at a trace root.' },
      alias: { type: ['string', 'null'], description: 'The alias the invocation came through (`live` for an unqualified call when the function has one); null when none.' },
      sockets: {
        type: 'object',
        description: 'The outbound TCP/TLS sockets (Node layer net/tls, cloudflare:sockets) this invocation used; absent when none. A socket\'s bytes count for the invocation that last wrote to it, or opened it.',
        required: ['opened', 'bytesIn', 'bytesOut'],
        properties: { opened: { type: 'integer', description: 'Sockets it opened.' }, bytesIn: { type: 'integer', description: 'Bytes received.' }, bytesOut: { type: 'integer', description: 'Bytes sent.' } },
      },
    },
  },
  InvocationList: {
    type: 'object',
    required: ['items'],
    properties: {
      items: { type: 'array', items: { $ref: '#/components/schemas/InvocationRecord' } },
      next: { type: ['string', 'null'], description: 'Pass as `before` for the next page.' },
    },
  },
  Problem: {
    type: 'object',
    required: ['type', 'title', 'status', 'detail', 'code', 'retryable'],
    properties: {
      type: { type: 'string' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      code: { type: 'string', pattern: '^NIMBUS_ERR_[A-Z_]+$' },
      retryable: { type: 'boolean' },
      instance: { type: 'string' },
    },
  },
  ...ASYNC_SCHEMAS,
  ...RELEASE_SCHEMAS,
  ...WORKFLOW_SCHEMAS,
  ...OBSERVE_SCHEMAS,
} as const;

export type SchemaName = keyof typeof SCHEMAS;

const ajv = new Ajv2020({ allErrors: false, strict: false });
for (const [name, schema] of Object.entries(SCHEMAS)) ajv.addSchema(schema, `#/components/schemas/${name}`);

const compiled = new Map<SchemaName, ValidateFunction>();

export function validator(name: SchemaName): ValidateFunction {
  let v = compiled.get(name);
  if (!v) compiled.set(name, (v = ajv.getSchema(`#/components/schemas/${name}`) as ValidateFunction));
  return v;
}

/** Validates `value` against a named schema; throws a 400 that names the field. */
export function assertValid<T>(name: SchemaName, value: unknown): T {
  const validate = validator(name);
  if (!validate(value)) {
    const e = (validate.errors ?? [])[0] as ErrorObject | undefined;
    const field = e ? (e.instancePath.replace(/^\//, '').replaceAll('/', '.') || (e.params as { missingProperty?: string }).missingProperty || '(body)') : '(body)';
    const extra = e?.params && 'additionalProperty' in e.params ? ` (${(e.params as { additionalProperty: string }).additionalProperty})` : '';
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `${field}: ${e?.message ?? 'is invalid'}${extra}`, { extra: { field } });
  }
  return value as T;
}
