/** /api/v1/triggers: timer triggers (cron, rate) and event subscriptions of functions and workflows. */
import { NimbusError } from '../core/errors.ts';
import { triggerNotFound } from '../triggers/service.ts';
import { targetOf, triggerView } from '../triggers/definition.ts';
import { systemOf } from './async.ts';
import type { ApiDeps } from './context.ts';
import { intQuery } from './query.ts';
import type { RouteDef } from './router.ts';

function nextCount(raw: string | null): number {
  return intQuery(raw, 'next', { dflt: 3, min: 1, max: 1000 });
}

export function triggerRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/triggers',
      operationId: 'listTriggers',
      handler: async (req) => {
        const kind = req.query.get('kind');
        if (kind !== null && kind !== 'timer' && kind !== 'event') {
          throw new NimbusError('NIMBUS_ERR_VALIDATION', `kind ${JSON.stringify(kind)} must be "timer" or "event"`, { extra: { field: 'kind' } });
        }
        const count = nextCount(req.query.get('next'));
        const list = await deps.store.triggers.list({
          functionName: req.query.get('function') ?? undefined,
          workflow: req.query.get('workflow') ?? undefined,
          kind: kind ?? undefined,
          topic: req.query.get('topic') ?? undefined,
        });
        const now = deps.clock.now();
        return { status: 200, body: { items: list.map((t) => triggerView(t, now, count)) } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/triggers',
      operationId: 'createTrigger',
      handler: async (req) => {
        const body = await req.json();
        if (typeof body !== 'object' || body === null || Array.isArray(body)) {
          throw new NimbusError('NIMBUS_ERR_VALIDATION', 'send a trigger such as {"function": "report", "schedule": "0 9 * * MON-FRI"} or {"workflow": "orders", "topic": "orders"}', { extra: { field: '(body)' } });
        }
        const record = await systemOf(deps).triggers.create(targetOf(body as Record<string, unknown>), body);
        return { status: 201, body: triggerView(record, deps.clock.now()), headers: { location: `/api/v1/triggers/${record.id}` } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/triggers/{id}',
      operationId: 'getTrigger',
      handler: async (req) => {
        const record = await deps.store.triggers.get(req.params.id);
        if (!record) throw triggerNotFound(req.params.id);
        return { status: 200, body: triggerView(record, deps.clock.now(), nextCount(req.query.get('next'))) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/triggers/{id}',
      operationId: 'deleteTrigger',
      handler: async (req) => {
        await systemOf(deps).triggers.remove(req.params.id);
        return { status: 204 };
      },
    },
  ];
}
