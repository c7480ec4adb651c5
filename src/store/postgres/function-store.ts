/**
 * Functions, versions (with their sealed secrets), code and scale overrides on PostgreSQL. A deploy holds a
 * transaction-scoped advisory lock on the function's name, so concurrent deploys of one
 * function (from any node) serialise into consecutive versions.
 */
import type pg from 'pg';
import type { FunctionVersion } from '../../core/types.ts';
import { toInfo, toVersion } from '../function-rows.ts';
import type { DeployOutcome, FunctionRepo, ScaleOverride } from '../ports.ts';
import { lockName, NAME_LOCK, transaction, type Sql } from './pg-client.ts';

const VERSION_SELECT =
  'SELECT v.function_name, v.version, v.hash, v.code_hash, v.config, v.exports, v.created_at, c.bytes FROM versions v JOIN code c ON c.hash = v.code_hash';

export function functionRepo(pool: pg.Pool): FunctionRepo {
  const getVersion = async (sql: Sql, name: string, version: number): Promise<FunctionVersion | null> => {
    const { rows } = await sql.query(`${VERSION_SELECT} WHERE v.function_name = $1 AND v.version = $2`, [name, version]);
    return rows.length > 0 ? toVersion(rows[0]) : null;
  };
  return {
    deploy: (input) =>
      transaction(pool, async (sql): Promise<DeployOutcome> => {
        await lockName(sql, NAME_LOCK.function, input.name);
        const { rows: cur } = await sql.query(
          'SELECT v.hash, f.current_version FROM functions f JOIN versions v ON v.function_name = f.name AND v.version = f.current_version WHERE f.name = $1',
          [input.name],
        );
        await sql.query('DELETE FROM scale_overrides WHERE function_name = $1', [input.name]);
        if (cur.length > 0 && cur[0].hash === input.hash) {
          return { version: (await getVersion(sql, input.name, cur[0].current_version as number))!, created: false };
        }
        const { rows: max } = await sql.query('SELECT MAX(version) AS v FROM versions WHERE function_name = $1', [input.name]);
        const next = ((max[0].v as number | null) ?? 0) + 1;
        await sql.query('INSERT INTO code (hash, body, bytes) VALUES ($1, $2, $3) ON CONFLICT (hash) DO NOTHING', [input.codeHash, input.code, Buffer.byteLength(input.code)]);
        await sql.query(
          `INSERT INTO functions (name, current_version, created_at, updated_at) VALUES ($1, $2, $3, $3)
           ON CONFLICT (name) DO UPDATE SET current_version = excluded.current_version, updated_at = excluded.updated_at`,
          [input.name, next, input.now],
        );
        await sql.query(
          `INSERT INTO versions (function_name, version, hash, code_hash, config, exports, created_at, source_map, secrets)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
          [
            input.name, next, input.hash, input.codeHash, JSON.stringify(input.config), JSON.stringify(input.exports), input.now, input.sourceMap,
            input.secrets && Object.keys(input.secrets).length > 0 ? JSON.stringify(input.secrets) : null,
          ],
        );
        return { version: (await getVersion(sql, input.name, next))!, created: true };
      }),
    async get(name) {
      const { rows } = await pool.query('SELECT * FROM functions WHERE name = $1', [name]);
      return rows.length > 0 ? toInfo(rows[0]) : null;
    },
    async list() {
      return (await pool.query('SELECT * FROM functions ORDER BY name')).rows.map(toInfo);
    },
    getVersion: (name, version) => getVersion(pool, name, version),
    async listVersions(name) {
      return (await pool.query(`${VERSION_SELECT} WHERE v.function_name = $1 ORDER BY v.version DESC`, [name])).rows.map(toVersion);
    },
    async getCode(hash) {
      const { rows } = await pool.query('SELECT body FROM code WHERE hash = $1', [hash]);
      return rows.length > 0 ? (rows[0].body as string) : null;
    },
    async getSourceMap(name, version) {
      const { rows } = await pool.query('SELECT source_map FROM versions WHERE function_name = $1 AND version = $2', [name, version]);
      return rows.length > 0 ? ((rows[0].source_map as string | null) ?? null) : null;
    },
    async getSecrets(name, version) {
      const { rows } = await pool.query('SELECT secrets FROM versions WHERE function_name = $1 AND version = $2', [name, version]);
      const text = rows.length > 0 ? (rows[0].secrets as string | null) : null;
      return text ? (JSON.parse(text) as Record<string, string>) : {};
    },
    delete: (name) =>
      transaction(pool, async (sql) => {
        await lockName(sql, NAME_LOCK.function, name);
        await sql.query('DELETE FROM scale_overrides WHERE function_name = $1', [name]);
        await sql.query('DELETE FROM aliases WHERE function_name = $1', [name]);
        const { rows: codes } = await sql.query('SELECT DISTINCT code_hash FROM versions WHERE function_name = $1', [name]);
        await sql.query('DELETE FROM versions WHERE function_name = $1', [name]);
        const changed = ((await sql.query('DELETE FROM functions WHERE name = $1', [name])).rowCount ?? 0) > 0;
        const hashes = codes.map((r) => r.code_hash as string);
        if (hashes.length > 0) {
          await sql.query('DELETE FROM code WHERE hash = ANY($1) AND NOT EXISTS (SELECT 1 FROM versions WHERE code_hash = code.hash)', [hashes]);
        }
        return changed;
      }),
    async getScale(name) {
      const { rows } = await pool.query('SELECT settings FROM scale_overrides WHERE function_name = $1', [name]);
      return rows.length > 0 ? (JSON.parse(rows[0].settings as string) as ScaleOverride) : null;
    },
    async setScale(name, override, now) {
      if ((await pool.query('SELECT 1 FROM functions WHERE name = $1', [name])).rowCount === 0) return false;
      if (override === null || Object.keys(override).length === 0) await pool.query('DELETE FROM scale_overrides WHERE function_name = $1', [name]);
      else {
        await pool.query(
          `INSERT INTO scale_overrides (function_name, settings, updated_at) VALUES ($1, $2, $3)
           ON CONFLICT (function_name) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at`,
          [name, JSON.stringify(override), now],
        );
      }
      return true;
    },
  };
}
