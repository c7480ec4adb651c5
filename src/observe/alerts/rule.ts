/** Alert rules: what they watch, validated once (API, CLI and the config file share this). */
import { parseDuration } from '../../config/config.ts';
import { NimbusError } from '../../core/errors.ts';
import { SLOT_MS } from '../window.ts';

export const ALERT_METRICS = ['error_rate', 'p99_duration_ms', 'throttles', 'dlq_size', 'cost_per_day', 'invocations', 'cold_starts'] as const;
export type AlertMetric = (typeof ALERT_METRICS)[number];
export type AlertOp = '>' | '>=' | '<' | '<=';

export interface AlertRule {
  readonly name: string;
  readonly metric: AlertMetric;
  /** Only this function; all functions when absent. */
  readonly function?: string;
  /** The window the metric is taken over (ms; ≤ 1 h). dlq_size and cost_per_day ignore it. */
  readonly windowMs: number;
  readonly op: AlertOp;
  readonly threshold: number;
  /** The condition must hold this long before the alert fires (0: at once). */
  readonly forMs: number;
  /** error_rate and p99 need at least this many requests in the window to count. */
  readonly minRequests: number;
}

const NAME = /^[a-zA-Z0-9][\w.-]{0,62}$/;

function bad(field: string, why: string): NimbusError {
  return new NimbusError('NIMBUS_ERR_VALIDATION', `alert ${field}: ${why}`, { extra: { field } });
}

function duration(v: unknown, field: string, dflt: number, min: number, max: number): number {
  if (v === undefined || v === null) return dflt;
  const ms = typeof v === 'number' ? v : typeof v === 'string' ? parseDuration(v, field) : NaN;
  if (!Number.isFinite(ms) || ms < min || ms > max) {
    throw bad(field, `must be a duration from ${min} to ${max} ms (e.g. "5m"), not ${JSON.stringify(v)}`);
  }
  return ms;
}

/**
 * Accepts `window`/`for` as "5m" or ms, `windowMs`/`forMs` as ms. `stored`: a rule read back
 * from the store, accepted by an older version; a window under today's minimum is raised to
 * it rather than refused (refusing would stop the platform from starting).
 */
export function parseAlertRule(input: unknown, nameOverride?: string, options: { stored?: boolean } = {}): AlertRule {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw bad('(body)', 'must be an object');
  const v = input as Record<string, unknown>;
  const known = new Set(['name', 'metric', 'function', 'window', 'windowMs', 'op', 'threshold', 'for', 'forMs', 'minRequests']);
  for (const k of Object.keys(v)) if (!known.has(k)) throw bad(k, `unknown field; known: ${[...known].join(', ')}`);
  const name = nameOverride ?? v.name;
  if (typeof name !== 'string' || !NAME.test(name)) throw bad('name', 'must be 1-63 letters, digits, ".", "_" or "-"');
  if (!ALERT_METRICS.includes(v.metric as AlertMetric)) throw bad('metric', `must be one of ${ALERT_METRICS.join(', ')}`);
  if (v.function !== undefined && (typeof v.function !== 'string' || v.function === '')) throw bad('function', 'must be a function name');
  if (typeof v.threshold !== 'number' || !Number.isFinite(v.threshold)) throw bad('threshold', 'must be a number');
  const op = (v.op ?? '>') as AlertOp;
  if (!['>', '>=', '<', '<='].includes(op)) throw bad('op', 'must be one of > >= < <=');
  const minRequests = v.minRequests ?? 1;
  if (typeof minRequests !== 'number' || !Number.isInteger(minRequests) || minRequests < 0) throw bad('minRequests', 'must be a whole number ≥ 0');
  const rule: AlertRule = {
    name,
    metric: v.metric as AlertMetric,
    ...(v.function !== undefined ? { function: v.function as string } : {}),
    // The recent window counts in 5 s slots: a shorter window would see nothing.
    windowMs: Math.max(SLOT_MS, duration(v.windowMs ?? v.window, 'window', 300_000, options.stored ? 0 : SLOT_MS, 3_600_000)),
    op,
    threshold: v.threshold,
    forMs: duration(v.forMs ?? v.for, 'for', 0, 0, 86_400_000),
    minRequests,
  };
  return rule;
}

export function breaches(rule: Pick<AlertRule, 'op' | 'threshold'>, value: number): boolean {
  switch (rule.op) {
    case '>':
      return value > rule.threshold;
    case '>=':
      return value >= rule.threshold;
    case '<':
      return value < rule.threshold;
    case '<=':
      return value <= rule.threshold;
  }
}

export function describeRule(r: AlertRule): string {
  const scope = r.function ? ` of ${r.function}` : '';
  const win = r.metric === 'dlq_size' || r.metric === 'cost_per_day' ? '' : ` over ${Math.round(r.windowMs / 1000)}s`;
  return `${r.metric}${scope}${win} ${r.op} ${r.threshold}${r.forMs ? ` for ${Math.round(r.forMs / 1000)}s` : ''}`;
}
