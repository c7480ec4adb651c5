/**
 * The price sheet and what usage costs. Default prices are like the public clouds'
 * (AWS Lambda x86, us-east-1, 2024): $0.20 per million requests, $0.0000166667 per
 * GB-second, and a monthly free tier of 1M requests and 400,000 GB-seconds. Instance
 * occupancy can be priced too (billing by busy instance time, like Cloud Run), 0 by default.
 * The free tier is platform-wide and used up in time order within each calendar month (UTC).
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { NimbusError } from '../core/errors.ts';
import type { UsageAmounts } from '../core/usage.ts';

export interface PriceSheet {
  readonly currency: string;
  readonly perRequest: number;
  readonly perGbSecond: number;
  readonly perOccupancyGbSecond: number;
  readonly perCpuMs: number;
  readonly freeTier: { readonly requests: number; readonly gbSeconds: number };
}

export const DEFAULT_PRICES: PriceSheet = Object.freeze({
  currency: 'USD',
  perRequest: 0.2 / 1_000_000,
  perGbSecond: 0.0000166667,
  perOccupancyGbSecond: 0,
  perCpuMs: 0,
  freeTier: Object.freeze({ requests: 1_000_000, gbSeconds: 400_000 }),
});

/** `raw` is empty (defaults), inline JSON, or a path to a JSON/YAML file; fields left out keep the defaults. */
export function loadPriceSheet(raw: string, read: (path: string) => string = (p) => readFileSync(p, 'utf8')): PriceSheet {
  if (raw.trim() === '') return DEFAULT_PRICES;
  let value: unknown;
  try {
    value = raw.trim().startsWith('{') ? JSON.parse(raw) : parseYaml(read(raw));
  } catch (error) {
    throw new NimbusError('NIMBUS_ERR_VALIDATION', `config prices: cannot read ${JSON.stringify(raw)}: ${(error as Error).message}`, { extra: { field: 'prices' } });
  }
  return priceSheetOf(value);
}

export function priceSheetOf(value: unknown): PriceSheet {
  const bad = (why: string) => new NimbusError('NIMBUS_ERR_VALIDATION', `config prices: ${why}`, { extra: { field: 'prices' } });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('must be an object');
  const v = value as Record<string, unknown>;
  const num = (key: string, dflt: number, from: Record<string, unknown> = v): number => {
    const x = from[key];
    if (x === undefined) return dflt;
    if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) throw bad(`${key} must be a number ≥ 0, not ${JSON.stringify(x)}`);
    return x;
  };
  const known = new Set(['currency', 'perRequest', 'perGbSecond', 'perOccupancyGbSecond', 'perCpuMs', 'freeTier']);
  for (const k of Object.keys(v)) if (!known.has(k)) throw bad(`unknown field ${k}; known: ${[...known].join(', ')}`);
  const ft = (v.freeTier ?? {}) as Record<string, unknown>;
  if (typeof ft !== 'object' || ft === null) throw bad('freeTier must be an object');
  return Object.freeze({
    currency: typeof v.currency === 'string' ? v.currency : DEFAULT_PRICES.currency,
    perRequest: num('perRequest', DEFAULT_PRICES.perRequest),
    perGbSecond: num('perGbSecond', DEFAULT_PRICES.perGbSecond),
    perOccupancyGbSecond: num('perOccupancyGbSecond', DEFAULT_PRICES.perOccupancyGbSecond),
    perCpuMs: num('perCpuMs', DEFAULT_PRICES.perCpuMs),
    freeTier: Object.freeze({ requests: num('requests', DEFAULT_PRICES.freeTier.requests, ft), gbSeconds: num('gbSeconds', DEFAULT_PRICES.freeTier.gbSeconds, ft) }),
  });
}

/** List price, no free tier. */
export function grossCost(u: UsageAmounts, p: PriceSheet): number {
  return u.requests * p.perRequest + u.gbSeconds * p.perGbSecond + u.occupancyGbSeconds * p.perOccupancyGbSecond + u.cpuMs * p.perCpuMs;
}

export function monthOf(epochMs: number): number {
  const d = new Date(epochMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/**
 * Cost of each row after the free tier. `rows` must be in time order and start at the
 * beginning of their month (or the free tier used before them is not known).
 */
export function costRows<T extends UsageAmounts & { hour: number }>(rows: readonly T[], p: PriceSheet): Array<T & { cost: number; grossCost: number }> {
  let month = -1;
  let freeRequests = 0;
  let freeGbs = 0;
  return rows.map((r) => {
    const m = monthOf(r.hour);
    if (m !== month) {
      month = m;
      freeRequests = p.freeTier.requests;
      freeGbs = p.freeTier.gbSeconds;
    }
    const coveredReq = Math.min(freeRequests, r.requests);
    const coveredGbs = Math.min(freeGbs, r.gbSeconds);
    freeRequests -= coveredReq;
    freeGbs -= coveredGbs;
    const gross = grossCost(r, p);
    const cost = gross - coveredReq * p.perRequest - coveredGbs * p.perGbSecond;
    return { ...r, cost: Math.max(0, cost), grossCost: gross };
  });
}
