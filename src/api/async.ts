/**
 * Async invocation over the API: the 202 submit (POST …/invoke with Prefer: respond-async),
 * status of any async invocation (/api/v1/async), and per-function policies
 * (/api/v1/functions/{name}/async-policy). Dead letters are in dlq.ts.
 */
import { unqualified } from '../releases/qualifier.ts';
import { NimbusError } from '../core/errors.ts';
import { parseIdempotencyKey } from '../dispatch/async/idempotency.ts';
import type { AsyncSystem } from '../dispatch/async/system.ts';
import { WORKFLOW_TARGET_PREFIX, type QueueItem, type QueueState } from '../store/queue-ports.ts';
import type { TriggerDefinition } from '../triggers/definition.ts';
import type { ApiDeps } from './context.ts';
import { cursorQuery, limitOf } from './query.ts';
import { traceOption, type ApiRequest, type ApiResponse, type RouteDef } from './router.ts';

const STATES = new Set<QueueState>(['queued', 'running', 'succeeded', 'dead']);

/** Whether a request asks for an asynchronous answer (RFC 7240 Prefer: respond-async). */
export function wantsAsync(req: ApiRequest): boolean {
  const prefer = req.headers.prefer;
  const text = Array.isArray(prefer) ? prefer.join(',') : (prefer ?? '');
  return /(^|[\s,;])respond-async([\s,;=]|$)/i.test(text);
}

export function invocationNotFound(id: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_INVOCATION_NOT_FOUND', `no async invocation ${id}; succeeded ones are kept for 24 hours, dead letters until purged`);
}

/** How the API shows a queue item. */
export function itemView(item: QueueItem, withPayload = false): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: item.id,
    function: item.kind === 'invoke' ? item.target : null,
    ...(item.kind === 'start-workflow' ? { workflow: item.target.slice(WORKFLOW_TARGET_PREFIX.length) } : {}),
    kind: item.kind,
    trigger: item.trigger,
    source: item.source,
    state: item.state,
    attempts: item.attempts,
    throttles: item.throttles,
    acceptedAt: item.acceptedAt,
    enqueuedAt: item.enqueuedAt,
    nextAttemptAt: item.state === 'queued' ? item.dueAt : null,
    leaseExpiresAt: item.state === 'running' ? item.dueAt : null,
    finishedAt: item.finishedAt,
    deadReason: item.deadReason,
    lastError: item.lastError,
    idempotencyKey: item.idempotencyKey,
  };
  if (withPayload) {
    try {
      view.payload = JSON.parse(item.payload);
    } catch {
      view.payload = item.payload;
    }
  }
  return view;
}

export function systemOf(deps: ApiDeps): AsyncSystem {
  if (!deps.asyncSystem) throw new NimbusError('NIMBUS_ERR_INTERNAL', 'async invocation is not enabled in this platform');
  return deps.asyncSystem;
}

/** POST /api/v1/functions/{name}/invoke with Prefer: respond-async: persist, then 202. */
export async function submitAsync(deps: ApiDeps, req: ApiRequest): Promise<ApiResponse> {
  const system = systemOf(deps);
  const keyHeader = req.headers['idempotency-key'];
  const key = parseIdempotencyKey(Array.isArray(keyHeader) ? keyHeader[0] : keyHeader);
  const event = await req.json();
  const { id, created } = await system.submit(req.params.name, event, { idempotencyKey: key, ...traceOption(req) });
  return {
    status: 202,
    body: { invocationId: id, created, status: `/api/v1/async/${id}` },
    headers: { 'x-nimbus-invocation-id': id, location: `/api/v1/async/${id}`, 'preference-applied': 'respond-async' },
  };
}

/**
 * A deploy body's `async` (policy) and `triggers` (declared triggers): validated before
 * the deploy, applied after it. Absent fields leave the current settings as they are.
 */
export async function prepareDeployExtras(deps: ApiDeps, name: string, body: { async?: unknown; triggers?: unknown }): Promise<() => Promise<void>> {
  if (body.async === undefined && body.triggers === undefined) return async () => {};
  const system = systemOf(deps);
  const declared: TriggerDefinition[] | undefined = body.triggers === undefined ? undefined : system.triggers.validateDeclared(body.triggers);
  // Topics of declared subscriptions are created with them, so a destination may name one.
  const coming = new Set((declared ?? []).flatMap((d) => (d.kind === 'event' ? [d.topic] : [])));
  if (body.async !== undefined && body.async !== null) await system.policies.check(body.async, 'async', coming, name);
  return async () => {
    if (declared !== undefined) await system.triggers.applyDeclared(name, declared);
    if (body.async === null) await system.policies.delete(name);
    else if (body.async !== undefined) await system.policies.put(name, body.async, deps.clock.now());
  };
}

async function mustExist(deps: ApiDeps, name: string): Promise<void> {
  if (!(await deps.store.functions.get(unqualified(name)))) {
    throw new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', `function "${name}" does not exist; \`nimbus ls\` lists the deployed ones`);
  }
}

export function asyncRoutes(deps: ApiDeps): RouteDef[] {
  const policyView = async (name: string) => {
    const system = systemOf(deps);
    const stored = await deps.store.asyncPolicies.get(name);
    return { function: name, configured: stored?.policy ?? {}, effective: await system.policies.get(name), updatedAt: stored?.updatedAt ?? null };
  };
  return [
    {
      method: 'GET',
      path: '/api/v1/async',
      operationId: 'listAsyncInvocations',
      handler: async (req) => {
        const limit = limitOf(req.query.get('limit'));
        const stateRaw = req.query.get('state');
        if (stateRaw !== null && !STATES.has(stateRaw as QueueState)) {
          throw new NimbusError('NIMBUS_ERR_VALIDATION', `state ${JSON.stringify(stateRaw)} is not one of ${[...STATES].join(', ')}`, { extra: { field: 'state' } });
        }
        const target = req.query.get('function') ?? undefined;
        const items = await deps.store.queue.list({ target, state: (stateRaw ?? undefined) as QueueState | undefined, before: cursorQuery(req.query.get('before')), limit });
        const counts = await deps.store.queue.counts(target);
        return { status: 200, body: { items: items.map((i) => itemView(i)), next: items.length === limit ? items[items.length - 1].id : null, counts } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/async/{id}',
      operationId: 'getAsyncInvocation',
      handler: async (req) => {
        const item = await deps.store.queue.get(req.params.id);
        if (!item) throw invocationNotFound(req.params.id);
        return { status: 200, body: itemView(item, req.query.get('payload') === 'true') };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/functions/{name}/async-policy',
      operationId: 'getAsyncPolicy',
      handler: async (req) => {
        await mustExist(deps, req.params.name);
        return { status: 200, body: await policyView(req.params.name) };
      },
    },
    {
      method: 'PUT',
      path: '/api/v1/functions/{name}/async-policy',
      operationId: 'putAsyncPolicy',
      handler: async (req) => {
        await mustExist(deps, req.params.name);
        await systemOf(deps).policies.put(req.params.name, (await req.json()) ?? {}, deps.clock.now());
        return { status: 200, body: await policyView(req.params.name) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/functions/{name}/async-policy',
      operationId: 'deleteAsyncPolicy',
      handler: async (req) => {
        await mustExist(deps, req.params.name);
        await systemOf(deps).policies.delete(req.params.name);
        return { status: 204 };
      },
    },
  ];
}
