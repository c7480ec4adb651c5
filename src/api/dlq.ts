/** /api/v1/dlq: the dead-letter list of async invocations — list, inspect, redrive, purge. */
import { NimbusError } from '../core/errors.ts';
import { invocationNotFound, itemView, systemOf } from './async.ts';
import { cursorQuery, limitOf } from './query.ts';
import type { ApiDeps } from './context.ts';
import type { RouteDef } from './router.ts';

export function dlqRoutes(deps: ApiDeps): RouteDef[] {
  const wake = () => systemOf(deps).consumer.wake();
  return [
    {
      method: 'GET',
      path: '/api/v1/dlq',
      operationId: 'listDeadLetters',
      handler: async (req) => {
        const limit = limitOf(req.query.get('limit'));
        const items = await deps.store.queue.list({
          state: 'dead',
          target: req.query.get('function') ?? undefined,
          before: cursorQuery(req.query.get('before')),
          limit,
        });
        return { status: 200, body: { items: items.map((i) => itemView(i)), next: items.length === limit ? items[items.length - 1].id : null } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/dlq/redrive',
      operationId: 'redriveDeadLetters',
      handler: async (req) => {
        const body = ((await req.json()) ?? {}) as { function?: unknown };
        if (typeof body !== 'object' || Array.isArray(body) || Object.keys(body).some((k) => k !== 'function')) {
          throw new NimbusError('NIMBUS_ERR_VALIDATION', 'the body may only have "function" (redrive that function\'s dead letters; omit for all)', {
            extra: { field: '(body)' },
          });
        }
        if (body.function !== undefined && typeof body.function !== 'string') {
          throw new NimbusError('NIMBUS_ERR_VALIDATION', 'function: must be a function name', { extra: { field: 'function' } });
        }
        const redriven = await deps.store.queue.redriveAll(body.function as string | undefined, deps.clock.now());
        if (redriven > 0) wake();
        return { status: 200, body: { redriven } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/dlq/{id}',
      operationId: 'getDeadLetter',
      handler: async (req) => {
        const item = await deps.store.queue.get(req.params.id);
        if (!item || item.state !== 'dead') throw deadNotFound(req.params.id);
        return { status: 200, body: itemView(item, true) };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/dlq/{id}/redrive',
      operationId: 'redriveDeadLetter',
      handler: async (req) => {
        if (!(await deps.store.queue.redrive(req.params.id, deps.clock.now()))) throw deadNotFound(req.params.id);
        wake();
        const item = await deps.store.queue.get(req.params.id);
        return { status: 200, body: itemView(item!) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/dlq/{id}',
      operationId: 'purgeDeadLetter',
      handler: async (req) => {
        if (!(await deps.store.queue.purge(req.params.id))) throw deadNotFound(req.params.id);
        return { status: 204 };
      },
    },
  ];
}

function deadNotFound(id: string): NimbusError {
  const e = invocationNotFound(id);
  return new NimbusError(e.code, `no dead letter ${id}; \`nimbus dlq ls\` lists them`);
}
