/**
 * The queue's writes as multi-row statements, for a group of calls in one transaction
 * (group-commit.ts): the enqueues of every call in one INSERT, the finishing writes
 * (complete, retry, release, dead-letter) in one fenced UPDATE, and the attempts' records in
 * one keyed write. Each call keeps the result it would have had alone, in call order:
 * finishes first (they only touch items this node holds), then enqueues (their follow-ups
 * after them), records last (their usage row is the one every group writes: locked for the
 * shortest time). When the finishes are of distinct items and nothing enqueued has an
 * idempotency key (the common group), finishes and enqueues are one statement
 * (FINISH_AND_ENQUEUE); a group without records is then that statement alone, which
 * commits by itself. A claim is one statement of its own (claimIn), not part of a group: the
 * consumer waits on it, and it commits by itself in one round trip.
 */
import type { InvocationRecord } from '../../core/types.ts';
import type { EnqueueInput, EnqueueOutcome, QueueItem } from '../queue-ports.ts';
import { toItem } from '../queue-rows.ts';
import { writeKeyedIn } from './invocation-repo.ts';
import { NAME_LOCK, type Sql } from './pg-client.ts';

/** A finishing write, fenced by its attempt: what the item becomes if that attempt still holds it. */
export interface Finish {
  readonly id: string;
  readonly attempt: number;
  readonly state: 'succeeded' | 'queued' | 'dead';
  readonly dueAt: number;
  readonly now: number;
  /** The finish is final (succeeded, dead): finished_at = now. */
  readonly finished: boolean;
  /** A release: the attempt is not counted (attempts - 1); `throttled` counts a throttle. */
  readonly release: boolean;
  readonly throttled: boolean;
  /** keep: last_error stays; set: replaced by `error`; fill: `error` when given, else it stays. */
  readonly errorMode: 'keep' | 'set' | 'fill';
  /** JSON of the QueueError, or null. */
  readonly error: string | null;
  readonly deadReason: string | null;
  readonly followUps?: readonly EnqueueInput[];
  readonly record?: InvocationRecord;
}

export type QueueOp =
  | { readonly op: 'enqueue'; readonly inputs: readonly EnqueueInput[]; readonly now: number; readonly ttl: number }
  | { readonly op: 'finish'; readonly finish: Finish };

export type QueueOpResult = EnqueueOutcome[] | boolean;

interface Entry {
  readonly input: EnqueueInput;
  readonly now: number;
  readonly ttl: number;
}

const ERROR_MODE = { keep: 0, set: 1, fill: 2 } as const;

/** `$from::type[], …`: one array parameter a column. */
const params = (from: number, types: readonly string[]) => types.map((t, i) => `$${from + i}::${t}[]`).join(', ');

const FINISH_TYPES = ['text', 'int', 'text', 'bigint', 'int', 'int', 'int', 'text', 'text', 'bigint', 'bigint'];
/** The fenced UPDATE of finishes of distinct items, its 11 arrays from `$from`. */
const finishSql = (from: number) => `UPDATE queue q SET state = v.state, due_at = v.due_at, attempts = q.attempts - v.uncount, throttles = q.throttles + v.throttle,
    last_error = CASE v.error_mode WHEN 0 THEN q.last_error WHEN 1 THEN v.last_error ELSE COALESCE(v.last_error, q.last_error) END,
    dead_reason = COALESCE(v.dead_reason, q.dead_reason), finished_at = COALESCE(v.finished_at, q.finished_at), updated_at = v.now
  FROM unnest(${params(from, FINISH_TYPES)}) AS v(id, attempt, state, due_at, uncount, throttle, error_mode, last_error, dead_reason, finished_at, now)
  WHERE q.id = v.id AND q.state = 'running' AND q.attempts = v.attempt
  RETURNING q.id`;
const FINISH = finishSql(1);

function finishArgs(finishes: readonly Finish[]): unknown[][] {
  const col = <T>(f: (x: Finish) => T) => finishes.map(f);
  return [
    col((f) => f.id),
    col((f) => f.attempt),
    col((f) => f.state),
    col((f) => f.dueAt),
    col((f) => (f.release ? 1 : 0)),
    col((f) => (f.throttled ? 1 : 0)),
    col((f) => ERROR_MODE[f.errorMode]),
    col((f) => f.error),
    col((f) => f.deadReason),
    col((f) => (f.finished ? f.now : null)),
    col((f) => f.now),
  ];
}

