/**
 * Weighted routing of an alias: which of its (at most two) versions serves an invocation.
 * The choice is a pure function of the invocation id, so every attempt of one async item
 * (they share an id) and every replay of a workflow task runs the same version.
 */
import type { AliasRoute } from '../core/types.ts';

/** Buckets an id falls into; weights are percent, so 100 per percent point is plenty. */
const BUCKETS = 10_000;

/**
 * A well-mixed 32-bit hash of the id (FNV-1a, then murmur3's finaliser): ids made one after
 * another share most of their characters, and the finaliser spreads that small difference
 * over every bit.
 */
export function idHash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The route that serves invocation `id`: routes in order, each owning its weight's share of buckets. */
export function pickRoute(routes: readonly AliasRoute[], id: string): AliasRoute {
  if (routes.length === 1) return routes[0];
  const bucket = idHash(id) % BUCKETS;
  let upTo = 0;
  for (const route of routes) {
    upTo += (route.weight * BUCKETS) / 100;
    if (bucket < upTo) return route;
  }
  return routes[routes.length - 1];
}
