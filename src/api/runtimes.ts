/** GET /api/v1/runtimes: the runtimes this platform runs, and what it enforces on app processes. */
import type { ApiDeps } from './context.ts';
import type { RouteDef } from './router.ts';

export function runtimeRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/runtimes',
      operationId: 'listRuntimes',
      handler: async () => ({ status: 200, body: { items: deps.runtimes?.() ?? [] } }),
    },
  ];
}