/** Applies finishes with distinct ids in one statement; returns the ids whose fence held. */
async function finishRound(sql: Sql, finishes: readonly Finish[]): Promise<Set<string>> {
  const { rows } = await sql.query(FINISH, finishArgs(finishes));
  return new Set(rows.map((r) => r.id as string));
}

/**
 * Applies finishes in order; one statement per round of distinct ids (an id finished twice in
 * one group, which one node does not do, takes a round of its own so the second sees the first).
 */
async function finishAll(sql: Sql, finishes: readonly Finish[]): Promise<boolean[]> {
  const applied = new Array<boolean>(finishes.length).fill(false);
  let rest = finishes.map((f, i) => ({ f, i }));
  while (rest.length > 0) {
    const seen = new Set<string>();
    const round: typeof rest = [];
    const later: typeof rest = [];
    for (const x of rest) (seen.has(x.f.id) ? later : round).push(x), seen.add(x.f.id);
    const held = await finishRound(sql, round.map((x) => x.f));
    for (const x of round) applied[x.i] = held.has(x.f.id);
    rest = later;
  }
  return applied;
}

const INSERT_TYPES = ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'bigint', 'bigint', 'text', 'text'];
/**
 * The INSERT of enqueued rows, its 11 arrays from `$from`; `where` filters the rows (u.*). A
 * row with an `owner` is enqueued claimed (EnqueueInput.claim): running, attempt 1, due when
 * its lease ends.
 */
const insertSql = (from: number, types: readonly string[], where = '') => `INSERT INTO queue (id, kind, target, trigger, source, payload, idempotency_key, state, accepted_at, enqueued_at, due_at,
    attempts, throttles, last_error, dead_reason, finished_at, updated_at, traceparent, claimed_by)
  SELECT u.id, u.kind, u.target, u.trigger, u.source, u.payload, u.key, CASE WHEN u.owner IS NULL THEN 'queued' ELSE 'running' END,
    u.now, u.now, u.due_at, CASE WHEN u.owner IS NULL THEN 0 ELSE 1 END, 0, NULL, NULL, NULL, u.now, u.traceparent, u.owner
  FROM unnest(${params(from, types)}) AS u(id, kind, target, trigger, source, payload, key, now, due_at, traceparent, owner${types.length > INSERT_TYPES.length ? ', parent' : ''})${where}
  ON CONFLICT (id) DO NOTHING RETURNING id`;
const INSERT = insertSql(1, INSERT_TYPES);

function insertArgs(rows: ReadonlyArray<{ readonly e: Entry; readonly key: string | null }>): unknown[][] {
  const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
  return [
    col((r) => r.e.input.id),
    col((r) => r.e.input.kind),
    col((r) => r.e.input.target),
    col((r) => r.e.input.trigger),
    col((r) => r.e.input.source),
    col((r) => r.e.input.payload),
    col((r) => r.key),
    col((r) => r.e.now),
    col((r) => (r.e.input.claim ? r.e.input.claim.leaseUntil : (r.e.input.dueAt ?? r.e.now))),
    col((r) => r.e.input.traceparent ?? null),
    col((r) => r.e.input.claim?.owner ?? null),
  ];
}

/**
 * Finishes of distinct items and enqueues without keys as one statement: a follow-up row
 * (`parent`, the finished item) goes in only when its finish held.
 */
const FINISH_AND_ENQUEUE = `WITH fin AS (${finishSql(1)}),
  ins AS (${insertSql(FINISH_TYPES.length + 1, [...INSERT_TYPES, 'text'], ' WHERE u.parent IS NULL OR u.parent IN (SELECT id FROM fin)')})
  SELECT 'f' AS k, id FROM fin UNION ALL SELECT 'e' AS k, id FROM ins`;

/**
 * Enqueues entries in order as one INSERT, each with its own `now` and idempotency TTL. Keys
 * are locked first, in one order (transactions with overlapping keys cannot deadlock), and
 * read at once; a live key answers with its holder's id (created false), an expired one
 * moves to the new item. The same id twice: the first is created, the second is not.
 */
