/** SQLite AliasRepo: one row an alias, its routes and previous routes as JSON. */
import type Database from 'better-sqlite3';
import type { AliasRoute, FunctionAlias } from '../../core/types.ts';
import { toAlias } from '../function-rows.ts';
import type { AliasRepo } from '../ports.ts';
import type { Row } from '../row.ts';

export function aliasRepo(db: Database.Database): AliasRepo {
  const list = db.prepare('SELECT * FROM aliases WHERE function_name = ? ORDER BY name');
  const get = db.prepare('SELECT * FROM aliases WHERE function_name = ? AND name = ?');
  const fnExists = db.prepare('SELECT 1 FROM functions WHERE name = ?').pluck();
  const put = db.prepare(
    `INSERT INTO aliases (function_name, name, routes, previous, updated_at) VALUES (?, ?, ?, NULL, ?)
     ON CONFLICT(function_name, name) DO UPDATE SET previous = aliases.routes, routes = excluded.routes, updated_at = excluded.updated_at`,
  );
  const remove = db.prepare('DELETE FROM aliases WHERE function_name = ? AND name = ?');
  const setTx = db.transaction((functionName: string, name: string, routes: readonly AliasRoute[], now: number): FunctionAlias | null => {
    if (!fnExists.get(functionName)) return null;
    put.run(functionName, name, JSON.stringify(routes.map((r) => ({ version: r.version, weight: r.weight }))), now);
    return toAlias(get.get(functionName, name) as Row);
  });
  return {
    async list(functionName) {
      return (list.all(functionName) as Row[]).map(toAlias);
    },
    async get(functionName, name) {
      const row = get.get(functionName, name) as Row | undefined;
      return row ? toAlias(row) : null;
    },
    async set(functionName, name, routes, now) {
      return setTx.immediate(functionName, name, routes, now);
    },
    async delete(functionName, name) {
      return remove.run(functionName, name).changes > 0;
    },
  };
}
