/**
 * /api/v1/workflows (state machines: deploy, list, describe; start, synchronous run) and
 * /api/v1/executions (list with filters, describe, history, stop, redrive). The durable
 * work is the engine's (src/workflow/engine); this file maps HTTP to it.
 */
import { NimbusError } from '../core/errors.ts';
import type { ExecStatus, ExecutionRow } from '../store/workflow-ports.ts';
import { parseTraceparent } from '../observe/trace.ts';
import type { StartOptions, WorkflowEngine } from '../workflow/engine/engine.ts';
import { cursorQuery, intQuery, limitOf } from './query.ts';
import type { ApiDeps } from './context.ts';
import { orOwner } from './forward.ts';
import { traceOption, type ApiRequest, type RouteDef } from './router.ts';
import { assertValid } from './schemas.ts';

const STATUSES = new Set<ExecStatus>(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);
const DEFAULT_RUN_TIMEOUT_S = 60;

function engineOf(deps: ApiDeps): WorkflowEngine {
  if (!deps.workflows) throw new NimbusError('NIMBUS_ERR_INTERNAL', 'workflows are not enabled in this platform');
  return deps.workflows;
}

const parse = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/** How the API shows an execution; `tokens` (taskId → task token) adds callback tasks' tokens to `waitingFor`. */
export function executionView(row: ExecutionRow, engine?: WorkflowEngine, tokens?: ReadonlyMap<string, string>): Record<string, unknown> {
  const view: Record<string, unknown> = {
    executionId: row.id,
    name: row.name,
    workflow: row.machine,
    version: row.version,
    status: row.status,
    input: parse(row.input),
    output: parse(row.output),
    error: row.error,
    cause: row.cause,
    startedAt: row.startedAt,
    stoppedAt: row.stoppedAt,
    transitions: row.transitions,
    historyEvents: row.historyCount,
    redriveCount: row.redriveCount,
    source: row.source,
    traceId: parseTraceparent(row.traceparent)?.traceId ?? null,
  };
  if (engine && row.status === 'RUNNING') {
    view.waitingFor = engine.pending(row).map((c) =>
      c.type === 'InvokeTask'
        ? {
            kind: 'task',
            statePath: c.statePath,
            idempotencyKey: c.idempotencyKey,
            attempt: c.attempt,
            ...(c.callback ? { callback: true, taskToken: tokens?.get(c.taskId) ?? null } : {}),
          }
        : c.type === 'StartTimer'
          ? { kind: 'timer', purpose: c.purpose, fireAt: c.fireAt }
          : { kind: c.type },
    );
  }
  return view;
}

async function body(req: ApiRequest): Promise<Record<string, unknown>> {
  const b = (await req.json()) ?? {};
  if (typeof b !== 'object' || Array.isArray(b)) throw new NimbusError('NIMBUS_ERR_VALIDATION', 'the body must be a JSON object', { extra: { field: '(body)' } });
  return b as Record<string, unknown>;
}

interface StartBody {
  input?: unknown;
  name?: string;
  version?: number;
  timeoutSeconds?: number;
}

/** A workflow with the definition of its current version, or of `version` (an execution pinned to an older one is drawn from it). */
async function machineView(engine: WorkflowEngine, deps: ApiDeps, name: string, versionRaw: string | null) {
  const info = await deps.store.workflows.getMachine(name);
  if (!info) throw new NimbusError('NIMBUS_ERR_WORKFLOW_NOT_FOUND', `no workflow ${name}; \`nimbus wf ls\` lists them`);
  const versions = await deps.store.workflows.listMachineVersions(name);
  const wanted = intQuery(versionRaw, 'version', { dflt: info.currentVersion, min: 1 });
  const current = versions.find((v) => v.version === wanted);
  if (!current) throw new NimbusError('NIMBUS_ERR_WORKFLOW_NOT_FOUND', `workflow ${name} has no version ${wanted}; its versions are 1 to ${info.currentVersion}`);
  const running = await engine.list({ machine: name, status: 'RUNNING', limit: 1000 });
  return {
    name,
    currentVersion: info.currentVersion,
    createdAt: info.createdAt,
    updatedAt: info.updatedAt,
    definitionVersion: current.version,
    definition: JSON.parse(current.definition),
    versions: versions.map((v) => ({ version: v.version, hash: v.hash, createdAt: v.createdAt })),
    running: running.length,
  };
}

