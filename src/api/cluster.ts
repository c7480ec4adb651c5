/** /api/v1/cluster: the nodes sharing this store, from their heartbeats, each alive or stale. */
import { nodeState } from '../cluster/liveness.ts';
import { NimbusError } from '../core/errors.ts';
import type { ApiDeps } from './context.ts';
import type { RouteDef } from './router.ts';

/** What the cluster route needs to know about this node (wired in server/). */
export interface ClusterInfo {
  readonly nodeId: string;
  /** A node silent this long is shown stale (its work is taken over). */
  readonly staleAfterMs: number;
  readonly store: 'sqlite' | 'postgres';
  readonly bus: 'local' | 'nats';
  /** The address of the live node driving a workflow execution, when it is another node. */
  readonly ownerAddress?: (executionId: string) => Promise<string | null>;
}

export function clusterRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/cluster',
      operationId: 'getCluster',
      handler: async () => {
        const info = deps.cluster;
        if (!info) throw new NimbusError('NIMBUS_ERR_INTERNAL', 'this platform was started without cluster information');
        const now = deps.clock.now();
        const [nodes, cron] = await Promise.all([deps.store.nodes.list(), deps.store.leases.holder('cron', now)]);
        return {
          status: 200,
          body: {
            self: info.nodeId,
            store: info.store,
            bus: info.bus,
            staleAfterMs: info.staleAfterMs,
            cronNode: cron?.owner ?? null,
            nodes: nodes.map((n) => ({ ...n, state: nodeState(n, now, info.staleAfterMs) })),
          },
        };
      },
    },
  ];
}
