/**
 * Decisions about time-bounded ownership, as values with the time passed in: whether a node
 * still counts as alive from its last heartbeat, and whether this node may still act on a
 * lease it took. Pure; the membership and lease keepers actuate them.
 */
import type { NodeInfo } from '../store/node-ports.ts';

/** The part of a lease this node uses before it must have renewed: the rest is slack for clock skew and a slow store. */
export const LEASE_SAFETY = 0.8;

/** How often a holder renews a lease of `ttlMs` (three chances before it counts as lost). */
export function renewEveryMs(ttlMs: number): number {
  return Math.max(50, Math.floor(ttlMs / 3));
}

/** True while a lease taken at `acquiredAt` for `ttlMs` may still be acted on at `now`. */
export function leaseUsable(acquiredAt: number | null, now: number, ttlMs: number): boolean {
  return acquiredAt !== null && now >= acquiredAt - ttlMs && now < acquiredAt + ttlMs * LEASE_SAFETY;
}

export type NodeState = 'alive' | 'stale';

/** A node is stale once its last heartbeat is `staleAfterMs` old (or from further in the future than that: a clock gone wrong). */
export function nodeState(node: Pick<NodeInfo, 'lastSeen'>, now: number, staleAfterMs: number): NodeState {
  return Math.abs(now - node.lastSeen) < staleAfterMs ? 'alive' : 'stale';
}

/** The ids of the nodes alive at `now`. */
export function aliveNodeIds(nodes: readonly NodeInfo[], now: number, staleAfterMs: number): string[] {
  return nodes.filter((n) => nodeState(n, now, staleAfterMs) === 'alive').map((n) => n.id);
}
