/**
 * Timer trigger schedules: cron expressions (5 fields, or 6 with seconds first) in an IANA
 * time zone, and fixed rates (`rate(5 minutes)`). Pure: every function takes the times it
 * needs; croner does the calendar arithmetic for cron.
 *
 * Exactly-once ticks across restarts: the caller persists `lastFiredAt` (the latest tick it
 * fired) and asks `dueTicks` what to fire now. A tick is a whole-second epoch ms for cron,
 * and createdAt + k × interval (k ≥ 1) for rates.
 */
import { Cron } from 'croner';
import { NimbusError } from '../../core/errors.ts';

export type RateUnit = 'second' | 'minute' | 'hour' | 'day';

export interface CronSchedule {
  readonly kind: 'cron';
  /** The cron fields as given (nicknames such as @daily kept), without any TZ= prefix. */
  readonly expression: string;
  /** IANA zone name; 'UTC' when none was given. Never the host's local zone. */
  readonly timezone: string;
  /** True for 6 fields (seconds first); 5-field expressions fire at second 0. */
  readonly hasSeconds: boolean;
}

export interface RateSchedule {
  readonly kind: 'rate';
  /** Normalized, e.g. 'rate(5 minutes)'. */
  readonly expression: string;
  readonly value: number;
  readonly unit: RateUnit;
  readonly intervalMs: number;
}

export type Schedule = CronSchedule | RateSchedule;

export type MissedPolicy = 'skip' | 'run-once';

export interface ParseScheduleOptions {
  /** IANA zone for a cron schedule (e.g. 'Europe/Berlin'); an inline `TZ=` prefix also works. */
  readonly timezone?: string | null;
  /** Field names used in error messages and `extra.field`. */
  readonly field?: string;
  readonly timezoneField?: string;
}

const UNIT_MS: Record<RateUnit, number> = { second: 1_000, minute: 60_000, hour: 3_600_000, day: 86_400_000 };
export const MAX_RATE_VALUE = 1_000_000;
/** Ticks later than this after their time are "missed" rather than "late"; see dueTicks. */
export const DEFAULT_GRACE_MS = 60_000;
/** Safety cap on ticks returned by one call (nextFireTimes count, dueTicks on-time ticks). */
export const MAX_TICKS = 1000;

const NICKNAMES = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];
const FIELD_NAMES_5 = ['minute', 'hour', 'day-of-month', 'month', 'day-of-week'];
const FIELD_NAMES_6 = ['second', ...FIELD_NAMES_5];
/** A fixed instant from which "does this ever fire?" is checked. Not a clock read. */
const NEVER_FIRES_REFERENCE = Date.UTC(2000, 0, 1);

function invalid(field: string, detail: string, value: unknown): NimbusError {
  return new NimbusError('NIMBUS_ERR_VALIDATION', `${field}: ${detail}`, { extra: { field, value } });
}

/** Returns the zone name (letter case fixed where known), or throws naming the field. */
export function validateTimezone(zone: unknown, field = 'timezone'): string {
  if (typeof zone !== 'string' || zone.trim() === '') {
    throw invalid(field, 'must be an IANA time zone name such as "Europe/Berlin" or "UTC"', zone);
  }
  const name = zone.trim();
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    throw invalid(field, `unknown time zone ${JSON.stringify(zone)}; use an IANA name such as "America/New_York" or "UTC"`, zone);
  }
  // Fix the letter case when the name is in ICU's list; keep the name otherwise (ICU would
  // rename some zones, e.g. Asia/Kolkata to Asia/Calcutta, which surprises users).
  return zoneNamesByLowerCase().get(name.toLowerCase()) ?? name;
}

