/** /api/v1/invocations: the records, newest first, including ones not yet flushed. */
import { NimbusError } from '../core/errors.ts';
import type { InvocationStatus } from '../core/types.ts';
import { latestNewestFirst } from '../store/invocation-query.ts';
import type { ApiDeps } from './context.ts';
import { cursorQuery, intQuery, limitOf } from './query.ts';
import type { RouteDef } from './router.ts';

const STATUSES = new Set<InvocationStatus>(['success', 'error', 'timeout', 'cpu_limit', 'memory_limit', 'crashed', 'throttled']);

export function invocationRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/invocations',
      operationId: 'listInvocations',
      handler: async (req) => {
        const limit = limitOf(req.query.get('limit'));
        const functionName = req.query.get('function') ?? undefined;
        const statusRaw = req.query.get('status');
        if (statusRaw !== null && !STATUSES.has(statusRaw as InvocationStatus)) {
          throw new NimbusError('NIMBUS_ERR_VALIDATION', `status ${JSON.stringify(statusRaw)} is not one of ${[...STATUSES].join(', ')}`, {
            extra: { field: 'status' },
          });
        }
        const status = (statusRaw ?? undefined) as InvocationStatus | undefined;
        const before = cursorQuery(req.query.get('before'));
        const sinceRaw = req.query.get('since');
        const since = sinceRaw === null ? undefined : intQuery(sinceRaw, 'since', { dflt: 0, min: 0, what: 'epoch milliseconds' });
        const query = { functionName, status, before, since, limit };
        const pending = deps.recorder.pending(query);
        const stored = await deps.store.invocations.list(query);
        // An id in both (being written; or a later attempt waiting while an earlier one is stored): its latest version.
        const items = latestNewestFirst([...stored, ...pending], limit);
        return { status: 200, body: { items, next: items.length === limit ? items[items.length - 1].id : null } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/invocations/{id}',
      operationId: 'getInvocation',
      handler: async (req) => {
        const record = deps.recorder.get(req.params.id) ?? (await deps.store.invocations.get(req.params.id));
        if (!record) {
          throw new NimbusError('NIMBUS_ERR_INVOCATION_NOT_FOUND', `no invocation ${req.params.id}; it may be older than the retention`);
        }
        return { status: 200, body: record };
      },
    },
  ];
}
