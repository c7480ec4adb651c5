/**
 * OpenAPI paths and component schemas of the workflow routes (/api/v1/workflows,
 * /api/v1/executions); spread into openapi.ts and schemas.ts so the document stays one.
 */
import { beforeParam, common, json, problem } from './openapi-parts.ts';

const wfParam = { name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'Workflow (state machine) name.' };
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Execution id.' };
const limitParam = { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 50 } };
const nullableInt = { type: ['integer', 'null'] };
const nullableString = { type: ['string', 'null'] };
const traceparentHeader = {
  name: 'traceparent',
  in: 'header',
  schema: { type: 'string' },
  description: "W3C Trace Context: the execution joins the caller's trace; its tasks' invocations are children of the execution's span.",
};
const body = (ref: string, required = true) => ({ required, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const tokenParam = { name: 'token', in: 'path', required: true, schema: { type: 'string' }, description: 'The task token ($$.Task.Token as the task received it).' };
/** Cluster mode: the node driving the execution could not be reached from the one asked (it is handed the request otherwise). */
const elsewhereProblem = problem('Another node drives the execution and could not be reached; retry (NIMBUS_ERR_EXECUTION_ELSEWHERE, Retry-After).');
const taskResponses = (ok: string) => ({
  '200': json(ok, 'TaskCallbackResult'),
  '404': problem('No task has this token (NIMBUS_ERR_TASK_TOKEN_NOT_FOUND).'),
  '409': problem('The task already has its result (NIMBUS_ERR_TASK_ALREADY_COMPLETED).'),
  '410': problem('The task timed out, was cancelled or its execution ended (NIMBUS_ERR_TASK_TOKEN_EXPIRED).'),
  '503': elsewhereProblem,
});
const notFound = problem('No such workflow (NIMBUS_ERR_WORKFLOW_NOT_FOUND) or version.');
const noExecution = problem('No such execution (NIMBUS_ERR_EXECUTION_NOT_FOUND).');

export const WORKFLOW_SCHEMAS = {
  WorkflowDeployRequest: {
    type: 'object',
    required: ['definition'],
    additionalProperties: false,
    properties: {
      definition: {
        type: ['object', 'string'],
        description: 'The Amazon States Language definition: an object, or its JSON or YAML text.',
      },
    },
  },
  WorkflowDeployResult: {
    type: 'object',
    required: ['name', 'version', 'hash', 'created'],
    properties: {
      name: { type: 'string' },
      version: { type: 'integer', description: 'The version now current (new, or the identical existing one).' },
      hash: { type: 'string' },
      created: { type: 'boolean' },
    },
  },
  WorkflowSummary: {
    type: 'object',
    required: ['name', 'currentVersion', 'createdAt', 'updatedAt'],
    properties: { name: { type: 'string' }, currentVersion: { type: 'integer' }, createdAt: { type: 'integer' }, updatedAt: { type: 'integer' } },
  },
  WorkflowList: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: { $ref: '#/components/schemas/WorkflowSummary' } } } },
  WorkflowDetail: {
    type: 'object',
    required: ['name', 'currentVersion', 'definition', 'versions', 'running'],
    properties: {
      name: { type: 'string' },
      currentVersion: { type: 'integer' },
      createdAt: { type: 'integer' },
      updatedAt: { type: 'integer' },
      definitionVersion: { type: 'integer', description: 'The version `definition` is of: the current one unless `version` asked for another.' },
      definition: { type: 'object', description: 'The definition of the current version (or of `version`).' },
      versions: {
        type: 'array',
        items: { type: 'object', required: ['version', 'hash', 'createdAt'], properties: { version: { type: 'integer' }, hash: { type: 'string' }, createdAt: { type: 'integer' } } },
      },
      running: { type: 'integer', description: 'Executions RUNNING now (up to 1000).' },
    },
  },
  ExecutionStartRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      input: { description: 'The execution input (JSON; default {}). Limited to 256 KiB.' },
      name: { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$', description: 'Unique per workflow; a repeat with the same input returns the first execution (idempotent start).' },
      version: { type: 'integer', minimum: 1, description: 'Run this version instead of the current one.' },
      timeoutSeconds: { type: 'integer', minimum: 1, maximum: 3600, description: 'POST …/run only: how long to wait for the end (default 60); then 202.' },
    },
  },
  TaskSuccessRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { output: { description: 'The task\u2019s result (any JSON; null when absent).' } },
  },
  TaskFailureRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      error: { type: 'string', maxLength: 256, description: 'Error name for Retry/Catch (empty: States.TaskFailed).' },
      cause: { type: 'string', maxLength: 32768 },
    },
  },
  TaskCallbackResult: { type: 'object', required: ['executionId'], properties: { executionId: { type: 'string' } } },
  ExecutionStopRequest: {
    type: 'object',
    additionalProperties: false,
    properties: { error: { type: 'string', maxLength: 256 }, cause: { type: 'string', maxLength: 32768 } },
  },
  Execution: {
    type: 'object',
    required: ['executionId', 'name', 'workflow', 'version', 'status', 'startedAt'],
    properties: {
      executionId: { type: 'string' },
      name: { type: 'string' },
      workflow: { type: 'string' },
      version: { type: 'integer', description: 'The workflow version this execution is pinned to.' },
      status: { type: 'string', enum: ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] },
      input: {},
      output: { description: 'When SUCCEEDED.' },
      error: nullableString,
      cause: nullableString,
      startedAt: { type: 'integer' },
      stoppedAt: nullableInt,
      transitions: { type: 'integer' },
      historyEvents: { type: 'integer' },
      redriveCount: { type: 'integer' },
      source: { type: 'string' },
      traceId: { ...nullableString, description: "W3C trace id: the caller's (from its traceparent) or one started with the execution. Every task's invocation record carries it, as a child of the execution's span." },
      waitingFor: {
        type: 'array',
        description: 'RUNNING executions: outstanding tasks (state path, idempotency key; for callback tasks, in GET /executions/{id}, the task token) and timers.',
        items: {
          type: 'object',
          properties: {
            kind: { type: 'string' },
            statePath: { type: 'string' },
            idempotencyKey: { type: 'string' },
            attempt: { type: 'integer' },
            callback: { type: 'boolean' },
            taskToken: nullableString,
            purpose: { type: 'string' },
            fireAt: { type: 'integer' },
          },
        },
      },
    },
  },
  ExecutionList: {
    type: 'object',
    required: ['items'],
    properties: { items: { type: 'array', items: { $ref: '#/components/schemas/Execution' } }, next: nullableString },
  },
  ExecutionResult: {
    type: 'object',
    required: ['executionId', 'status', 'output'],
    properties: { executionId: { type: 'string' }, status: { type: 'string', enum: ['SUCCEEDED'] }, output: { description: 'The execution output.' } },
  },
  ExecutionHistory: {
    type: 'object',
    required: ['events'],
    properties: {
      events: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id', 'previousEventId', 'timestamp', 'type'],
          description: 'A Step Functions-style history event with its …EventDetails member and statePath.',
          properties: { id: { type: 'integer' }, previousEventId: { type: 'integer' }, timestamp: { type: 'string' }, type: { type: 'string' }, statePath: { type: 'string' } },
        },
      },
      next: { type: ['integer', 'null'], description: 'Pass as ?after= for the next page.' },
    },
  },
} as const;