/** ICU's own name for a zone, so that aliases (UTC and Etc/UTC) compare equal. */
function icuZone(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

let zoneNames: Map<string, string> | undefined;
function zoneNamesByLowerCase(): Map<string, string> {
  zoneNames ??= new Map(['UTC', ...Intl.supportedValuesOf('timeZone')].map((z) => [z.toLowerCase(), z]));
  return zoneNames;
}

/**
 * Parses a schedule. Accepted forms:
 *   `*\/15 * * * *`            5 fields: minute hour day-of-month month day-of-week
 *   `30 0 9 * * MON-FRI`       6 fields: seconds first
 *   `@daily` (and @hourly, @weekly, @monthly, @yearly/@annually, @midnight)
 *   `TZ=Europe/Berlin 0 9 * * *` (or `CRON_TZ=`): zone inline instead of options.timezone
 *   `rate(5 minutes)`          N second(s) | minute(s) | hour(s) | day(s), N = 1..1 000 000
 * Errors are NIMBUS_ERR_VALIDATION naming the field and, for cron, the cron field at fault.
 */
export function parseSchedule(input: unknown, options: ParseScheduleOptions = {}): Schedule {
  const field = options.field ?? 'schedule';
  const timezoneField = options.timezoneField ?? 'timezone';
  if (typeof input !== 'string' || input.trim() === '') {
    throw invalid(field, 'must be a cron expression such as "*/5 * * * *" or a rate such as "rate(5 minutes)"', input);
  }
  const text = input.trim();
  if (/^rate\b/i.test(text)) {
    // A rate has no time zone; one given is still checked so that a typo is reported.
    if (options.timezone != null) validateTimezone(options.timezone, timezoneField);
    return parseRate(text, field);
  }

  let expression = text;
  let zone = options.timezone ?? null;
  const inline = /^(?:CRON_)?TZ=(\S*)\s*(.*)$/.exec(text);
  if (inline) {
    const inlineZone = validateTimezone(inline[1], field);
    if (zone !== null && icuZone(validateTimezone(zone, timezoneField)) !== icuZone(inlineZone)) {
      throw invalid(timezoneField, `conflicts with TZ=${inline[1]} in the schedule; give the zone once`, zone);
    }
    zone = inlineZone;
    expression = inline[2];
  }
  const timezone = zone === null ? 'UTC' : validateTimezone(zone, timezoneField);
  return parseCron(expression, timezone, field);
}

function parseRate(text: string, field: string): RateSchedule {
  const m = /^rate\(\s*(\S+)\s+(\S+)\s*\)$/i.exec(text);
  if (!m) throw invalid(field, `malformed rate ${JSON.stringify(text)}; write it as rate(N unit), e.g. rate(5 minutes)`, text);
  const [, rawValue, rawUnit] = m;
  if (!/^\d+$/.test(rawValue) || Number(rawValue) < 1 || Number(rawValue) > MAX_RATE_VALUE) {
    throw invalid(field, `rate value must be a whole number from 1 to ${MAX_RATE_VALUE}, got ${JSON.stringify(rawValue)}`, text);
  }
  const unit = rawUnit.toLowerCase().replace(/s$/, '') as RateUnit;
  if (!(unit in UNIT_MS)) {
    throw invalid(field, `unknown rate unit ${JSON.stringify(rawUnit)}; use seconds, minutes, hours or days`, text);
  }
  const value = Number(rawValue);
  return Object.freeze({
    kind: 'rate',
    expression: `rate(${value} ${unit}${value === 1 ? '' : 's'})`,
    value,
    unit,
    intervalMs: value * UNIT_MS[unit],
  });
}

function cronMessage(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).replace(/^Cron(Pattern|Options)?:\s*/, '');
}

function makeCron(expression: string, timezone: string): Cron {
  // croner mutates its options object, so each call gets a fresh one.
  return new Cron(expression, { mode: '5-or-6-parts', timezone });
}

function parseCron(expression: string, timezone: string, field: string): CronSchedule {
  const text = expression.trim();
  if (text === '') throw invalid(field, 'a TZ= prefix must be followed by a cron expression', expression);
  let hasSeconds = false;
  if (text.startsWith('@')) {
    if (!NICKNAMES.includes(text.toLowerCase())) {
      throw invalid(field, `unknown nickname ${JSON.stringify(text)}; use one of ${NICKNAMES.join(', ')}`, expression);
    }
  } else {
    const parts = text.split(/\s+/);
    if (parts.length !== 5 && parts.length !== 6) {
      throw invalid(
        field,
        `cron expression ${JSON.stringify(text)} has ${parts.length} field${parts.length === 1 ? '' : 's'}; ` +
          'expected 5 (minute hour day-of-month month day-of-week) or 6 (second minute hour day-of-month month day-of-week)',
        expression,
      );
    }
    hasSeconds = parts.length === 6;
    const names = hasSeconds ? FIELD_NAMES_6 : FIELD_NAMES_5;
    // Check each field on its own so the error can name the one at fault.
    for (let i = 0; i < parts.length; i++) {
      const probe = parts.map((_, j) => (j === i ? parts[i] : '*')).join(' ');
      try {
        makeCron(probe, 'UTC');
      } catch (e) {
        throw invalid(field, `cron ${names[i]} field ${JSON.stringify(parts[i])} is invalid: ${cronMessage(e)}`, expression);
      }
    }
  }
  let cron: Cron;
  try {
    cron = makeCron(text, timezone);
  } catch (e) {
    throw invalid(field, `invalid cron expression ${JSON.stringify(text)}: ${cronMessage(e)}`, expression);
  }
  if (cron.nextRun(new Date(NEVER_FIRES_REFERENCE)) === null) {
    throw invalid(field, `cron expression ${JSON.stringify(text)} never fires (e.g. a day that no month has)`, expression);
  }
  const schedule: CronSchedule = Object.freeze({ kind: 'cron', expression: text, timezone, hasSeconds });
  compiled.set(schedule, cron);
  return schedule;
}

