/**
 * Leases on SQLite: held in memory. A SQLite store has exactly one platform (the data
 * directory lock, server/data-lock.ts), so there is nobody to hand a lease over to, and
 * after a restart every lease of the previous process is rightly gone.
 */
import type { Lease, LeaseRepo } from '../lease-ports.ts';

export function leaseRepo(): LeaseRepo {
  const leases = new Map<string, Lease>();
  const live = (name: string, now: number): Lease | null => {
    const lease = leases.get(name);
    return lease !== undefined && lease.expiresAt > now ? lease : null;
  };
  return {
    async acquire(name, owner, now, ttlMs) {
      const held = live(name, now);
      if (held !== null && held.owner !== owner) return false;
      leases.set(name, { name, owner, expiresAt: now + ttlMs });
      return true;
    },
    async release(name, owner) {
      if (leases.get(name)?.owner !== owner) return false;
      return leases.delete(name);
    },
    async holder(name, now) {
      return live(name, now);
    },
  };
}