export const WORKFLOW_PATHS = {
  '/api/v1/workflows': {
    get: {
      operationId: 'listWorkflows',
      summary: 'List workflows (state machines) with their current version.',
      responses: { '200': json('The workflows, by name.', 'WorkflowList'), ...common },
    },
  },
  '/api/v1/workflows/{name}': {
    delete: {
      operationId: 'deleteWorkflow',
      summary: 'Delete a workflow: its versions, its executions (with their history) and the triggers that start it. Refused while an execution of it runs.',
      parameters: [wfParam],
      responses: {
        '204': { description: 'Deleted.' },
        '404': notFound,
        '409': problem('An execution of it is running (NIMBUS_ERR_STATE_CONFLICT): stop it first.'),
        ...common,
      },
    },
    put: {
      operationId: 'deployWorkflow',
      summary: 'Deploy an ASL definition (JSON or YAML): validated first, then stored as a new immutable version unless identical to the current one.',
      parameters: [wfParam],
      requestBody: body('WorkflowDeployRequest'),
      responses: {
        '201': json('A new version was created and is current.', 'WorkflowDeployResult'),
        '200': json('Identical to the current version; nothing changed.', 'WorkflowDeployResult'),
        '400': problem('Invalid definition (NIMBUS_ERR_VALIDATION): `errors` lists {path, state, field, message} for every problem.'),
        ...common,
      },
    },
    get: {
      operationId: 'getWorkflow',
      summary: 'Describe a workflow: current definition (or that of `version`), versions, running executions.',
      parameters: [wfParam, { name: 'version', in: 'query', schema: { type: 'integer', minimum: 1 }, description: 'The version whose definition to give (default: the current one).' }],
      responses: { '200': json('The workflow.', 'WorkflowDetail'), '400': problem('Invalid version (NIMBUS_ERR_VALIDATION).'), '404': notFound, ...common },
    },
  },
  '/api/v1/workflows/{name}/executions': {
    post: {
      operationId: 'startExecution',
      summary: 'Start an execution (pinned to the current version, or `version`). Answers once the start is journalled.',
      parameters: [wfParam, traceparentHeader],
      requestBody: body('ExecutionStartRequest', false),
      responses: {
        '201': json('Started; Location is the execution.', 'Execution'),
        '200': json('An execution with this name and input exists already: that one.', 'Execution'),
        '400': problem('Invalid body (NIMBUS_ERR_VALIDATION).'),
        '404': notFound,
        '409': problem('An execution with this name exists with another input (NIMBUS_ERR_STATE_CONFLICT).'),
        '413': problem('Input larger than the payload limit (NIMBUS_ERR_PAYLOAD_TOO_LARGE).'),
        ...common,
      },
    },
  },
  '/api/v1/workflows/{name}/run': {
    post: {
      operationId: 'runExecution',
      summary: 'Start an execution and wait for its end (like StartSyncExecution). The execution is durable like any other: if the wait times out it keeps running (202).',
      parameters: [wfParam, traceparentHeader],
      requestBody: body('ExecutionStartRequest', false),
      responses: {
        '200': json('Succeeded; `output` is the execution output. Header x-nimbus-execution-id.', 'ExecutionResult'),
        '202': json('Still running after timeoutSeconds; Location is the execution.', 'Execution'),
        '400': problem('Invalid body (NIMBUS_ERR_VALIDATION).'),
        '404': notFound,
        '409': problem('An execution with this name exists with another input.'),
        '413': problem('Input larger than the payload limit.'),
        '500': problem('The execution ended FAILED, TIMED_OUT or ABORTED (NIMBUS_ERR_EXECUTION_FAILED, with executionId, executionStatus, error, errorCause).'),
        ...common,
      },
    },
  },
  '/api/v1/executions': {
    get: {
      operationId: 'listExecutions',
      summary: 'List executions, newest first.',
      parameters: [
        { name: 'workflow', in: 'query', schema: { type: 'string' }, description: 'Only this workflow.' },
        { name: 'status', in: 'query', schema: { type: 'string', enum: ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] } },
        beforeParam,
        limitParam,
      ],
      responses: { '200': json('A page of executions.', 'ExecutionList'), '400': problem('Invalid filter.'), ...common },
    },
  },
  '/api/v1/executions/{id}': {
    get: {
      operationId: 'getExecution',
      summary: 'Describe an execution: status, input, output or error, and what a running one waits for.',
      parameters: [idParam],
      responses: { '200': json('The execution.', 'Execution'), '404': noExecution, ...common },
    },
  },
  '/api/v1/executions/{id}/history': {
    get: {
      operationId: 'getExecutionHistory',
      summary: 'The execution history as ASL-style events, in order.',
      parameters: [idParam, { name: 'after', in: 'query', schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER }, description: 'Only events with a larger id (digits only; the `next` of the previous page).' }, { ...limitParam, schema: { ...limitParam.schema, default: 1000 } }],
      responses: { '200': json('The events.', 'ExecutionHistory'), '400': problem('Invalid paging.'), '404': noExecution, ...common },
    },
  },
  '/api/v1/executions/{id}/stop': {
    post: {
      operationId: 'stopExecution',
      summary: 'Stop a running execution: outstanding tasks and timers are cancelled, it ends ABORTED.',
      parameters: [idParam],
      requestBody: body('ExecutionStopRequest', false),
      responses: { '200': json('The stopped execution.', 'Execution'), '404': noExecution, '409': problem('Not running (NIMBUS_ERR_STATE_CONFLICT).'), '503': elsewhereProblem, ...common },
    },
  },
  '/api/v1/tasks/{token}/success': {
    post: {
      operationId: 'sendTaskSuccess',
      summary: 'Complete a callback (.waitForTaskToken) task with its result (SendTaskSuccess). The task token is the credential: no bearer token needed.',
      security: [],
      parameters: [tokenParam],
      requestBody: body('TaskSuccessRequest', false),
      responses: taskResponses('The task succeeded; the execution continues.'),
    },
  },
  '/api/v1/tasks/{token}/failure': {
    post: {
      operationId: 'sendTaskFailure',
      summary: 'Fail a callback task with an error and cause, for its Retry/Catch (SendTaskFailure). The task token is the credential.',
      security: [],
      parameters: [tokenParam],
      requestBody: body('TaskFailureRequest', false),
      responses: taskResponses('The task failed; the execution continues with Retry/Catch.'),
    },
  },
  '/api/v1/tasks/{token}/heartbeat': {
    post: {
      operationId: 'sendTaskHeartbeat',
      summary: 'Report that a callback task is still working: restarts its HeartbeatSeconds clock (SendTaskHeartbeat). The task token is the credential.',
      security: [],
      parameters: [tokenParam],
      responses: taskResponses('Recorded.'),
    },
  },
  '/api/v1/executions/{id}/redrive': {
    post: {
      operationId: 'redriveExecution',
      summary: 'Redrive a FAILED, TIMED_OUT or ABORTED execution from the state(s) that failed; succeeded branches and Map iterations keep their results.',
      parameters: [idParam],
      responses: { '200': json('The execution, RUNNING again (or already ended).', 'Execution'), '404': noExecution, '409': problem('Running or succeeded (NIMBUS_ERR_STATE_CONFLICT).'), ...common },
    },
  },
} as const;
