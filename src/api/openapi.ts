/**
 * The OpenAPI 3.1 document served at /api/v1/openapi.json. Component schemas come
 * from schemas.ts (the same ones requests are validated with); a test checks that
 * every route is documented, every documented operation is routed, and that real
 * responses match the documented schemas.
 */
import { beforeParam, common, json, nameParam, problem } from './openapi-parts.ts';
import { ASYNC_PATHS } from './async-openapi.ts';
import { RELEASE_PATHS } from './releases-openapi.ts';
import { WORKFLOW_PATHS } from './workflows-openapi.ts';
import { OBSERVE_PATHS } from './observe-openapi.ts';
import { AWS_KEY_PATHS } from './aws-keys-openapi.ts';
import { CLUSTER_PATHS } from './cluster-openapi.ts';
import { RUNTIME_PATHS } from './runtimes-openapi.ts';
import { SCHEMAS } from './schemas.ts';

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Nimbus control API',
    version: '1',
    description:
      'Deploy and manage functions, invoke them, and read their invocation records. Errors are RFC 7807 problems with stable NIMBUS_ERR_* codes (docs/errors.md). Any request with a body may also be answered 408 (NIMBUS_ERR_REQUEST_TIMEOUT: headers or body too slow), 503 (NIMBUS_ERR_BODY_BUDGET: too many bodies being received) or 400 (JSON nested deeper than 512 levels). A whole-number query parameter (`limit`, `after`, `since` as epoch ms, `version`, `next`) is decimal digits only and at most 2^53-1: `0x10`, `1e2`, ` 5` or an empty value is a 400 NIMBUS_ERR_VALIDATION naming it. Authenticate with `Authorization: Bearer <token>`; `nimbus token` prints it.',
  },
  servers: [{ url: '/' }],
  security: [{ bearer: [] }],
  paths: {
    '/api/v1/openapi.json': {
      get: {
        operationId: 'getOpenApi',
        summary: 'This document.',
        security: [],
        responses: { '200': { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/api/v1/functions': {
      get: {
        operationId: 'listFunctions',
        summary: 'List functions with their current configuration and live instance count.',
        responses: {
          '200': {
            description: 'The functions, by name.',
            content: {
              'application/json': {
                schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/FunctionSummary' } } } },
              },
            },
          },
          ...common,
        },
      },
    },
    '/api/v1/functions/{name}': {
      put: {
        operationId: 'deployFunction',
        summary: 'Deploy a function: creates a new immutable version, or does nothing if code and config are identical to the current version.',
        parameters: [nameParam],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/DeployRequest' } } } },
        responses: {
          '201': json('A new version was created and is current.', 'DeployResult'),
          '200': json('Identical to the current version; nothing changed.', 'DeployResult'),
          '400': problem('Invalid body or config (NIMBUS_ERR_VALIDATION), compile error (NIMBUS_ERR_BUILD_FAILED, with file/line), a Node built-in functions do not have (NIMBUS_ERR_UNSUPPORTED_MODULE, with module and importedBy), or no fetch/handler export (NIMBUS_ERR_INVALID_FUNCTION).'),
          '413': problem('Body or bundle too large.'),
          ...common,
        },
      },
      get: {
        operationId: 'getFunction',
        summary: 'Describe a function: current version, all versions, live pools and instances.',
        parameters: [nameParam],
        responses: { '200': json('The function.', 'FunctionDetail'), '404': problem('No such function.'), ...common },
      },
      delete: {
        operationId: 'deleteFunction',
        summary: 'Delete a function and all its versions; in-flight invocations finish first.',
        parameters: [nameParam],
        responses: { '204': { description: 'Deleted.' }, '404': problem('No such function.'), ...common },
      },
    },
    '/api/v1/functions/{name}/versions': {
      get: {
        operationId: 'listFunctionVersions',
        summary: 'List the versions of a function, newest first.',
        parameters: [nameParam],
        responses: {
          '200': {
            description: 'Versions.',
            content: {
              'application/json': {
                schema: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/FunctionVersion' } } } },
              },
            },
          },
          '404': problem('No such function.'),
          ...common,
        },
      },
    },
    '/api/v1/functions/{name}/scale': {
      get: {
        operationId: 'getFunctionScale',
        summary: 'Scaling now: current, desired and ready instances, in flight, queued, and the last decisions with why (stable vs panic, which bound set the count).',
        parameters: [nameParam],
        responses: { '200': json('The scale status.', 'ScaleStatus'), '404': problem('No such function.'), ...common },
      },
      patch: {
        operationId: 'updateFunctionScale',
        summary: 'Change min/max instances, target and hard concurrency, or the idle period live, without a new version. Applied to the running pool at once; the next deploy keeps them.',
        parameters: [nameParam],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/ScaleRequest' } } } },
        responses: {
          '200': json('The scale status after the change.', 'ScaleStatus'),
          '400': problem('Invalid settings, e.g. targetConcurrency above concurrency or minInstances above maxInstances (NIMBUS_ERR_VALIDATION, names the field).'),
          '404': problem('No such function.'),
          ...common,
        },
      },
    },
    '/api/v1/functions/{name}/invoke': {
      post: {
        operationId: 'invokeFunction',
        summary:
          "Invoke a function with a JSON event. Synchronous by default (the body of the answer is the function's result); with `Prefer: respond-async` the event is persisted and answered 202 at once (optional `Idempotency-Key`).",
        parameters: [
          nameParam,
          { name: 'Prefer', in: 'header', schema: { type: 'string' }, description: '`respond-async` queues the invocation (202).' },
          { name: 'Idempotency-Key', in: 'header', schema: { type: 'string' }, description: 'With respond-async: a repeat within 24 h returns the first id.' },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: {} } } },
        responses: {
          '200': { description: "The function's result as JSON. Header x-nimbus-invocation-id names the record.", content: { 'application/json': { schema: {} } } },
          '202': json('Queued (Prefer: respond-async); Location is the status URL.', 'AsyncAccepted'),
          '404': problem('No such function, or no such version or alias for the qualifier in the name (`api@live`, `api@4`), also with respond-async.'),
          '413': problem('Event larger than the payload limit.'),
          '429': problem('Throttled; retry after Retry-After seconds.'),
          '500': problem('The function threw (errorName, errorMessage, invocationId).'),
          '502': problem('The instance ran out of memory or crashed.'),
          '504': problem('The function timed out or exceeded its CPU limit.'),
          ...common,
        },
      },
    },
    '/api/v1/invocations': {
      get: {
        operationId: 'listInvocations',
        summary: 'List invocation records, newest first.',
        parameters: [
          { name: 'function', in: 'query', schema: { type: 'string' }, description: 'Only this function.' },
          { name: 'status', in: 'query', schema: { type: 'string' }, description: 'Only this status.' },
          { name: 'since', in: 'query', schema: { type: 'integer', minimum: 0 }, description: 'Only records started at or after this epoch ms (digits only).' },
          beforeParam,
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } },
        ],
        responses: { '200': json('A page of records.', 'InvocationList'), '400': problem('Invalid filter.'), ...common },
      },
    },
    '/api/v1/invocations/{id}': {
      get: {
        operationId: 'getInvocation',
        summary: 'One invocation record, with its logs.',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': json('The record.', 'InvocationRecord'), '404': problem('No such invocation.'), ...common },
      },
    },
    ...ASYNC_PATHS,
    ...RELEASE_PATHS,
    ...WORKFLOW_PATHS,
    ...OBSERVE_PATHS,
    ...AWS_KEY_PATHS,
    ...CLUSTER_PATHS,
    ...RUNTIME_PATHS,
  },
  components: {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'The token in <data dir>/token.' } },
    schemas: SCHEMAS,
  },
} as const;
