/** The node registry on PostgreSQL: one row a node, replaced by each heartbeat. */
import type pg from 'pg';
import type { NodeInfo, NodeRepo } from '../node-ports.ts';

const toNode = (r: Record<string, unknown>): NodeInfo => ({
  id: r.id as string,
  address: r.address as string,
  version: r.version as string,
  startedAt: Number(r.started_at),
  lastSeen: Number(r.last_seen),
  load: Number(r.load),
  instances: Number(r.instances),
});

export function nodeRepo(pool: pg.Pool): NodeRepo {
  return {
    async heartbeat(n) {
      await pool.query(
        `INSERT INTO nodes (id, address, version, started_at, last_seen, load, instances) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (id) DO UPDATE SET address = excluded.address, version = excluded.version, started_at = excluded.started_at,
           last_seen = excluded.last_seen, load = excluded.load, instances = excluded.instances`,
        [n.id, n.address, n.version, n.startedAt, n.lastSeen, n.load, n.instances],
      );
    },
    async list() {
      return (await pool.query('SELECT * FROM nodes ORDER BY id')).rows.map(toNode);
    },
    async remove(id) {
      return ((await pool.query('DELETE FROM nodes WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    async prune(seenBefore) {
      return (await pool.query('DELETE FROM nodes WHERE last_seen < $1', [seenBefore])).rowCount ?? 0;
    },
  };
}
