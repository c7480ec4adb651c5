/**
 * Usage per function-hour (written with the records, invocation-repo.ts) and alert rules,
 * events and each rule's last state, on PostgreSQL. A state is saved with the event of its
 * transition in one transaction.
 */
import type pg from 'pg';
import { hourOf } from '../../core/usage.ts';
import type { AlertEventRecord, AlertRepo, UsageRepo } from '../observe-ports.ts';
import { toEvent, toRule, toState, toUsage } from '../observe-rows.ts';
import { transaction, whereOf, type Sql } from './pg-client.ts';

export function usageRepo(pool: pg.Pool): UsageRepo {
  return {
    async list(q) {
      const { where, args } = whereOf([
        q.functionName !== undefined && ['function_name = ?', q.functionName],
        q.since !== undefined && ['hour >= ?', hourOf(q.since)],
        q.until !== undefined && ['hour < ?', q.until],
      ]);
      return (await pool.query(`SELECT * FROM usage${where} ORDER BY hour, function_name`, args)).rows.map(toUsage);
    },
  };
}

async function insertEvent(sql: Sql, e: AlertEventRecord): Promise<void> {
  await sql.query('INSERT INTO alert_events (id, rule, kind, at, value, detail, delivered) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
    e.id, e.rule, e.kind, e.at, e.value, e.detail, e.delivered,
  ]);
}

export function alertRepo(pool: pg.Pool): AlertRepo {
  return {
    async putRule(r) {
      await pool.query(
        'INSERT INTO alert_rules (name, rule, origin, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET rule = excluded.rule, origin = excluded.origin',
        [r.name, JSON.stringify(r.rule), r.origin, r.createdAt],
      );
    },
    async getRule(name) {
      const { rows } = await pool.query('SELECT * FROM alert_rules WHERE name = $1', [name]);
      return rows.length > 0 ? toRule(rows[0]) : null;
    },
    async listRules() {
      return (await pool.query('SELECT * FROM alert_rules ORDER BY name')).rows.map(toRule);
    },
    async deleteRule(name) {
      return ((await pool.query('DELETE FROM alert_rules WHERE name = $1', [name])).rowCount ?? 0) > 0;
    },
    async deleteRulesOf(origin) {
      return (await pool.query('DELETE FROM alert_rules WHERE origin = $1', [origin])).rowCount ?? 0;
    },
    addEvent: (e) => insertEvent(pool, e),
    saveState: (state, event) =>
      transaction(pool, async (sql) => {
        await sql.query(
          `INSERT INTO alert_states (rule, status, since, value) VALUES ($1, $2, $3, $4)
           ON CONFLICT (rule) DO UPDATE SET status = excluded.status, since = excluded.since, value = excluded.value`,
          [state.rule, state.status, state.since, state.value],
        );
        if (event) await insertEvent(sql, event);
      }),
    async listStates() {
      const { rows } = await pool.query('SELECT * FROM alert_states ORDER BY rule');
      return rows.map(toState);
    },
    async deleteState(rule) {
      await pool.query('DELETE FROM alert_states WHERE rule = $1', [rule]);
    },
    async markDelivered(id) {
      await pool.query('UPDATE alert_events SET delivered = TRUE WHERE id = $1', [id]);
    },
    async listEvents(q) {
      const { rows } =
        q.rule === undefined
          ? await pool.query('SELECT * FROM alert_events ORDER BY id DESC LIMIT $1', [q.limit])
          : await pool.query('SELECT * FROM alert_events WHERE rule = $1 ORDER BY id DESC LIMIT $2', [q.rule, q.limit]);
      return rows.map((r) => toEvent(r, r.delivered as boolean));
    },
  };
}