export async function enqueueMany(sql: Sql, entries: readonly Entry[]): Promise<EnqueueOutcome[]> {
  const out = new Array<EnqueueOutcome | null>(entries.length).fill(null);
  const holders = await keyHolders(sql, entries);
  const released: string[] = [];
  const rows: Array<{ e: Entry; key: string | null; i: number }> = [];
  entries.forEach((e, i) => {
    const key = e.input.idempotencyKey ?? null;
    if (key === null) return void rows.push({ e, key, i });
    const k = keyOf(e.input.target, key);
    const hit = holders.get(k);
    if (hit && e.now - hit.acceptedAt < e.ttl) return void (out[i] = { id: hit.id, created: false });
    if (hit?.row) hit.row.key = null; // an expired key of an item of this group: moves on, as it would in order
    else if (hit) released.push(hit.id);
    const row = { e, key: key as string | null, i };
    holders.set(k, { id: e.input.id, acceptedAt: e.now, row });
    rows.push(row);
  });
  if (released.length > 0) await sql.query('UPDATE queue SET idempotency_key = NULL WHERE id = ANY($1::text[])', [released]);
  if (rows.length > 0) {
    const { rows: created } = await sql.query(INSERT, insertArgs(rows));
    // The first row of each id returned was the one inserted; a later one of the same id was not.
    const fresh = new Set(created.map((r) => r.id as string));
    for (const r of rows) out[r.i] = { id: r.e.input.id, created: fresh.delete(r.e.input.id) };
  }
  return out as EnqueueOutcome[];
}

const keyOf = (target: string, key: string) => JSON.stringify([target, key]);

interface Holder {
  readonly id: string;
  readonly acceptedAt: number;
  /** Set when the holder is a row of this group, not yet written. */
  readonly row?: { key: string | null };
}

/** Locks the entries' keys (sorted) and reads who holds each now. */
async function keyHolders(sql: Sql, entries: readonly Entry[]): Promise<Map<string, Holder>> {
  const holders = new Map<string, Holder>();
  const keyed = entries.filter((e) => e.input.idempotencyKey != null);
  if (keyed.length === 0) return holders;
  const names = [...new Set(keyed.map((e) => keyOf(e.input.target, e.input.idempotencyKey as string)))].sort();
  await sql.query('SELECT pg_advisory_xact_lock($1, hashtext(n)) FROM (SELECT n FROM unnest($2::text[]) WITH ORDINALITY AS x(n, o) ORDER BY o) s', [NAME_LOCK.idempotency, names]);
  const pairs = names.map((n) => JSON.parse(n) as [string, string]);
  const { rows } = await sql.query(
    `SELECT q.id, q.target, q.idempotency_key, q.accepted_at FROM queue q
     JOIN unnest($1::text[], $2::text[]) AS k(target, key) ON q.target = k.target AND q.idempotency_key = k.key`,
    [pairs.map((p) => p[0]), pairs.map((p) => p[1])],
  );
  for (const r of rows) holders.set(keyOf(r.target as string, r.idempotency_key as string), { id: r.id as string, acceptedAt: r.accepted_at as number });
  return holders;
}

const CLAIM = `WITH picked AS (
    SELECT id, due_at AS was_due FROM queue WHERE target = $1 AND state IN ('queued', 'running') AND due_at <= $2
    ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
  UPDATE queue q SET state = 'running', attempts = q.attempts + 1, due_at = $4, updated_at = $2, claimed_by = $5
  FROM picked WHERE q.id = picked.id RETURNING q.*, picked.was_due`;

