/**
 * OpenAPI paths and component schemas of the observability routes (logs, usage, top,
 * alerts); spread into openapi.ts and schemas.ts so the document stays one.
 */
import { common, json, problem } from './openapi-parts.ts';

const off = problem('Observability is switched off (NIMBUS_ERR_OBSERVABILITY_OFF).');
const sinceParam = (what: string) => ({ name: 'since', in: 'query', schema: { type: 'string' }, description: `${what}: an age (15m, 7d), an ISO date, or epoch ms.` });
const usageAmounts = {
  requests: { type: 'integer', description: 'Invocations that ran (throttled ones excluded).' },
  errors: { type: 'integer' },
  throttles: { type: 'integer' },
  coldStarts: { type: 'integer' },
  billedMs: { type: 'integer' },
  gbSeconds: { type: 'number', description: 'Configured memory (GB) x billed duration (s).' },
  cpuMs: { type: 'number' },
  occupancyGbSeconds: { type: 'number', description: 'Configured memory (GB) x the time instances were busy (s), shared among concurrent invocations.' },
  instanceGbSeconds: { type: 'number', description: 'Configured memory (GB) x the time process instances (apps) were up, idle included (s): instance-based occupancy, as Cloud Run and SAE bill; not priced.' },
};
const amountKeys = Object.keys(usageAmounts);

/** What `nimbus top` shows of a function, and of all of them together. */
const TOP_FIGURES = {
  rps: { type: 'number' },
  requests: { type: 'integer' },
  errors: { type: 'integer' },
  errorRate: { type: 'number' },
  throttles: { type: 'integer' },
  coldStarts: { type: 'integer' },
  p50Ms: { type: ['number', 'null'] },
  p99Ms: { type: ['number', 'null'] },
  instances: { type: 'integer' },
  starting: { type: 'integer' },
  inFlight: { type: 'integer' },
  queued: { type: 'integer' },
};
const TOP_REQUIRED = ['rps', 'requests', 'errors', 'errorRate', 'throttles', 'coldStarts', 'p50Ms', 'p99Ms', 'instances', 'inFlight'];

export const OBSERVE_SCHEMAS = {
  LogEntry: {
    type: 'object',
    required: ['t', 'level', 'msg', 'invocationId', 'functionName'],
    properties: {
      t: { type: 'integer', description: 'Epoch ms.' },
      level: { type: 'string', enum: ['debug', 'info', 'warn', 'error'] },
      msg: { type: 'string' },
      invocationId: { type: 'string' },
      functionName: { type: 'string' },
      data: { description: 'The line parsed, when the function logged an object (the line is JSON).' },
    },
  },
  UsageLine: {
    type: 'object',
    required: ['function', 'period', ...amountKeys, 'cost', 'grossCost'],
    properties: {
      function: { type: ['string', 'null'], description: 'null when grouped by day only (or in the total).' },
      period: { type: ['integer', 'null'], description: 'Start of the day or hour (epoch ms); null when grouped by function.' },
      ...usageAmounts,
      cost: { type: 'number', description: 'After the free tier (used up in time order within each month).' },
      grossCost: { type: 'number', description: 'At list price.' },
    },
  },
  UsageReport: {
    type: 'object',
    required: ['since', 'until', 'by', 'currency', 'prices', 'items', 'total'],
    properties: {
      since: { type: 'integer' },
      until: { type: 'integer' },
      by: { type: 'string', enum: ['function', 'day', 'hour', 'function-day'] },
      currency: { type: 'string' },
      prices: { type: 'object', description: 'The price sheet in force (docs/observability.md).' },
      items: { type: 'array', items: { $ref: '#/components/schemas/UsageLine' } },
      total: { $ref: '#/components/schemas/UsageLine' },
    },
  },
  TopRow: {
    type: 'object',
    required: ['function', ...TOP_REQUIRED],
    properties: { function: { type: 'string' }, ...TOP_FIGURES },
  },
  TopTotal: {
    type: 'object',
    required: TOP_REQUIRED,
    properties: TOP_FIGURES,
  },
  AlertRuleInput: {
    type: 'object',
    required: ['metric', 'threshold'],
    properties: {
      metric: { type: 'string', enum: ['error_rate', 'p99_duration_ms', 'throttles', 'dlq_size', 'cost_per_day', 'invocations', 'cold_starts'] },
      function: { type: 'string', description: 'Only this function (default: all).' },
      window: { type: ['string', 'integer'], description: 'e.g. "5m" (default); from 5 s (one slot of the recent window) to 1 h.' },
      op: { type: 'string', enum: ['>', '>=', '<', '<='], description: 'Default ">".' },
      threshold: { type: 'number' },
      for: { type: ['string', 'integer'], description: 'Fire only after the condition held this long (default 0).' },
      minRequests: { type: 'integer', description: 'error_rate and p99 need this many requests in the window (default 1).' },
    },
  },
  AlertEvent: {
    type: 'object',
    required: ['id', 'rule', 'kind', 'at', 'value', 'detail', 'delivered'],
    properties: {
      id: { type: 'string' },
      rule: { type: 'string' },
      kind: { type: 'string', enum: ['firing', 'resolved'] },
      at: { type: 'integer' },
      value: { type: ['number', 'null'] },
      detail: { type: 'string' },
      delivered: { type: 'boolean', description: 'The webhook accepted it.' },
    },
  },
  Alert: {
    type: 'object',
    required: ['rule', 'origin', 'description', 'state'],
    properties: {
      rule: { type: 'object', required: ['name', 'metric', 'windowMs', 'op', 'threshold', 'forMs'], properties: { name: { type: 'string' } } },
      origin: { type: 'string', enum: ['api', 'config'] },
      description: { type: 'string' },
      state: {
        type: 'object',
        required: ['status', 'since', 'value'],
        properties: { status: { type: 'string', enum: ['ok', 'pending', 'firing'] }, since: { type: 'integer' }, value: { type: ['number', 'null'] } },
      },
    },
  },
} as const;

