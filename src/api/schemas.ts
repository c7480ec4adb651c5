/**
 * JSON Schemas (2020-12) of the API's bodies. They are the OpenAPI document's
 * components AND what request bodies are validated with (ajv), so the two agree.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import { NimbusError } from '../core/errors.ts';

const functionConfig = {
  type: 'object',
  additionalProperties: false,
  properties: {
    memoryMb: { type: 'integer', minimum: 16, maximum: 8192, description: 'Memory limit of one instance in MB (default 128).' },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 900000, description: 'Wall-clock limit of one invocation (default 30000).' },
    cpuLimitMs: { type: 'integer', minimum: 1, maximum: 900000, description: 'CPU-time limit of one invocation (default: the timeout).' },
    env: { type: 'object', additionalProperties: { type: 'string' }, description: 'Variables passed as `env` / `context.env`.' },
    concurrency: { type: 'integer', minimum: 1, maximum: 1000, description: 'Hard limit of invocations per instance (default 10).' },
    targetConcurrency: { type: 'integer', minimum: 1, maximum: 1000, description: 'Per-instance concurrency the scaler aims for (default 70% of concurrency).' },
    minInstances: { type: 'integer', minimum: 0, maximum: 10000, description: 'Instances kept warm (default 0: scale to zero).' },
    maxInstances: { type: 'integer', minimum: 1, maximum: 10000, description: 'Instances never exceeded (default 100).' },
    idleTimeoutMs: { type: 'integer', minimum: 0, maximum: 86400000, description: 'Idle time before an instance is retired (default 60000).' },
    runtime: { type: 'string', enum: ['isolate'] },
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
            required: ['bundle'],
            description: 'A bundle made by `nimbus deploy` (esbuild IIFE assigning globalThis.__nimbus_module).',
            properties: { bundle: { type: 'string', minLength: 1 } },
          },
        ],
      },
      config: { $ref: '#/components/schemas/FunctionConfig' },
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
      config: { type: 'object' },
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
      pools: { type: 'array', items: { type: 'object' } },
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
      trigger: { type: 'string', enum: ['http', 'api', 'async', 'cron', 'event', 'workflow'] },
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
