/** PostgreSQL AliasRepo: one row an alias, its routes and previous routes as JSON. */
import type pg from 'pg';
import type { AliasRoute, FunctionAlias } from '../../core/types.ts';
import { toAlias } from '../function-rows.ts';
import type { AliasRepo } from '../ports.ts';
import { transaction } from './pg-client.ts';

export function aliasRepo(pool: pg.Pool): AliasRepo {
  return {
    async list(functionName) {
      return (await pool.query('SELECT * FROM aliases WHERE function_name = $1 ORDER BY name', [functionName])).rows.map(toAlias);
    },
    async get(functionName, name) {
      const { rows } = await pool.query('SELECT * FROM aliases WHERE function_name = $1 AND name = $2', [functionName, name]);
      return rows.length > 0 ? toAlias(rows[0]) : null;
    },
    set: (functionName, name, routes, now) =>
      transaction(pool, async (sql): Promise<FunctionAlias | null> => {
        // The key share lock keeps the function from being deleted until commit.
        if ((await sql.query('SELECT 1 FROM functions WHERE name = $1 FOR KEY SHARE', [functionName])).rowCount === 0) return null;
        // One statement: the upsert takes the alias's row lock, so concurrent sets each see the routes the other left.
        const { rows } = await sql.query(
          `INSERT INTO aliases AS a (function_name, name, routes, previous, updated_at) VALUES ($1, $2, $3, NULL, $4)
           ON CONFLICT (function_name, name) DO UPDATE SET previous = a.routes, routes = excluded.routes, updated_at = excluded.updated_at
           RETURNING *`,
          [functionName, name, JSON.stringify(routes.map((r) => ({ version: r.version, weight: r.weight }))), now],
        );
        return toAlias(rows[0]);
      }),
    async delete(functionName, name) {
      return ((await pool.query('DELETE FROM aliases WHERE function_name = $1 AND name = $2', [functionName, name])).rowCount ?? 0) > 0;
    },
  };
}
