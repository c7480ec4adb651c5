/**
 * Usage per function-hour (written with the records, invocation-repo.ts) and alert rules,
 * events and each rule's last state, on PostgreSQL. A state is saved with the event of its
 * transition in one transaction.
 */
import type pg from 'pg';
import { hourOf } from '../../core/usage.ts';
import type { AlertEventRecord, AlertRepo, AlertRuleRecord, AlertStateRecord, UsageRepo, UsageRow } from '../observe-ports.ts';
import { transaction, whereOf, type Row, type Sql } from './pg-client.ts';

function toUsage(row: Row): UsageRow {
  return {
    functionName: row.function_name as string,
    hour: row.hour as number,
    requests: row.requests as number,
    errors: row.errors as number,
    throttles: row.throttles as number,
    coldStarts: row.cold_starts as number,
    billedMs: row.billed_ms as number,
    gbSeconds: row.gb_seconds as number,
    cpuMs: row.cpu_ms as number,
    occupancyGbSeconds: row.occupancy_gb_seconds as number,
  };
}

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

function toRule(row: Row): AlertRuleRecord {
  return { name: row.name as string, rule: JSON.parse(row.rule as string), origin: row.origin as AlertRuleRecord['origin'], createdAt: row.created_at as number };
}

function toEvent(row: Row): AlertEventRecord {
  return {
    id: row.id as string,
    rule: row.rule as string,
    kind: row.kind as AlertEventRecord['kind'],
    at: row.at as number,
    value: (row.value as number | null) ?? null,
    detail: row.detail as string,
    delivered: row.delivered as boolean,
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
      return rows.map((r): AlertStateRecord => ({
        rule: r.rule as string,
        status: r.status as AlertStateRecord['status'],
        since: r.since as number,
        value: (r.value as number | null) ?? null,
      }));
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
      return rows.map(toEvent);
    },
  };
}
