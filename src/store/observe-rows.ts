/**
 * Usage and alert rows as the observability port's objects, for both stores. The boolean
 * columns (invocations.cold_start, alert_events.delivered) the engines hold differently:
 * SQLite stores 0/1 and PostgreSQL a boolean, so each store reads them itself and passes them in.
 */
import type { UsageSource } from '../core/usage.ts';
import type { AlertEventRecord, AlertRuleRecord, AlertStateRecord, UsageRow } from './observe-ports.ts';
import type { Row } from './row.ts';

/** What a stored invocation row counts for usage; `coldStart` is its cold_start column as the store reads it. */
export function toUsageSource(row: Row, coldStart: boolean): UsageSource & { functionName: string; startedAt: number } {
  return {
    functionName: row.function_name as string,
    startedAt: row.started_at as number,
    status: row.status as UsageSource['status'],
    coldStart,
    billedMs: row.billed_ms as number,
    memoryMb: row.memory_mb as number,
    cpuMs: row.cpu_ms as number,
    occupancyMs: row.occupancy_ms as number,
    trigger: row.trigger as UsageSource['trigger'],
  };
}

export function toUsage(row: Row): UsageRow {
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
    instanceGbSeconds: (row.instance_gb_seconds as number | null) ?? 0,
  };
}

export function toRule(row: Row): AlertRuleRecord {
  return { name: row.name as string, rule: JSON.parse(row.rule as string), origin: row.origin as AlertRuleRecord['origin'], createdAt: row.created_at as number };
}

/** An alert event row; `delivered` is its delivered column as the store reads it. */
export function toEvent(row: Row, delivered: boolean): AlertEventRecord {
  return {
    id: row.id as string,
    rule: row.rule as string,
    kind: row.kind as AlertEventRecord['kind'],
    at: row.at as number,
    value: (row.value as number | null) ?? null,
    detail: row.detail as string,
    delivered,
  };
}

export function toState(r: Row): AlertStateRecord {
  return {
    rule: r.rule as string,
    status: r.status as AlertStateRecord['status'],
    since: r.since as number,
    value: (r.value as number | null) ?? null,
  };
}