/** Claims up to `limit` due items of a target, oldest due first (queue-ports.ts claim). */
export async function claimIn(sql: Sql, target: string, limit: number, now: number, leaseMs: number, owner: string): Promise<QueueItem[]> {
  if (limit <= 0) return [];
  const { rows } = await sql.query(CLAIM, [target, now, limit, now + leaseMs, owner]);
  rows.sort((a, b) => (a.was_due as number) - (b.was_due as number) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return rows.map(toItem);
}

/** About what a call sends: its payloads and follow-ups' (the rest of a row is small). */
export function queueOpSize(op: QueueOp): number {
  const inputs = op.op === 'enqueue' ? op.inputs : (op.finish.followUps ?? []);
  let bytes = op.op === 'finish' ? 512 + (op.finish.error?.length ?? 0) : 0;
  for (const i of inputs) bytes += 256 + i.payload.length;
  return bytes;
}

/** Whether a group's finishes are of distinct items and nothing it enqueues has a key: then one statement does both. */
function mergeable(ops: readonly QueueOp[]): boolean {
  const ids = new Set<string>();
  for (const o of ops) {
    const inputs = o.op === 'enqueue' ? o.inputs : (o.finish.followUps ?? []);
    if (inputs.some((i) => i.idempotencyKey != null)) return false;
    if (o.op === 'finish') {
      if (ids.has(o.finish.id)) return false;
      ids.add(o.finish.id);
    }
  }
  return true;
}

/** Whether writeQueueOps sends these calls as one statement: mergeable, and no attempt's record to write. */
export function oneQueueStatement(ops: readonly QueueOp[]): boolean {
  return mergeable(ops) && ops.every((o) => o.op === 'enqueue' || o.finish.record === undefined);
}

/** Runs a group of queue calls in the caller's transaction; one result per call, in order. */
export async function writeQueueOps(sql: Sql, ops: readonly QueueOp[]): Promise<QueueOpResult[]> {
  const results = new Array<QueueOpResult>(ops.length);
  const finishAt: number[] = [];
  const finishes: Finish[] = [];
  ops.forEach((o, i) => o.op === 'finish' && (finishAt.push(i), finishes.push(o.finish)));
  const entries: Entry[] = [];
  const slices: Array<{ i: number; from: number; to: number }> = [];
  ops.forEach((o, i) => {
    if (o.op !== 'enqueue') return;
    slices.push({ i, from: entries.length, to: entries.length + o.inputs.length });
    for (const input of o.inputs) entries.push({ input, now: o.now, ttl: o.ttl });
  });
  const held = mergeable(ops) ? await finishAndEnqueue(sql, finishes, entries) : await finishThenEnqueue(sql, finishes, entries);
  finishes.forEach((_, k) => (results[finishAt[k]] = held.applied[k]));
  for (const s of slices) results[s.i] = held.outcomes.slice(s.from, s.to);
  const records = finishes.filter((f, k) => held.applied[k] && f.record !== undefined).map((f) => f.record as InvocationRecord);
  if (records.length > 0) await writeKeyedIn(sql, records);
  return results;
}

interface Held {
  /** Per finish, whether its fence held. */
  readonly applied: boolean[];
  /** Per entry, its outcome. */
  readonly outcomes: EnqueueOutcome[];
}

/** Finishes, then the entries with the follow-ups of the finishes that held: one statement per step. */
async function finishThenEnqueue(sql: Sql, finishes: readonly Finish[], entries: readonly Entry[]): Promise<Held> {
  const applied = finishes.length > 0 ? await finishAll(sql, finishes) : [];
  const all = [...entries];
  finishes.forEach((f, k) => {
    if (applied[k]) for (const input of f.followUps ?? []) all.push({ input, now: f.now, ttl: Number.POSITIVE_INFINITY });
  });
  const outcomes = all.length > 0 ? await enqueueMany(sql, all) : [];
  return { applied, outcomes: outcomes.slice(0, entries.length) };
}

/** Finishes of distinct items and key-less entries with the follow-ups, as one statement (FINISH_AND_ENQUEUE). */
async function finishAndEnqueue(sql: Sql, finishes: readonly Finish[], entries: readonly Entry[]): Promise<Held> {
  const rows: Array<{ e: Entry; key: null; parent: string | null }> = entries.map((e) => ({ e, key: null, parent: null }));
  for (const f of finishes) for (const input of f.followUps ?? []) rows.push({ e: { input, now: f.now, ttl: Number.POSITIVE_INFINITY }, key: null, parent: f.id });
  if (rows.length === 0) {
    const ids = finishes.length > 0 ? await finishRound(sql, finishes) : new Set<string>();
    return { applied: finishes.map((f) => ids.has(f.id)), outcomes: [] };
  }
  if (finishes.length === 0) {
    const { rows: created } = await sql.query(INSERT, insertArgs(rows));
    const fresh = new Set(created.map((r) => r.id as string));
    return { applied: [], outcomes: rows.map((r) => ({ id: r.e.input.id, created: fresh.delete(r.e.input.id) })) };
  }
  const { rows: out } = await sql.query(FINISH_AND_ENQUEUE, [...finishArgs(finishes), ...insertArgs(rows), rows.map((r) => r.parent)]);
  const heldIds = new Set<string>();
  const fresh = new Set<string>();
  for (const r of out) (r.k === 'f' ? heldIds : fresh).add(r.id as string);
  // The first row of each id returned was the one inserted; a later one of the same id was not.
  const outcomes = entries.map((e) => ({ id: e.input.id, created: fresh.delete(e.input.id) }));
  return { applied: finishes.map((f) => heldIds.has(f.id)), outcomes };
}