const compiled = new WeakMap<CronSchedule, Cron>();

/** Schedules may come back from storage as plain objects; compile once per object. */
function cronOf(schedule: CronSchedule): Cron {
  let cron = compiled.get(schedule);
  if (cron === undefined) {
    cron = makeCron(schedule.expression, schedule.timezone);
    compiled.set(schedule, cron);
  }
  return cron;
}

/** The first tick strictly after both `after` and `createdAt`, or null if none. */
function nextTick(schedule: Schedule, after: number, createdAt: number): number | null {
  const from = Math.max(after, createdAt);
  if (schedule.kind === 'rate') {
    const k = Math.max(1, Math.floor((from - createdAt) / schedule.intervalMs) + 1);
    return createdAt + k * schedule.intervalMs;
  }
  const next = cronOf(schedule).nextRun(new Date(from));
  return next === null ? null : next.getTime();
}

/** The latest tick at or before `at` (croner: a run earlier in the reference's second counts). */
function latestTickAtOrBefore(schedule: Schedule, at: number, createdAt: number): number | null {
  if (schedule.kind === 'rate') {
    const k = Math.floor((at - createdAt) / schedule.intervalMs);
    return k >= 1 ? createdAt + k * schedule.intervalMs : null;
  }
  const [prev] = cronOf(schedule).previousRuns(1, new Date(at + 1));
  return prev === undefined ? null : prev.getTime();
}

/** Ticks in (from, to], ascending, at most `limit`. */
function ticksBetween(schedule: Schedule, from: number, to: number, createdAt: number, limit: number): number[] {
  const out: number[] = [];
  let cursor = from;
  while (out.length < limit) {
    const t = nextTick(schedule, cursor, createdAt);
    if (t === null || t > to) break;
    out.push(t);
    cursor = t;
  }
  return out;
}

/**
 * The next `count` (1..1000) fire times strictly after `after`, ascending epoch ms. For a
 * rate, ticks are anchored at `createdAt` (createdAt + k × interval, k ≥ 1); without one,
 * the preview assumes the trigger is created at `after`.
 */
export function nextFireTimes(schedule: Schedule, after: number, count: number, createdAt = after): number[] {
  if (!Number.isInteger(count) || count < 1 || count > MAX_TICKS) {
    throw invalid('count', `must be a whole number from 1 to ${MAX_TICKS}, got ${JSON.stringify(count)}`, count);
  }
  return ticksBetween(schedule, after, Number.POSITIVE_INFINITY, createdAt, count);
}

/**
 * Which ticks to fire now. Ticks considered are those after max(lastFiredAt, createdAt) and
 * at or before `now` (so a tick already fired, or one at the creation instant, never is).
 * Of those:
 *   - on time: ticks in (now − graceMs, now] all fire (a scheduler a little late, or a
 *     restart shorter than graceMs, loses nothing);
 *   - missed: older ticks (the platform was down) are dropped under 'skip'; under
 *     'run-once' the latest of them fires once, however many were missed.
 * Returns ascending epoch ms. The caller fires them and persists the last one as
 * lastFiredAt (ideally in the same transaction as enqueueing, or with the tick in the
 * invocation's idempotency key), which makes every tick fire exactly once across restarts.
 * graceMs should exceed the caller's polling interval, if it polls.
 */
export function dueTicks(
  schedule: Schedule,
  lastFiredAt: number | null,
  createdAt: number,
  now: number,
  missedPolicy: MissedPolicy,
  graceMs = DEFAULT_GRACE_MS,
): number[] {
  if (missedPolicy !== 'skip' && missedPolicy !== 'run-once') {
    throw invalid('missedPolicy', `must be "skip" or "run-once", got ${JSON.stringify(missedPolicy)}`, missedPolicy);
  }
  const from = Math.max(createdAt, lastFiredAt ?? Number.NEGATIVE_INFINITY);
  if (now <= from) return [];
  const onTimeFrom = Math.max(from, now - Math.max(0, graceMs));
  const onTime = ticksBetween(schedule, onTimeFrom, now, createdAt, MAX_TICKS);
  if (missedPolicy === 'run-once' && onTimeFrom > from) {
    const missed = latestTickAtOrBefore(schedule, onTimeFrom, createdAt);
    if (missed !== null && missed > from) return [missed, ...onTime];
  }
  return onTime;
}

/** When the scheduler should next wake for this trigger: the first tick after `now`. */
export function nextWakeAt(schedule: Schedule, createdAt: number, now: number): number | null {
  return nextTick(schedule, now, createdAt);
}
