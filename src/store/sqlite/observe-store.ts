/**
 * SQLite side of observability: usage per function-hour (kept by the invocation insert,
 * see usageWriter) and alert rules and events.
 */
import type Database from 'better-sqlite3';
import { countUsage, hourOf, ZERO_USAGE, type MutableUsage, type UsageAmounts, type UsageSource } from '../../core/usage.ts';
import type { AlertEventRecord, AlertRepo, AlertStateRecord, UsageQuery, UsageRepo } from '../observe-ports.ts';
import { toEvent, toRule, toState, toUsage, toUsageSource } from '../observe-rows.ts';
import type { Row } from '../row.ts';
import { filteredSelect } from './filtered-select.ts';

/** One batch of usageWriter: the summed deltas of the records written with it. */
export interface UsageBatch {
  before(id: string): Row | undefined;
  changed(previous: Row | undefined, r: UsageSource & { functionName: string; startedAt: number }): void;
  totalFor(fn: string, startedAt: number): MutableUsage;
  apply(): void;
}

/**
 * Used inside the transaction that writes records: `before(id)` reads what the stored
 * record contributed, `after(...)` adds the difference a write made; `apply()` upserts
 * the summed deltas (one row per function-hour of the batch).
 */
export function usageWriter(db: Database.Database): { batch(): UsageBatch } {
  const old = db.prepare('SELECT function_name, started_at, status, cold_start, billed_ms, memory_mb, cpu_ms, occupancy_ms FROM invocations WHERE id = ?');
  const upsert = db.prepare(`INSERT INTO usage (function_name, hour, requests, errors, throttles, cold_starts, billed_ms, gb_seconds, cpu_ms, occupancy_gb_seconds, instance_gb_seconds)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT(function_name, hour) DO UPDATE SET requests = requests + excluded.requests, errors = errors + excluded.errors,
      throttles = throttles + excluded.throttles, cold_starts = cold_starts + excluded.cold_starts, billed_ms = billed_ms + excluded.billed_ms,
      gb_seconds = gb_seconds + excluded.gb_seconds, cpu_ms = cpu_ms + excluded.cpu_ms, occupancy_gb_seconds = occupancy_gb_seconds + excluded.occupancy_gb_seconds,
      instance_gb_seconds = instance_gb_seconds + excluded.instance_gb_seconds`);
  return {
    /** Starts a batch: returns the per-batch accumulator. */
    batch() {
      // Summed in place: one mutable total per function-hour, no object per record.
      const deltas = new Map<string, { fn: string; hour: number; u: MutableUsage }>();
      const totalOf = (fn: string, startedAt: number): MutableUsage => {
        const hour = hourOf(startedAt);
        const key = `${hour}\u0000${fn}`;
        let d = deltas.get(key);
        if (!d) deltas.set(key, (d = { fn, hour, u: { ...ZERO_USAGE } }));
        return d.u;
      };
      return {
        before(id: string): Row | undefined {
          return old.get(id) as Row | undefined;
        },
        /** A write changed the row: take out what the old one counted, add the new one. */
        changed(previous: Row | undefined, r: UsageSource & { functionName: string; startedAt: number }) {
          if (previous) {
            const old = toUsageSource(previous, previous.cold_start === 1);
            countUsage(totalOf(old.functionName, old.startedAt), old, -1);
          }
          countUsage(totalOf(r.functionName, r.startedAt), r);
        },
        /** The running total of a function-hour, for a caller that counts new records into it (countUsage). */
        totalFor: totalOf,
        apply() {
          for (const { fn, hour, u } of deltas.values()) {
            upsert.run(fn, hour, u.requests, u.errors, u.throttles, u.coldStarts, u.billedMs, u.gbSeconds, u.cpuMs, u.occupancyGbSeconds, u.instanceGbSeconds);
          }
        },
      };
    },
  };
}

export function usageRepo(db: Database.Database): UsageRepo {
  const select = filteredSelect(db);
  return {
    async list(q: UsageQuery) {
      const { stmt, args } = select(
        'SELECT * FROM usage',
        [
          q.functionName !== undefined && ['function_name = ?', q.functionName],
          q.since !== undefined && ['hour >= ?', hourOf(q.since)],
          q.until !== undefined && ['hour < ?', q.until],
        ],
        'ORDER BY hour, function_name',
      );
      return (stmt.all(...args) as Row[]).map(toUsage);
    },
  };
}

export function alertRepo(db: Database.Database): AlertRepo {
  const put = db.prepare(
    'INSERT INTO alert_rules (name, rule, origin, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET rule = excluded.rule, origin = excluded.origin',
  );
  const get = db.prepare('SELECT * FROM alert_rules WHERE name = ?');
  const list = db.prepare('SELECT * FROM alert_rules ORDER BY name');
  const del = db.prepare('DELETE FROM alert_rules WHERE name = ?');
  const delOrigin = db.prepare('DELETE FROM alert_rules WHERE origin = ?');
  const addEvent = db.prepare('INSERT INTO alert_events (id, rule, kind, at, value, detail, delivered) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const delivered = db.prepare('UPDATE alert_events SET delivered = 1 WHERE id = ?');
  const events = db.prepare('SELECT * FROM alert_events ORDER BY id DESC LIMIT ?');
  const eventsOf = db.prepare('SELECT * FROM alert_events WHERE rule = ? ORDER BY id DESC LIMIT ?');
  const putState = db.prepare(
    'INSERT INTO alert_states (rule, status, since, value) VALUES (?, ?, ?, ?) ON CONFLICT(rule) DO UPDATE SET status = excluded.status, since = excluded.since, value = excluded.value',
  );
  const states = db.prepare('SELECT * FROM alert_states ORDER BY rule');
  const delState = db.prepare('DELETE FROM alert_states WHERE rule = ?');
  const saveTx = db.transaction((st: AlertStateRecord, e: AlertEventRecord | undefined) => {
    putState.run(st.rule, st.status, st.since, st.value);
    if (e) addEvent.run(e.id, e.rule, e.kind, e.at, e.value, e.detail, e.delivered ? 1 : 0);
  });
  return {
    async putRule(r) {
      put.run(r.name, JSON.stringify(r.rule), r.origin, r.createdAt);
    },
    async getRule(name) {
      const row = get.get(name) as Row | undefined;
      return row ? toRule(row) : null;
    },
    async listRules() {
      return (list.all() as Row[]).map(toRule);
    },
    async deleteRule(name) {
      return del.run(name).changes > 0;
    },
    async deleteRulesOf(origin) {
      return delOrigin.run(origin).changes;
    },
    async addEvent(e) {
      addEvent.run(e.id, e.rule, e.kind, e.at, e.value, e.detail, e.delivered ? 1 : 0);
    },
    async saveState(state, event) {
      saveTx.immediate(state, event);
    },
    async listStates() {
      return (states.all() as Row[]).map(toState);
    },
    async deleteState(rule) {
      delState.run(rule);
    },
    async markDelivered(id) {
      delivered.run(id);
    },
    async listEvents(q) {
      return ((q.rule === undefined ? events.all(q.limit) : eventsOf.all(q.rule, q.limit)) as Row[]).map((r) => toEvent(r, r.delivered === 1));
    },
  };
}
