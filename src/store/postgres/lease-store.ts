/**
 * Leases on PostgreSQL: one row a lease. Taking one is a single upsert whose update applies
 * only when the row is the caller's or has expired, so of concurrent callers exactly one
 * ends up holding it (the others' upserts wait on the row lock and then see it taken).
 */
import type pg from 'pg';
import type { LeaseRepo } from '../lease-ports.ts';

export function leaseRepo(pool: pg.Pool): LeaseRepo {
  return {
    async acquire(name, owner, now, ttlMs) {
      const { rowCount } = await pool.query(
        `INSERT INTO leases AS l (name, owner, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
         WHERE l.owner = excluded.owner OR l.expires_at <= $4`,
        [name, owner, now + ttlMs, now],
      );
      return (rowCount ?? 0) > 0;
    },
    async release(name, owner) {
      return ((await pool.query('DELETE FROM leases WHERE name = $1 AND owner = $2', [name, owner])).rowCount ?? 0) > 0;
    },
    async holder(name, now) {
      const { rows } = await pool.query('SELECT name, owner, expires_at FROM leases WHERE name = $1 AND expires_at > $2', [name, now]);
      return rows.length > 0 ? { name: rows[0].name as string, owner: rows[0].owner as string, expiresAt: rows[0].expires_at as number } : null;
    },
  };
}
