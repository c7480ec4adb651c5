/**
 * A trigger as a user writes it (API body or deploy declaration), validated with errors
 * that name the field. Two kinds:
 *
 *   timer   { "schedule": "*\/5 * * * *", "timezone": "Europe/Berlin", "missed": "run-once", "input": {…} }
 *   event   { "topic": "orders", "filter": { "type": "com.example.created", "subject": { "prefix": "eu-" } } }
 *
 * `kind` may be given; otherwise `schedule` makes a timer and `topic` an event trigger.
 * The target is a function (`"function": "report"`) or a workflow (`"workflow": "orders"`),
 * exactly one of them (a deploy declaration names neither: its function is the target).
 */
import { NimbusError } from '../core/errors.ts';
import { RESOURCE_NAME } from '../dispatch/async/destination.ts';
import { nextFireTimes, parseSchedule, type Schedule } from './cron/schedule.ts';
import { validateFilter, type EventFilter } from './events/filter.ts';
import type { TriggerRecord } from '../store/queue-ports.ts';

export type TriggerDefinition =
  | {
      readonly kind: 'timer';
      readonly schedule: string;
      readonly timezone: string | null;
      readonly missed: 'skip' | 'run-once';
      readonly input: unknown;
    }
  | { readonly kind: 'event'; readonly topic: string; readonly filter: EventFilter };

function invalid(field: string, detail: string, value: unknown): NimbusError {
  return new NimbusError('NIMBUS_ERR_VALIDATION', `${field}: ${detail}`, { extra: { field, value } });
}

const TIMER_KEYS = ['kind', 'function', 'workflow', 'schedule', 'timezone', 'missed', 'input'];
const EVENT_KEYS = ['kind', 'function', 'workflow', 'topic', 'filter'];

/** What a trigger starts: an async invocation of a function, or an execution of a workflow. */
export type TriggerTarget = { readonly function: string } | { readonly workflow: string };

/** The target named by an API body: exactly one of `function` and `workflow`. */
export function targetOf(body: Record<string, unknown>): TriggerTarget {
  const fn = body.function;
  const wf = body.workflow;
  if (fn !== undefined && wf !== undefined) {
    throw invalid('workflow', 'give "function" or "workflow", not both: a trigger has one target', wf);
  }
  if (wf !== undefined) {
    if (typeof wf !== 'string' || wf === '') throw invalid('workflow', 'name the workflow the trigger starts', wf);
    return { workflow: wf };
  }
  if (typeof fn !== 'string' || fn === '') throw invalid('function', 'name the function the trigger invokes (or give "workflow" to start a workflow)', fn);
  return { function: fn };
}

export function validateTopicName(name: unknown, field = 'topic'): string {
  if (typeof name !== 'string' || !RESOURCE_NAME.test(name)) {
    throw invalid(field, `must be a topic name (1-64 letters, digits, "-" or "_", starting with a letter or digit), got ${JSON.stringify(name)}`, name);
  }
  return name;
}

/** Validates one trigger; `prefix` names it in errors (e.g. `triggers[2]`). */
export function validateTrigger(input: unknown, prefix = ''): TriggerDefinition {
  const at = (k: string) => (prefix === '' ? k : `${prefix}.${k}`);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(prefix || 'trigger', 'must be an object such as {"schedule": "rate(5 minutes)"} or {"topic": "orders"}', input);
  }
  const obj = input as Record<string, unknown>;
  const kind = obj.kind ?? ('schedule' in obj ? 'timer' : 'topic' in obj ? 'event' : undefined);
  if (kind !== 'timer' && kind !== 'event') {
    throw invalid(at('kind'), `must be "timer" (with a schedule) or "event" (with a topic), got ${JSON.stringify(obj.kind)}`, obj.kind);
  }
  const allowed = kind === 'timer' ? TIMER_KEYS : EVENT_KEYS;
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw invalid(at(key), `is not a setting of a ${kind} trigger; known: ${allowed.join(', ')}`, obj[key]);
  }
  if (kind === 'timer') {
    const timezone = obj.timezone ?? null;
    const schedule: Schedule = parseSchedule(obj.schedule, { timezone: timezone as string | null, field: at('schedule'), timezoneField: at('timezone') });
    const missed = obj.missed ?? 'skip';
    if (missed !== 'skip' && missed !== 'run-once') throw invalid(at('missed'), `must be "skip" or "run-once", got ${JSON.stringify(missed)}`, missed);
    const input = obj.input ?? null;
    if (input !== null && JSON.stringify(input).length > 65_536) throw invalid(at('input'), 'is larger than 64 KiB', '…');
    return {
      kind,
      schedule: (obj.schedule as string).trim(),
      timezone: schedule.kind === 'cron' && timezone !== null ? schedule.timezone : null,
      missed,
      input,
    };
  }
  return { kind, topic: validateTopicName(obj.topic, at('topic')), filter: validateFilter(obj.filter, at('filter')) };
}

/** A stored trigger as the API shows it, with its next fire times (timers). */
export function triggerView(record: TriggerRecord, now: number, count = 3): Record<string, unknown> {
  const target = record.workflow ? { workflow: record.workflow } : { function: record.functionName };
  const base: Record<string, unknown> = { id: record.id, ...target, target, kind: record.kind, origin: record.origin, createdAt: record.createdAt };
  if (record.kind === 'event') return { ...base, topic: record.topic, filter: record.filter ?? {} };
  let next: string[] = [];
  try {
    const schedule = parseSchedule(record.schedule, { timezone: record.timezone });
    const after = Math.max(now, record.lastFiredAt ?? now);
    next = nextFireTimes(schedule, after, count, record.createdAt).map((t) => new Date(t).toISOString());
  } catch {
    next = [];
  }
  return {
    ...base,
    schedule: record.schedule,
    timezone: record.timezone,
    missed: record.missed,
    input: record.input,
    lastFiredAt: record.lastFiredAt === null ? null : new Date(record.lastFiredAt).toISOString(),
    next,
  };
}
