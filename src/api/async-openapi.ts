/**
 * OpenAPI paths and component schemas of the async, dead-letter, trigger and event
 * routes; spread into openapi.ts and schemas.ts so the document stays one.
 */
import { beforeParam, common, json, nameParam, problem } from './openapi-parts.ts';
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Invocation id.' };
const topicParam = {
  name: 'topic',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$' },
  description: 'Topic name: 1-64 letters, digits, "-" or "_", starting with a letter or digit; another name is a 400 NIMBUS_ERR_VALIDATION (field `topic`).',
};
const limitParam = { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } };
const fnQuery = { name: 'function', in: 'query', schema: { type: 'string' }, description: 'Only this function.' };
const nullableInt = { type: ['integer', 'null'] };
const destination = {
  type: ['object', 'null'],
  description: '{"kind":"function","name":…} | {"kind":"topic","name":…} | {"kind":"webhook","url":…}. A topic must exist; a function cannot be its own destination.',
  properties: { kind: { type: 'string', enum: ['function', 'topic', 'webhook'] }, name: { type: 'string' }, url: { type: 'string' } },
};

export const ASYNC_SCHEMAS = {
  AsyncPolicyInput: {
    type: 'object',
    description: 'Per-function async policy; every field optional (docs/triggers.md).',
    properties: {
      maxAttempts: { type: 'integer', minimum: 1, maximum: 100, description: 'Attempts in total (default 3).' },
      initialDelayMs: { type: 'integer', minimum: 0, maximum: 86400000, description: 'Ceiling of the first retry delay (default 1000).' },
      maxDelayMs: { type: 'integer', minimum: 0, maximum: 86400000, description: 'Ceiling of any retry delay (default 300000).' },
      maxEventAgeMs: { type: 'integer', minimum: 1000, maximum: 604800000, description: 'Events older than this are not attempted again (default 6 h).' },
      onSuccess: destination,
      onFailure: destination,
    },
  },
  AsyncPolicy: {
    type: 'object',
    required: ['function', 'configured', 'effective'],
    properties: {
      function: { type: 'string' },
      configured: { type: 'object', description: 'What was set.' },
      effective: { type: 'object', description: 'With the defaults filled in.' },
      updatedAt: nullableInt,
    },
  },
  AsyncAccepted: {
    type: 'object',
    required: ['invocationId', 'created', 'status'],
    properties: {
      invocationId: { type: 'string' },
      created: { type: 'boolean', description: 'false when an Idempotency-Key matched an earlier submit (its id is returned).' },
      status: { type: 'string', description: 'Where the status of the invocation is.' },
    },
  },
  AsyncInvocation: {
    type: 'object',
    required: ['id', 'kind', 'trigger', 'state', 'attempts', 'throttles', 'acceptedAt', 'enqueuedAt'],
    properties: {
      id: { type: 'string' },
      function: { type: ['string', 'null'] },
      workflow: { type: 'string', description: 'start-workflow items: the workflow whose execution it starts.' },
      kind: { type: 'string', enum: ['invoke', 'webhook', 'start-workflow'] },
      trigger: { type: 'string', enum: ['async', 'cron', 'event'] },
      source: { type: 'string' },
      state: { type: 'string', enum: ['queued', 'running', 'succeeded', 'dead'] },
      attempts: { type: 'integer' },
      throttles: { type: 'integer' },
      acceptedAt: { type: 'integer' },
      enqueuedAt: { type: 'integer' },
      nextAttemptAt: nullableInt,
      leaseExpiresAt: nullableInt,
      finishedAt: nullableInt,
      deadReason: { type: ['string', 'null'], enum: ['max-attempts', 'max-age', 'non-retryable', 'destination-failed', null] },
      lastError: { type: ['object', 'null'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
      idempotencyKey: { type: ['string', 'null'] },
      payload: { description: 'The event (dead letters, or ?payload=true).' },
    },
  },
  AsyncInvocationList: {
    type: 'object',
    required: ['items'],
    properties: {
      items: { type: 'array', items: { $ref: '#/components/schemas/AsyncInvocation' } },
      next: { type: ['string', 'null'] },
      counts: {
        type: 'object',
        properties: { queued: { type: 'integer' }, running: { type: 'integer' }, succeeded: { type: 'integer' }, dead: { type: 'integer' } },
      },
    },
  },
  RedriveResult: { type: 'object', required: ['redriven'], properties: { redriven: { type: 'integer' } } },
  Trigger: {
    type: 'object',
    required: ['id', 'target', 'kind', 'origin', 'createdAt'],
    properties: {
      id: { type: 'string' },
      function: { type: 'string', description: 'The function it invokes (absent when it starts a workflow).' },
      workflow: { type: 'string', description: 'The workflow it starts an execution of (absent when it invokes a function).' },
      target: { $ref: '#/components/schemas/TriggerTarget' },
      kind: { type: 'string', enum: ['timer', 'event'] },
      origin: { type: 'string', enum: ['api', 'deploy'], description: 'deploy: declared in the deploy body and replaced by the next deploy that declares triggers.' },
      createdAt: { type: 'integer' },
      schedule: { type: 'string' },
      timezone: { type: ['string', 'null'] },
      missed: { type: 'string', enum: ['skip', 'run-once'] },
      input: {},
      lastFiredAt: { type: ['string', 'null'] },
      next: { type: 'array', items: { type: 'string' }, description: 'Next fire times (ISO 8601).' },
      topic: { type: 'string' },
      filter: { type: 'object' },
    },
  },
  TriggerTarget: {
    description: 'What the trigger starts: an async invocation of a function, or an execution of a workflow (current version).',
    oneOf: [
      { type: 'object', required: ['function'], properties: { function: { type: 'string' } }, additionalProperties: false },
      { type: 'object', required: ['workflow'], properties: { workflow: { type: 'string' } }, additionalProperties: false },
    ],
  },
  TriggerInput: {
    type: 'object',
    description:
      'A timer ({schedule, timezone?, missed?, input?}) or an event subscription ({topic, filter?}), with its target: "function" or "workflow" (exactly one, POST /api/v1/triggers only).',
    properties: {
      function: { type: 'string', description: 'The function to invoke (POST /api/v1/triggers only).' },
      workflow: {
        type: 'string',
        description: 'The workflow to start instead (POST /api/v1/triggers only): each tick or event starts one execution with the tick event or the CloudEvent as input.',
      },
      kind: { type: 'string', enum: ['timer', 'event'] },
      schedule: { type: 'string', description: 'Cron (5 or 6 fields, seconds first), @nickname, TZ=… prefix, or rate(N unit).' },
      timezone: { type: 'string' },
      missed: { type: 'string', enum: ['skip', 'run-once'] },
      input: { description: 'JSON passed to the function as data.input of each tick event.' },
      topic: { type: 'string' },
      filter: { type: 'object', description: 'type / source / subject: a string (exact), {"exact": …} or {"prefix": …}.' },
    },
  },
  TriggerList: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Trigger' } } } },
  Topic: {
    type: 'object',
    required: ['name', 'createdAt'],
    properties: {
      name: { type: 'string' },
      createdAt: { type: 'integer' },
      created: { type: 'boolean' },
      subscriptions: {},
    },
  },
  TopicList: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Topic' } } } },
  PublishResult: {
    type: 'object',
    required: ['topic', 'events', 'deliveries', 'ids'],
    properties: {
      topic: { type: 'string' },
      events: { type: 'integer' },
      deliveries: {
        type: 'integer',
        description: 'Async invocations queued (matching subscriptions; repeats of an event are not queued again); in a cluster on NATS, deliveries stored in JetStream for the matching subscriptions.',
      },
      ids: { type: 'array', items: { type: 'string' }, description: 'The invocation ids of those deliveries (on JetStream: of the events published now, not of repeats).' },
      mode: { type: 'string', enum: ['structured', 'binary', 'batch'] },
      publisher: { type: 'string' },
    },
  },
} as const;

export const ASYNC_PATHS = {
  '/api/v1/async': {
    get: {
      operationId: 'listAsyncInvocations',
      summary: 'List async invocations (queued, running, succeeded, dead), newest first, with counts by state.',
      parameters: [fnQuery, { name: 'state', in: 'query', schema: { type: 'string', enum: ['queued', 'running', 'succeeded', 'dead'] } }, beforeParam, limitParam],
      responses: { '200': json('A page.', 'AsyncInvocationList'), '400': problem('Invalid filter.'), ...common },
    },
  },
  '/api/v1/async/{id}': {
    get: {
      operationId: 'getAsyncInvocation',
      summary: 'Status of one async invocation: state, attempts, next attempt, last error.',
      parameters: [idParam, { name: 'payload', in: 'query', schema: { type: 'boolean' }, description: 'Include the event.' }],
      responses: { '200': json('The status.', 'AsyncInvocation'), '404': problem('No such async invocation (NIMBUS_ERR_INVOCATION_NOT_FOUND).'), ...common },
    },
  },
  '/api/v1/functions/{name}/async-policy': {
    get: {
      operationId: 'getAsyncPolicy',
      summary: "The function's async policy: retries, backoff, max event age, destinations.",
      parameters: [nameParam],
      responses: { '200': json('The policy.', 'AsyncPolicy'), '404': problem('No such function.'), ...common },
    },
    put: {
      operationId: 'putAsyncPolicy',
      summary: 'Set the async policy (replaces the previous one; unset fields take the defaults).',
      parameters: [nameParam],
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/AsyncPolicyInput' } } } },
      responses: { '200': json('The policy.', 'AsyncPolicy'), '400': problem('Invalid setting (NIMBUS_ERR_VALIDATION, field names it).'), '404': problem('No such function.'), ...common },
    },
    delete: {
      operationId: 'deleteAsyncPolicy',
      summary: 'Back to the default policy.',
      parameters: [nameParam],
      responses: { '204': { description: 'Reset.' }, '404': problem('No such function.'), ...common },
    },
  },
  '/api/v1/dlq': {
    get: {
      operationId: 'listDeadLetters',
      summary: 'Dead letters: async invocations that exhausted their policy, newest first.',
      parameters: [fnQuery, beforeParam, limitParam],
      responses: { '200': json('A page.', 'AsyncInvocationList'), '400': problem('Invalid `before` or `limit` (NIMBUS_ERR_VALIDATION, field names it).'), ...common },
    },
  },
  '/api/v1/dlq/redrive': {
    post: {
      operationId: 'redriveDeadLetters',
      summary: "Redrive every dead letter (or one function's): each starts afresh with its id and payload.",
      requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { function: { type: 'string' } } } } } },
      responses: { '200': json('How many were redriven.', 'RedriveResult'), '400': problem('Invalid body.'), ...common },
    },
  },
  '/api/v1/dlq/{id}': {
    get: {
      operationId: 'getDeadLetter',
      summary: 'One dead letter with its event, reason and last error.',
      parameters: [idParam],
      responses: { '200': json('The dead letter.', 'AsyncInvocation'), '404': problem('No such dead letter.'), ...common },
    },
    delete: {
      operationId: 'purgeDeadLetter',
      summary: 'Delete a dead letter.',
      parameters: [idParam],
      responses: { '204': { description: 'Deleted.' }, '404': problem('No such dead letter.'), ...common },
    },
  },
  '/api/v1/dlq/{id}/redrive': {
    post: {
      operationId: 'redriveDeadLetter',
      summary: 'Queue a dead letter again: same id and payload, attempts at 0, age from now.',
      parameters: [idParam],
      responses: { '200': json('The invocation, queued.', 'AsyncInvocation'), '404': problem('No such dead letter.'), ...common },
    },
  },
  '/api/v1/triggers': {
    get: {
      operationId: 'listTriggers',
      summary: 'Timer triggers (with next fire times) and event subscriptions.',
      parameters: [
        fnQuery,
        { name: 'workflow', in: 'query', schema: { type: 'string' }, description: 'Only the triggers that start this workflow.' },
        { name: 'kind', in: 'query', schema: { type: 'string', enum: ['timer', 'event'] } },
        { name: 'topic', in: 'query', schema: { type: 'string' } },
        { name: 'next', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 3 }, description: 'How many next fire times.' },
      ],
      responses: { '200': json('The triggers.', 'TriggerList'), '400': problem('Invalid filter.'), ...common },
    },
    post: {
      operationId: 'createTrigger',
      summary: 'Add a timer (cron or rate) or an event subscription to a function or a workflow.',
      requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/TriggerInput' } } } },
      responses: {
        '201': json('Created.', 'Trigger'),
        '400': problem('Invalid schedule, time zone or filter (NIMBUS_ERR_VALIDATION, field names it).'),
        '404': problem('The function (NIMBUS_ERR_FUNCTION_NOT_FOUND), the version or alias its qualifier names (NIMBUS_ERR_VERSION_NOT_FOUND, NIMBUS_ERR_ALIAS_NOT_FOUND) or the workflow (NIMBUS_ERR_WORKFLOW_NOT_FOUND) does not exist.'),
        ...common,
      },
    },
  },
  '/api/v1/triggers/{id}': {
    get: {
      operationId: 'getTrigger',
      summary: 'One trigger with its next fire times.',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, { name: 'next', in: 'query', schema: { type: 'integer' } }],
      responses: { '200': json('The trigger.', 'Trigger'), '404': problem('No such trigger.'), ...common },
    },
    delete: {
      operationId: 'deleteTrigger',
      summary: 'Remove a trigger.',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '204': { description: 'Removed.' }, '404': problem('No such trigger.'), ...common },
    },
  },
  '/api/v1/topics': {
    get: { operationId: 'listTopics', summary: 'Event topics with their subscription counts.', responses: { '200': json('The topics.', 'TopicList'), ...common } },
    post: {
      operationId: 'createTopic',
      summary: 'Create a topic (a subscription creates its topic too).',
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } } },
      responses: { '201': json('Created.', 'Topic'), '200': json('Existed already.', 'Topic'), '400': problem('Invalid name.'), ...common },
    },
  },
  '/api/v1/topics/{topic}': {
    get: {
      operationId: 'getTopic',
      summary: 'A topic with its subscriptions.',
      parameters: [topicParam],
      responses: { '200': json('The topic.', 'Topic'), '400': problem('Not a valid topic name (NIMBUS_ERR_VALIDATION).'), '404': problem('No such topic (NIMBUS_ERR_TOPIC_NOT_FOUND).'), ...common },
    },
    delete: {
      operationId: 'deleteTopic',
      summary: 'Delete a topic that has no subscriptions.',
      parameters: [topicParam],
      responses: { '204': { description: 'Deleted.' }, '400': problem('Not a valid topic name (NIMBUS_ERR_VALIDATION).'), '404': problem('No such topic.'), '409': problem('The topic still has subscriptions (NIMBUS_ERR_STATE_CONFLICT).'), ...common },
    },
  },
  '/api/v1/events/{topic}': {
    post: {
      operationId: 'publishEvents',
      summary:
        'Publish CloudEvents 1.0 (structured: application/cloudevents+json; batch: application/cloudevents-batch+json; binary: ce-* headers) to a topic; each matching subscription gets an async invocation. Accepts the platform token or a function publish token (NIMBUS_EVENTS_TOKEN).',
      parameters: [topicParam],
      requestBody: { required: true, content: { 'application/cloudevents+json': { schema: { type: 'object' } }, 'application/cloudevents-batch+json': { schema: { type: 'array' } }, '*/*': {} } },
      responses: {
        '202': json('Accepted and queued.', 'PublishResult'),
        '400': problem(
          'A topic name that is not valid (NIMBUS_ERR_VALIDATION, field `topic`), or a malformed event: `field` names the attribute (and `index` the event in a batch). A body (or, in binary mode, JSON data) that is not JSON, or holds a number too large for a double such as 1e309 (it would be delivered as null), is NIMBUS_ERR_BAD_REQUEST.',
        ),
        '404': problem('No such topic (NIMBUS_ERR_TOPIC_NOT_FOUND).'),
        '413': problem('Larger than the payload limit.'),
        '415': problem('An event format other than JSON.'),
        ...common,
      },
    },
  },
} as const;
