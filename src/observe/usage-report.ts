/**
 * Usage tables: hourly rows from the store, costed (pricing.ts), grouped by function, by
 * day, or by function and day. The API and the CLI print the same thing.
 */
import { addUsage, ZERO_USAGE, type UsageAmounts } from '../core/usage.ts';
import type { UsageRepo } from '../store/observe-ports.ts';
import { costRows, monthOf, type PriceSheet } from './pricing.ts';

export type UsageGrouping = 'function' | 'day' | 'hour' | 'function-day';

export interface UsageLine extends UsageAmounts {
  readonly function: string | null;
  /** Start of the day or hour (epoch ms); null when grouped by function only. */
  readonly period: number | null;
  readonly cost: number;
  readonly grossCost: number;
}

export interface UsageReport {
  readonly since: number;
  readonly until: number;
  readonly by: UsageGrouping;
  readonly currency: string;
  readonly prices: PriceSheet;
  readonly items: UsageLine[];
  readonly total: UsageLine;
}

const DAY = 86_400_000;

export async function usageReport(
  repo: UsageRepo,
  prices: PriceSheet,
  q: { since: number; until: number; by: UsageGrouping; functionName?: string },
): Promise<UsageReport> {
  // Free tier: read from the start of the month so what earlier hours used up is known.
  const rows = await repo.list({ since: monthOf(q.since), until: q.until });
  const costed = costRows(rows, prices).filter((r) => r.hour >= Math.floor(q.since / 3_600_000) * 3_600_000 && (q.functionName === undefined || r.functionName === q.functionName));
  const groups = new Map<string, { fn: string | null; period: number | null; u: UsageAmounts; cost: number; gross: number }>();
  for (const r of costed) {
    const fn = q.by === 'day' ? null : r.functionName;
    const period = q.by === 'function' ? null : q.by === 'hour' ? r.hour : Math.floor(r.hour / DAY) * DAY;
    const key = `${fn}\u0000${period}`;
    const g = groups.get(key) ?? { fn, period, u: ZERO_USAGE, cost: 0, gross: 0 };
    g.u = addUsage(g.u, r);
    g.cost += r.cost;
    g.gross += r.grossCost;
    groups.set(key, g);
  }
  const items = [...groups.values()]
    .sort((a, b) => (a.period ?? 0) - (b.period ?? 0) || String(a.fn).localeCompare(String(b.fn)))
    .map((g) => line(g.fn, g.period, g.u, g.cost, g.gross));
  const total = items.reduce((t, i) => line(null, null, addUsage(t, i), t.cost + i.cost, t.grossCost + i.grossCost), line(null, null, ZERO_USAGE, 0, 0));
  return { since: q.since, until: q.until, by: q.by, currency: prices.currency, prices, items, total };
}

function line(fn: string | null, period: number | null, u: UsageAmounts, cost: number, gross: number): UsageLine {
  return {
    function: fn,
    period,
    requests: u.requests,
    errors: u.errors,
    throttles: u.throttles,
    coldStarts: u.coldStarts,
    billedMs: u.billedMs,
    gbSeconds: round(u.gbSeconds, 6),
    cpuMs: round(u.cpuMs, 3),
    occupancyGbSeconds: round(u.occupancyGbSeconds, 6),
    instanceGbSeconds: round(u.instanceGbSeconds, 6),
    cost: round(cost, 8),
    grossCost: round(gross, 8),
  };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** CSV of a report's items (header row first). */
export function usageCsv(report: UsageReport): string {
  const head = ['function', 'period', 'requests', 'errors', 'throttles', 'cold_starts', 'billed_ms', 'gb_seconds', 'cpu_ms', 'occupancy_gb_seconds', 'instance_gb_seconds', `cost_${report.currency.toLowerCase()}`];
  const rows = report.items.map((i) => [
    i.function ?? '',
    i.period === null ? '' : new Date(i.period).toISOString(),
    i.requests, i.errors, i.throttles, i.coldStarts, i.billedMs, i.gbSeconds, i.cpuMs, i.occupancyGbSeconds, i.instanceGbSeconds, i.cost,
  ]);
  const esc = (v: unknown) => {
    const s = String(v);
    return /[",\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  return [head, ...rows].map((r) => r.map(esc).join(',')).join('\n') + '\n';
}
