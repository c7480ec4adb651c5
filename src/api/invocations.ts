/** /api/v1/invocations: the records, newest first, including ones not yet flushed. */
import { NimbusError } from '../core/errors.ts';
import type { InvocationRecord, InvocationStatus } from '../core/types.ts';
import type { ApiDeps } from './context.ts';
import type { RouteDef } from './router.ts';

const STATUSES = new Set<InvocationStatus>(['success', 'error', 'timeout', 'cpu_limit', 'memory_limit', 'crashed', 'throttled']);

function limitOf(raw: string | null): number {
  if (raw === null) return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 1000) {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `limit ${JSON.stringify(raw)} must be a whole number from 1 to 1000`, { extra: { field: 'limit' } });
  }
  return n;
}

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
        const before = req.query.get('before') ?? undefined;
        const sinceRaw = req.query.get('since');
        const since = sinceRaw === null ? undefined : Number(sinceRaw);
        if (since !== undefined && !Number.isFinite(since)) {
          throw new NimbusError('NIMBUS_ERR_VALIDATION', 'since must be epoch milliseconds', { extra: { field: 'since' } });
        }
        const matches = (r: InvocationRecord) =>
          (functionName === undefined || r.functionName === functionName) &&
          (status === undefined || r.status === status) &&
          (before === undefined || r.id < before) &&
          (since === undefined || r.startedAt >= since);
        const pending = deps.recorder.pending().filter(matches);
        const stored = await deps.store.invocations.list({ functionName, status, before, since, limit });
        const seen = new Set<string>();
        const items = [...pending, ...stored]
          .filter((r) => (seen.has(r.id) ? false : (seen.add(r.id), true)))
          .sort((a, b) => (a.id < b.id ? 1 : -1))
          .slice(0, limit);
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
