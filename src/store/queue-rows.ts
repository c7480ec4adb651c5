/**
 * Queue items, triggers and topics as rows and back (and how declared triggers match stored ones), for both stores: their columns hold the
 * same values in SQLite and PostgreSQL (text, numbers, and JSON kept as text).
 */
import type { QueueError, QueueItem, QueueState, TopicRecord, TriggerInput, TriggerRecord } from './queue-ports.ts';
import type { Row } from './row.ts';

export function toItem(row: Row): QueueItem {
  return {
    id: row.id as string,
    kind: row.kind as QueueItem['kind'],
    target: row.target as string,
    trigger: row.trigger as QueueItem['trigger'],
    source: row.source as string,
    payload: row.payload as string,
    idempotencyKey: (row.idempotency_key as string | null) ?? null,
    state: row.state as QueueState,
    acceptedAt: row.accepted_at as number,
    enqueuedAt: row.enqueued_at as number,
    dueAt: row.due_at as number,
    attempts: row.attempts as number,
    throttles: row.throttles as number,
    lastError: row.last_error === null ? null : (JSON.parse(row.last_error as string) as QueueError),
    deadReason: (row.dead_reason as string | null) ?? null,
    finishedAt: (row.finished_at as number | null) ?? null,
    updatedAt: row.updated_at as number,
    ...(typeof row.traceparent === 'string' ? { traceparent: row.traceparent } : {}),
  };
}

export function toTrigger(row: Row): TriggerRecord {
  return {
    id: row.id as string,
    functionName: row.function_name as string,
    workflow: (row.workflow as string | null) ?? null,
    kind: row.kind as TriggerRecord['kind'],
    origin: row.origin as TriggerRecord['origin'],
    schedule: (row.schedule as string | null) ?? null,
    timezone: (row.timezone as string | null) ?? null,
    missed: (row.missed as TriggerRecord['missed']) ?? null,
    topic: (row.topic as string | null) ?? null,
    filter: row.filter === null ? null : JSON.parse(row.filter as string),
    input: row.input === null ? null : JSON.parse(row.input as string),
    createdAt: row.created_at as number,
    lastFiredAt: (row.last_fired_at as number | null) ?? null,
  };
}

/** A trigger's filter or input as its column holds it: JSON text, or NULL when there is none. */
export const jsonColumn = (v: unknown): string | null => (v === undefined || v === null ? null : JSON.stringify(v));

/** Two declarations are the same trigger when everything but id and times is equal. */
function sameDeclaration(a: TriggerRecord, b: TriggerInput): boolean {
  return (
    a.kind === b.kind &&
    a.workflow === (b.workflow ?? null) &&
    a.schedule === (b.schedule ?? null) &&
    a.timezone === (b.timezone ?? null) &&
    a.missed === (b.missed ?? null) &&
    a.topic === (b.topic ?? null) &&
    JSON.stringify(a.filter) === JSON.stringify(b.filter ?? null) &&
    JSON.stringify(a.input) === JSON.stringify(b.input ?? null)
  );
}

/**
 * How a deploy's declared triggers meet the stored ones: for each input, the stored trigger
 * it keeps (or null: the store creates it), and the ids of the stored ones no input kept.
 */
export function matchDeclared(old: readonly TriggerRecord[], inputs: readonly TriggerInput[]): { kept: (TriggerRecord | null)[]; gone: string[] } {
  const keep = new Set<string>();
  const kept = inputs.map((input) => {
    const same = old.find((o) => !keep.has(o.id) && sameDeclaration(o, input));
    if (same) keep.add(same.id);
    return same ?? null;
  });
  return { kept, gone: old.filter((o) => !keep.has(o.id)).map((o) => o.id) };
}

export const toTopic = (r: Row): TopicRecord => ({ name: r.name as string, createdAt: r.created_at as number });
