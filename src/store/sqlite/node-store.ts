/**
 * The node registry on SQLite: held in memory. A SQLite store has exactly one platform
 * (the data directory lock), so the registry only ever lists that node, as leases do.
 */
import type { NodeInfo, NodeRepo } from '../node-ports.ts';

export function nodeRepo(): NodeRepo {
  const nodes = new Map<string, NodeInfo>();
  return {
    async heartbeat(node) {
      nodes.set(node.id, { ...node });
    },
    async list() {
      return [...nodes.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
    async remove(id) {
      return nodes.delete(id);
    },
    async prune(seenBefore) {
      let n = 0;
      for (const [id, node] of nodes) if (node.lastSeen < seenBefore && nodes.delete(id)) n++;
      return n;
    },
  };
}