export const OBSERVE_PATHS = {
  '/api/v1/logs': {
    get: {
      operationId: 'listLogs',
      summary:
        'Function logs (console output), oldest first, each line with its invocation id, level and time. With `follow=true` (or `Accept: text/event-stream`) the answer is a Server-Sent Events stream: the last lines (10 unless `limit` says otherwise, as `tail -f`), an `event: ready`, then lines live as functions write them.',
      parameters: [
        { name: 'function', in: 'query', schema: { type: 'string' }, description: 'Only this function.' },
        sinceParam('Only lines written at or after'),
        { name: 'level', in: 'query', schema: { type: 'string', enum: ['debug', 'info', 'warn', 'error'] }, description: 'This level and above.' },
        { name: 'grep', in: 'query', schema: { type: 'string' }, description: 'Only lines containing this text (case-insensitive).' },
        { name: 'invocation', in: 'query', schema: { type: 'string' }, description: 'Only this invocation.' },
        { name: 'follow', in: 'query', schema: { type: 'boolean' }, description: 'Stream (SSE).' },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 10000, default: 200 }, description: 'At most this many (the newest) lines of history; with follow, 10 unless given.' },
      ],
      responses: {
        '200': {
          description: 'The lines; or with follow, an SSE stream of `event: log` whose data is a LogEntry.',
          content: {
            'application/json': { schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/LogEntry' } } } } },
            'text/event-stream': { schema: { type: 'string' } },
          },
        },
        '400': problem('Invalid filter.'),
        '409': off,
        ...common,
      },
    },
  },
  '/api/v1/usage': {
    get: {
      operationId: 'getUsage',
      summary: 'Usage and cost: requests, GB-seconds, CPU-ms, instance-occupancy GB-seconds and cost (the price sheet), grouped by function, day or hour. `format=csv` answers CSV.',
      parameters: [
        sinceParam('From (default 7d)'),
        { name: 'until', in: 'query', schema: { type: 'string' }, description: 'Up to (default now); not before since.' },
        { name: 'by', in: 'query', schema: { type: 'string', enum: ['function', 'day', 'hour', 'function-day'], default: 'function' } },
        { name: 'function', in: 'query', schema: { type: 'string' }, description: 'Only this function.' },
        { name: 'format', in: 'query', schema: { type: 'string', enum: ['json', 'csv'] } },
      ],
      responses: {
        '200': { description: 'The report.', content: { 'application/json': { schema: { $ref: '#/components/schemas/UsageReport' } }, 'text/csv': { schema: { type: 'string' } } } },
        '400': problem('Invalid parameter.'),
        '409': off,
        ...common,
      },
    },
  },
  '/api/v1/top': {
    get: {
      operationId: 'getTop',
      summary: 'Live per-function figures over a recent window: requests/s, p50/p99 duration, errors, throttles, cold starts, instances, in flight; `total` is all functions together (percentiles over every invocation).',
      parameters: [{ name: 'window', in: 'query', schema: { type: 'string', default: '10s' }, description: '1s to 1h.' }],
      responses: {
        '200': {
          description: 'One row per function.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['at', 'windowMs', 'items', 'total'],
                properties: { at: { type: 'integer' }, windowMs: { type: 'integer' }, items: { type: 'array', items: { $ref: '#/components/schemas/TopRow' } }, total: { $ref: '#/components/schemas/TopTotal' } },
              },
            },
          },
        },
        '400': problem('Invalid window.'),
        '409': off,
        ...common,
      },
    },
  },
  '/api/v1/alerts': {
    get: {
      operationId: 'listAlerts',
      summary: 'Alert rules with their state (ok, pending, firing) and the latest events.',
      responses: {
        '200': {
          description: 'Rules and recent events.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['items', 'events'],
                properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Alert' } }, events: { type: 'array', items: { $ref: '#/components/schemas/AlertEvent' } } },
              },
            },
          },
        },
        '409': off,
        ...common,
      },
    },
  },
  '/api/v1/alerts/events': {
    get: {
      operationId: 'listAlertEvents',
      summary: 'Firing and resolving of alerts, newest first.',
      parameters: [
        { name: 'rule', in: 'query', schema: { type: 'string' }, description: 'Only this rule.' },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
      ],
      responses: {
        '200': {
          description: 'Events.',
          content: { 'application/json': { schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/AlertEvent' } } } } } },
        },
        '409': off,
        ...common,
      },
    },
  },
  '/api/v1/alerts/{name}': {
    put: {
      operationId: 'putAlert',
      summary: 'Create or replace an alert rule.',
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'Rule name.' }],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AlertRuleInput' } } } },
      responses: { '200': json('The rule and its state.', 'Alert'), '400': problem('Invalid rule (NIMBUS_ERR_VALIDATION names the field).'), '404': problem('The rule names a function that is not deployed (NIMBUS_ERR_FUNCTION_NOT_FOUND).'), '409': off, ...common },
    },
    delete: {
      operationId: 'deleteAlert',
      summary: 'Delete an alert rule (its events are kept).',
      parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'Rule name.' }],
      responses: { '204': { description: 'Deleted.' }, '404': problem('No such rule (NIMBUS_ERR_ALERT_RULE_NOT_FOUND).'), '409': off, ...common },
    },
  },
} as const;
