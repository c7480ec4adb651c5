/** Usage per function-hour (written with the records, invocation-repo.ts) and alert rules and events, on PostgreSQL. */
import type pg from 'pg';
import { hourOf } from '../../core/usage.ts';
import type { AlertEventRecord, AlertRepo, AlertRuleRecord, UsageRepo, UsageRow } from '../observe-ports.ts';
import { whereOf, type Row } from './pg-client.ts';

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
    async addEvent(e) {
      await pool.query('INSERT INTO alert_events (id, rule, kind, at, value, detail, delivered) VALUES ($1, $2, $3, $4, $5, $6, $7)', [
        e.id, e.rule, e.kind, e.at, e.value, e.detail, e.delivered,
      ]);
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
