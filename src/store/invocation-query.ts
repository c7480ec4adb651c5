/**
 * What an InvocationQuery means for records in hand (ports.ts): the store's list, a pack's
 * records and the recorder's unwritten ones all select and order the same way.
 */
import type { InvocationRecord } from '../core/types.ts';
import type { InvocationQuery } from './ports.ts';

export function matchesQuery(r: InvocationRecord, q: Omit<InvocationQuery, 'limit'>): boolean {
  return (
    (q.functionName === undefined || r.functionName === q.functionName) &&
    (q.status === undefined || r.status === q.status) &&
    (q.before === undefined || r.id < q.before) &&
    (q.since === undefined || r.startedAt >= q.since)
  );
}

/** Newest (largest id) first. */
export function byIdNewestFirst(a: { id: string }, b: { id: string }): number {
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Whether `a` is an earlier version than `b` of the same invocation (the store's rule: attempt, then start). */
export function isEarlier(a: InvocationRecord, b: InvocationRecord): boolean {
  return a.attempt < b.attempt || (a.attempt === b.attempt && a.startedAt < b.startedAt);
}

/** One record an id, its latest version (isEarlier), in no particular order. */
export function latestVersions(records: Iterable<InvocationRecord>): InvocationRecord[] {
  const byId = new Map<string, InvocationRecord>();
  for (const r of records) {
    const seen = byId.get(r.id);
    if (seen === undefined || !isEarlier(r, seen)) byId.set(r.id, r);
  }
  return [...byId.values()];
}

/** One record an id, its latest version (isEarlier), newest first, at most `limit`. */
export function latestNewestFirst(records: Iterable<InvocationRecord>, limit: number): InvocationRecord[] {
  return latestVersions(records).sort(byIdNewestFirst).slice(0, limit);
}