export function workflowRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/workflows',
      operationId: 'listWorkflows',
      handler: async () => {
        const items = await deps.store.workflows.listMachines();
        return { status: 200, body: { items: items.map((m) => ({ name: m.name, currentVersion: m.currentVersion, createdAt: m.createdAt, updatedAt: m.updatedAt })) } };
      },
    },
    {
      method: 'PUT',
      path: '/api/v1/workflows/{name}',
      operationId: 'deployWorkflow',
      handler: async (req) => {
        const b = assertValid<{ definition: unknown }>('WorkflowDeployRequest', await body(req));
        const { version, created } = await engineOf(deps).deploy(req.params.name, b.definition);
        return { status: created ? 201 : 200, body: { name: version.name, version: version.version, hash: version.hash, created } };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/workflows/{name}',
      operationId: 'deleteWorkflow',
      handler: async (req) => {
        await engineOf(deps).delete(req.params.name);
        await deps.asyncSystem?.forgetWorkflow();
        return { status: 204 };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/workflows/{name}',
      operationId: 'getWorkflow',
      handler: async (req) => ({ status: 200, body: await machineView(engineOf(deps), deps, req.params.name, req.query.get('version')) }),
    },
    {
      method: 'POST',
      path: '/api/v1/workflows/{name}/executions',
      operationId: 'startExecution',
      handler: async (req) => {
        const engine = engineOf(deps);
        const b = assertValid<StartBody>('ExecutionStartRequest', await body(req));
        const { execution, created } = await engine.start(req.params.name, b.input ?? {}, startOptions(req, b));
        return { status: created ? 201 : 200, body: executionView(execution, engine), headers: { location: `/api/v1/executions/${execution.id}` } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/workflows/{name}/run',
      operationId: 'runExecution',
      handler: async (req) => {
        const engine = engineOf(deps);
        const b = assertValid<StartBody>('ExecutionStartRequest', await body(req));
        const timeoutMs = (b.timeoutSeconds ?? DEFAULT_RUN_TIMEOUT_S) * 1000;
        const { execution, end } = await engine.run(req.params.name, b.input ?? {}, timeoutMs, startOptions(req, b));
        const headers = { 'x-nimbus-execution-id': execution.id, location: `/api/v1/executions/${execution.id}` };
        if (end === null) return { status: 202, body: executionView(await engine.describe(execution.id), engine), headers };
        if (end.status !== 'SUCCEEDED') {
          return {
            problem: new NimbusError('NIMBUS_ERR_EXECUTION_FAILED', `execution ${execution.id} ended ${end.status}: ${end.error ?? ''}${end.cause ? ` (${end.cause})` : ''}`, {
              extra: { executionId: execution.id, executionStatus: end.status, error: end.error, errorCause: end.cause },
            }),
            headers,
          };
        }
        return { status: 200, body: { executionId: execution.id, status: end.status, output: end.output }, headers };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/executions',
      operationId: 'listExecutions',
      handler: async (req) => {
        const engine = engineOf(deps);
        const limit = limitOf(req.query.get('limit'));
        const status = req.query.get('status') ?? undefined;
        if (status !== undefined && !STATUSES.has(status as ExecStatus)) {
          throw new NimbusError('NIMBUS_ERR_VALIDATION', `status ${JSON.stringify(status)} is not one of ${[...STATUSES].join(', ')}`, { extra: { field: 'status' } });
        }
        const rows = await engine.list({ machine: req.query.get('workflow') ?? undefined, status: status as ExecStatus | undefined, before: cursorQuery(req.query.get('before')), limit });
        return { status: 200, body: { items: rows.map((r) => executionView(r)), next: rows.length === limit ? rows[rows.length - 1].id : null } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/executions/{id}',
      operationId: 'getExecution',
      handler: async (req) => {
        const engine = engineOf(deps);
        const row = await engine.describe(req.params.id);
        return { status: 200, body: executionView(row, engine, await engine.callbackTokens(row)) };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/executions/{id}/history',
      operationId: 'getExecutionHistory',
      handler: async (req) => {
        const limit = limitOf(req.query.get('limit'), 1000);
        const after = intQuery(req.query.get('after'), 'after', { dflt: 0, min: 0, what: 'an event id' });
        const events = (await engineOf(deps).history(req.params.id, after, limit)) as Array<{ id: number }>;
        return { status: 200, body: { events, next: events.length === limit ? events[events.length - 1].id : null } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/executions/{id}/stop',
      operationId: 'stopExecution',
      handler: async (req) => {
        const engine = engineOf(deps);
        const b = assertValid<{ error?: string; cause?: string }>('ExecutionStopRequest', await body(req));
        return orOwner(deps, req, b, async () => ({ status: 200, body: executionView(await engine.stop(req.params.id, b.error, b.cause), engine) }));
      },
    },
    {
      method: 'POST',
      path: '/api/v1/executions/{id}/redrive',
      operationId: 'redriveExecution',
      handler: async (req) => {
        const engine = engineOf(deps);
        return { status: 200, body: executionView(await engine.redrive(req.params.id), engine) };
      },
    },
  ];
}

/**
 * The callback API of `.waitForTaskToken` tasks (Step Functions' SendTaskSuccess, SendTaskFailure,
 * SendTaskHeartbeat). Public routes: the task token in the path is the credential — 192 random
 * bits issued to this one task, good only for completing it — so a function can call back with
 * its ordinary fetch and no platform token. An Authorization header is not needed and not checked.
 */
export function taskCallbackRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'POST',
      path: '/api/v1/tasks/{token}/success',
      operationId: 'sendTaskSuccess',
      public: true,
      handler: async (req) => {
        const b = assertValid<{ output?: unknown }>('TaskSuccessRequest', await body(req));
        return orOwner(deps, req, b, async () => {
          const r = await engineOf(deps).completeTask(req.params.token, { type: 'success', output: (b.output ?? null) as never });
          return { status: 200, body: { executionId: r.executionId } };
        });
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tasks/{token}/failure',
      operationId: 'sendTaskFailure',
      public: true,
      handler: async (req) => {
        const b = assertValid<{ error?: string; cause?: string }>('TaskFailureRequest', await body(req));
        return orOwner(deps, req, b, async () => {
          const r = await engineOf(deps).completeTask(req.params.token, { type: 'failure', error: b.error, cause: b.cause });
          return { status: 200, body: { executionId: r.executionId } };
        });
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tasks/{token}/heartbeat',
      operationId: 'sendTaskHeartbeat',
      public: true,
      handler: async (req) => {
        return orOwner(deps, req, {}, async () => {
          const r = await engineOf(deps).completeTask(req.params.token, { type: 'heartbeat' });
          return { status: 200, body: { executionId: r.executionId } };
        });
      },
    },
  ];
}

function startOptions(req: ApiRequest, b: StartBody): StartOptions {
  return { name: b.name, version: b.version, source: sourceOf(req), ...traceOption(req) };
}

function sourceOf(req: ApiRequest): string {
  const ua = req.headers['user-agent'];
  return typeof ua === 'string' && ua.startsWith('nimbus-cli') ? 'cli' : 'api';
}
