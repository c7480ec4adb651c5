/** Timer/event triggers, topics and per-function async policies on PostgreSQL. */
import type pg from 'pg';
import type { AsyncPolicyRepo, TopicRepo, TriggerInput, TriggerRecord, TriggerRepo } from '../queue-ports.ts';
import { jsonColumn, matchDeclared, toTopic, toTrigger } from '../queue-rows.ts';
import { lockName, NAME_LOCK, transaction, whereOf, type Sql } from './pg-client.ts';

async function create(sql: Sql, t: TriggerInput): Promise<TriggerRecord> {
  const { rows } = await sql.query(
    `INSERT INTO triggers (id, function_name, workflow, kind, origin, schedule, timezone, missed, topic, filter, input, created_at, last_fired_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL) RETURNING *`,
    [t.id, t.functionName, t.workflow ?? null, t.kind, t.origin, t.schedule ?? null, t.timezone ?? null, t.missed ?? null, t.topic ?? null, jsonColumn(t.filter), jsonColumn(t.input), t.createdAt],
  );
  return toTrigger(rows[0]);
}

export function triggerRepo(pool: pg.Pool): TriggerRepo {
  return {
    create: (input) => create(pool, input),
    async get(id) {
      const { rows } = await pool.query('SELECT * FROM triggers WHERE id = $1', [id]);
      return rows.length > 0 ? toTrigger(rows[0]) : null;
    },
    async list(q = {}) {
      const { where, args } = whereOf([
        q.functionName !== undefined && ['function_name = ?', q.functionName],
        q.workflow !== undefined && ['workflow = ?', q.workflow],
        q.kind !== undefined && ['kind = ?', q.kind],
        q.topic !== undefined && ['topic = ?', q.topic],
      ]);
      return (await pool.query(`SELECT * FROM triggers${where} ORDER BY created_at, seq`, args)).rows.map(toTrigger);
    },
    async delete(id) {
      return ((await pool.query('DELETE FROM triggers WHERE id = $1', [id])).rowCount ?? 0) > 0;
    },
    async deleteForFunction(functionName, origin) {
      const r =
        origin === undefined
          ? await pool.query('DELETE FROM triggers WHERE function_name = $1', [functionName])
          : await pool.query('DELETE FROM triggers WHERE function_name = $1 AND origin = $2', [functionName, origin]);
      return r.rowCount ?? 0;
    },
    replaceDeclared: (functionName, inputs) =>
      transaction(pool, async (sql) => {
        await lockName(sql, NAME_LOCK.function, functionName);
        const { rows } = await sql.query(`SELECT * FROM triggers WHERE function_name = $1 AND origin = 'deploy' ORDER BY created_at, seq`, [functionName]);
        const { kept, gone } = matchDeclared(rows.map(toTrigger), inputs);
        const out: TriggerRecord[] = [];
        for (const [i, input] of inputs.entries()) out.push(kept[i] ?? (await create(sql, input)));
        if (gone.length > 0) await sql.query('DELETE FROM triggers WHERE id = ANY($1)', [gone]);
        return out;
      }),
    async setLastFiredAt(id, at) {
      await pool.query('UPDATE triggers SET last_fired_at = $1 WHERE id = $2 AND (last_fired_at IS NULL OR last_fired_at < $1)', [at, id]);
    },
  };
}

export function topicRepo(pool: pg.Pool): TopicRepo {
  return {
    async create(name, now) {
      return ((await pool.query('INSERT INTO topics (name, created_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, now])).rowCount ?? 0) > 0;
    },
    async get(name) {
      const { rows } = await pool.query('SELECT * FROM topics WHERE name = $1', [name]);
      return rows.length > 0 ? toTopic(rows[0]) : null;
    },
    async list() {
      return (await pool.query('SELECT * FROM topics ORDER BY name')).rows.map(toTopic);
    },
    async delete(name) {
      return ((await pool.query('DELETE FROM topics WHERE name = $1', [name])).rowCount ?? 0) > 0;
    },
  };
}

export function asyncPolicyRepo(pool: pg.Pool): AsyncPolicyRepo {
  return {
    async get(functionName) {
      const { rows } = await pool.query('SELECT * FROM async_policies WHERE function_name = $1', [functionName]);
      return rows.length > 0 ? { functionName, policy: JSON.parse(rows[0].policy as string), updatedAt: rows[0].updated_at as number } : null;
    },
    async put(functionName, policy, now) {
      await pool.query(
        `INSERT INTO async_policies (function_name, policy, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (function_name) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
        [functionName, JSON.stringify(policy), now],
      );
    },
    async delete(functionName) {
      return ((await pool.query('DELETE FROM async_policies WHERE function_name = $1', [functionName])).rowCount ?? 0) > 0;
    },
  };
}
