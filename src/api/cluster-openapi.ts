/** OpenAPI path of /api/v1/cluster (node membership, docs/cluster.md). */
import { common } from './openapi-parts.ts';

const nodeView = {
  type: 'object',
  required: ['id', 'address', 'version', 'startedAt', 'lastSeen', 'load', 'instances', 'state'],
  properties: {
    id: { type: 'string', description: 'The node id (kept in `node-id` in its data directory).' },
    address: { type: 'string', description: 'The URL the node serves on.' },
    version: { type: 'string', description: 'The Nimbus version it runs.' },
    startedAt: { type: 'integer', description: 'Epoch ms.' },
    lastSeen: { type: 'integer', description: 'Its last heartbeat, epoch ms (its clock).' },
    load: { type: 'integer', description: 'Invocations in flight or waiting on it at its last heartbeat.' },
    instances: { type: 'integer', description: 'Function instances alive on it at its last heartbeat.' },
    state: { type: 'string', enum: ['alive', 'stale'], description: 'stale: silent for staleAfterMs (it died or is cut off; its async items run elsewhere).' },
  },
};

export const CLUSTER_PATHS = {
  '/api/v1/cluster': {
    get: {
      operationId: 'getCluster',
      summary: 'The nodes sharing this store (from their heartbeats), this node, and which node fires timers.',
      responses: {
        '200': {
          description: 'The cluster as this node sees it.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['self', 'store', 'bus', 'staleAfterMs', 'cronNode', 'nodes'],
                properties: {
                  self: { type: 'string', description: 'The id of the node that answered.' },
                  store: { type: 'string', enum: ['sqlite', 'postgres'] },
                  bus: { type: 'string', enum: ['local', 'nats'] },
                  staleAfterMs: { type: 'integer', description: 'A node silent this long is stale (--lease-time).' },
                  cronNode: { type: ['string', 'null'], description: 'The node holding the cron lease (it fires timer triggers), or null.' },
                  nodes: { type: 'array', items: nodeView },
                },
              },
            },
          },
        },
        ...common,
      },
    },
  },
};
