/**
 * The durable async queue on SQLite. Every state change is one short transaction with
 * prepared statements (enqueues, claims and completions: savepoints in the turn's group commit,
 * resolved once it is committed); WAL with synchronous=NORMAL survives a kill -9 of the process
 * (only an OS crash or power loss may lose the last commits).
 */
import type Database from 'better-sqlite3';
import type { InvocationRecord } from '../../core/types.ts';
import type {
  DeadInput,
  DueTarget,
  EnqueueInput,
  EnqueueOutcome,
  QueueCounts,
  QueueError,
  QueueItem,
  QueueQuery,
  QueueRepo,
  QueueState,
} from '../queue-ports.ts';
import { toItem } from '../queue-rows.ts';
import type { Row } from '../row.ts';
import { filteredSelect } from './filtered-select.ts';
import { groupCommit, type Tally } from './group-commit.ts';
import { recordRow } from '../record-rows.ts';
import { recordRowsWriter } from './row-writer.ts';
import { usageWriter, type UsageBatch } from './observe-store.ts';

const READY = `state IN ('queued', 'running')`;
/**
 * A list by state: the index it reads and its condition, the value written out (a partial
 * index is usable only when the query names its condition itself, which a bound parameter
 * does not). Waiting and running items are read from the ready index and dead letters from
 * queue_dead, not by stepping through every item newest first; succeeded ones are most items.
 */
const LIST_BY_STATE: Readonly<Record<QueueState, { readonly from: string; readonly term: string }>> = {
  queued: { from: 'SELECT * FROM queue INDEXED BY queue_ready', term: `state = 'queued' AND ${READY}` },
  running: { from: 'SELECT * FROM queue INDEXED BY queue_ready', term: `state = 'running' AND ${READY}` },
  succeeded: { from: 'SELECT * FROM queue', term: `state = 'succeeded'` },
  dead: { from: 'SELECT * FROM queue INDEXED BY queue_dead', term: `state = 'dead'` },
};

/** What a group's completions add up: their records' usage, and items succeeded per target. */
interface CompletionTally {
  readonly usage: UsageBatch;
  readonly succeeded: Map<string, number>;
}

export function queueRepo(db: Database.Database, onClose: Array<() => void> = []): QueueRepo {
  const byKey = db.prepare('SELECT id, accepted_at FROM queue WHERE target = ? AND idempotency_key = ?');
  const forgetKey = db.prepare('UPDATE queue SET idempotency_key = NULL WHERE id = ?');
  // The same id twice (a retried internal enqueue) is already there: no row, no error.
  const insert = db.prepare(`INSERT INTO queue (id, kind, target, trigger, source, payload, idempotency_key, state,
    accepted_at, enqueued_at, due_at, attempts, throttles, last_error, dead_reason, finished_at, updated_at, traceparent)
    VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, 0, 0, NULL, NULL, NULL, ?, ?) ON CONFLICT(id) DO NOTHING`);
  const insertClaimed = db.prepare(`INSERT INTO queue (id, kind, target, trigger, source, payload, idempotency_key, state,
    accepted_at, enqueued_at, due_at, attempts, throttles, last_error, dead_reason, finished_at, updated_at, traceparent, claimed_by)
    VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, 1, 0, NULL, NULL, NULL, ?, ?, ?) ON CONFLICT(id) DO NOTHING`);
  const insertDead = db.prepare(`INSERT INTO queue (id, kind, target, trigger, source, payload, idempotency_key, state,
    accepted_at, enqueued_at, due_at, attempts, throttles, last_error, dead_reason, finished_at, updated_at, traceparent)
    VALUES (?, ?, ?, ?, ?, ?, ?, 'dead', ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)`);
  // Both from the ready index: only waiting and running items are read.
  const dueTargets = db.prepare(`SELECT kind, target, COUNT(*) AS n FROM queue INDEXED BY queue_ready WHERE ${READY} AND due_at <= ? GROUP BY kind, target`);
  const nextDue = db.prepare(`SELECT MIN(due_at) AS t FROM queue INDEXED BY queue_ready WHERE ${READY}`);
  const pick = db.prepare(`SELECT id FROM queue WHERE target = ? AND ${READY} AND due_at <= ? ORDER BY due_at, id LIMIT ?`);
  const take = db.prepare(
    `UPDATE queue SET state = 'running', attempts = attempts + 1, due_at = ?, updated_at = ?, claimed_by = ? WHERE id = ? AND ${READY} RETURNING *`,
  );
  // Both finishing updates name the item's target: the caller adds it to queue_finished (migration 23).
  const done = db.prepare(
    `UPDATE queue SET state = 'succeeded', due_at = ?, finished_at = ?, updated_at = ? WHERE id = ? AND state = 'running' AND attempts = ? RETURNING target`,
  );
  const again = db.prepare(
    `UPDATE queue SET state = 'queued', due_at = ?, last_error = ?, updated_at = ? WHERE id = ? AND state = 'running' AND attempts = ?`,
  );
  const putBack = db.prepare(
    `UPDATE queue SET state = 'queued', due_at = ?, attempts = attempts - 1, throttles = throttles + ?, updated_at = ?
     WHERE id = ? AND state = 'running' AND attempts = ?`,
  );
  const dead = db.prepare(
    `UPDATE queue SET state = 'dead', dead_reason = ?, last_error = COALESCE(?, last_error), due_at = ?, finished_at = ?, updated_at = ?
     WHERE id = ? AND state = 'running' AND attempts = ? RETURNING target`,
  );
  const finished = db.prepare(
    'INSERT INTO queue_finished (target, state, n) VALUES (?, ?, ?) ON CONFLICT (target, state) DO UPDATE SET n = n + excluded.n',
  );
  const recover = db.prepare(`UPDATE queue SET state = 'queued', due_at = ?, updated_at = ? WHERE state = 'running' AND ${READY}`);
  const recoverOrphans = db.prepare(
    `UPDATE queue SET state = 'queued', due_at = ?, updated_at = ? WHERE state = 'running' AND ${READY} AND COALESCE(claimed_by, '') NOT IN (SELECT value FROM json_each(?))`,
  );
  const getOne = db.prepare('SELECT * FROM queue WHERE id = ?');
  // Counts: waiting and running items from the ready index, finished ones from queue_finished
  // (kept by triggers, migration 22, and by the finishing updates below, migration 23).
  const countReady = db.prepare(`SELECT state, COUNT(*) AS n FROM queue INDEXED BY queue_ready WHERE ${READY} GROUP BY state`);
  const countReadyOf = db.prepare(`SELECT state, COUNT(*) AS n FROM queue INDEXED BY queue_ready WHERE target = ? AND ${READY} GROUP BY state`);
  const countFinished = db.prepare('SELECT state, SUM(n) AS n FROM queue_finished GROUP BY state');
  const countFinishedOf = db.prepare('SELECT state, n FROM queue_finished WHERE target = ?');
  const redriveSql = `UPDATE queue SET state = 'queued', enqueued_at = ?, due_at = ?, attempts = 0, throttles = 0,
    dead_reason = NULL, finished_at = NULL, updated_at = ? WHERE state = 'dead'`;
  const redriveOne = db.prepare(`${redriveSql} AND id = ?`);
  const redriveEvery = db.prepare(redriveSql);
  const redriveTarget = db.prepare(`${redriveSql} AND target = ?`);
  const purge = db.prepare(`DELETE FROM queue WHERE id = ? AND state = 'dead'`);
  const prune = db.prepare(`DELETE FROM queue WHERE state = 'succeeded' AND finished_at < ?`);
  const select = filteredSelect(db);
  // The attempt's invocation record goes into the same transaction as its outcome (keyed: a later attempt replaces it).
  const writeRecords = recordRowsWriter(db);

  const errorText = (e: QueueError | null) => (e === null ? null : JSON.stringify({ code: e.code, message: e.message.slice(0, 4096) }));

  const enqueueRows = (inputs: readonly EnqueueInput[], now: number, ttl: number): EnqueueOutcome[] => {
    const out: EnqueueOutcome[] = [];
    for (const input of inputs) {
      const key = input.idempotencyKey ?? null;
      if (key !== null) {
        const hit = byKey.get(input.target, key) as { id: string; accepted_at: number } | undefined;
        if (hit && now - hit.accepted_at < ttl) {
          out.push({ id: hit.id, created: false });
          continue;
        }
        if (hit) forgetKey.run(hit.id);
      }
      const changes = input.claim
        ? insertClaimed.run(input.id, input.kind, input.target, input.trigger, input.source, input.payload, key, now, now, input.claim.leaseUntil, now, input.traceparent ?? null, input.claim.owner).changes
        : insert.run(input.id, input.kind, input.target, input.trigger, input.source, input.payload, key, now, now, input.dueAt ?? now, now, input.traceparent ?? null).changes;
      out.push({ id: input.id, created: changes > 0 });
    }
    return out;
  };

  const claimRows = (target: string, limit: number, now: number, leaseMs: number, owner: string): QueueItem[] => {
    const ids = pick.all(target, now, limit) as Array<{ id: string }>;
    const out: QueueItem[] = [];
    for (const { id } of ids) {
      const row = take.get(now + leaseMs, now, owner, id) as Row | undefined;
      if (row) out.push(toItem(row));
    }
    return out;
  };

  const finishTx = db.transaction(
    (apply: () => boolean, followUps: readonly EnqueueInput[] | undefined, now: number, record: InvocationRecord | undefined): boolean => {
      if (!apply()) return false;
      if (followUps && followUps.length > 0) enqueueRows(followUps, now, Number.POSITIVE_INFINITY);
      if (record !== undefined) writeRecords([recordRow(record)]);
      return true;
    },
  );

  const addDeadTx = db.transaction((input: DeadInput, now: number, followUps: readonly EnqueueInput[] | undefined): boolean => {
    if (getOne.get(input.id)) return false;
    const key = input.idempotencyKey ?? null;
    if (key !== null) {
      const hit = byKey.get(input.target, key) as { id: string } | undefined;
      if (hit) forgetKey.run(hit.id);
    }
    insertDead.run(input.id, input.kind, input.target, input.trigger, input.source, input.payload, key, input.acceptedAt, input.acceptedAt, now, input.attempts,
      errorText(input.error), input.reason, now, now, input.traceparent ?? null);
    if (followUps && followUps.length > 0) enqueueRows(followUps, now, Number.POSITIVE_INFINITY);
    return true;
  });

  // Enqueues, claims and completions asked for in one turn commit together, with the turn's other writes (group-commit.ts).
  const enqueueGrouped = groupCommit(db, (a: { inputs: readonly EnqueueInput[]; now: number; ttl: number }) => enqueueRows(a.inputs, a.now, a.ttl));
  // A group's completions sum what they add to usage (their records) and to the finished
  // counts: one upsert a function-hour and one a target, not one each an item.
  const usage = usageWriter(db);
  const completionTally: Tally<CompletionTally> = {
    open: () => ({ usage: usage.batch(), succeeded: new Map() }),
    close: (t) => {
      t.usage.apply();
      for (const [target, n] of t.succeeded) finished.run(target, 'succeeded', n);
    },
  };
  const completeGrouped = groupCommit(
    db,
    (a: { id: string; attempt: number; now: number; followUps?: readonly EnqueueInput[]; record?: InvocationRecord }, tally: CompletionTally): boolean => {
      const row = done.get(a.now, a.now, a.now, a.id, a.attempt) as { target: string } | undefined;
      if (row === undefined) return false;
      if (a.followUps && a.followUps.length > 0) enqueueRows(a.followUps, a.now, Number.POSITIVE_INFINITY);
      if (a.record !== undefined) writeRecords([recordRow(a.record)], tally.usage);
      tally.succeeded.set(row.target, (tally.succeeded.get(row.target) ?? 0) + 1);
      return true;
    },
    completionTally,
  );
  // A claim too: the consumer starts an item only once its claim is committed.
  const claimGrouped = groupCommit(db, (a: { target: string; limit: number; now: number; leaseMs: number; owner: string }) => claimRows(a.target, a.limit, a.now, a.leaseMs, a.owner));
  onClose.push(enqueueGrouped.flush);

  return {
    async enqueue(inputs, now, ttl) {
      if (inputs.length === 0) return [];
      return enqueueGrouped({ inputs, now, ttl });
    },
    async dueTargets(now) {
      return (dueTargets.all(now) as Row[]).map((r): DueTarget => ({ kind: r.kind as DueTarget['kind'], target: r.target as string, count: r.n as number }));
    },
    async nextDueAt() {
      return ((nextDue.get() as { t: number | null }).t ?? null) as number | null;
    },
    async claim(target, limit, now, leaseMs, owner = '') {
      if (limit <= 0) return [];
      return claimGrouped({ target, limit, now, leaseMs, owner });
    },
    async complete(id, attempt, now, followUps, record) {
      return completeGrouped({ id, attempt, now, followUps, record });
    },
    async retry(id, attempt, at, error, now, record) {
      if (record === undefined) return again.run(at, errorText(error), now, id, attempt).changes > 0;
      return finishTx.immediate(() => again.run(at, errorText(error), now, id, attempt).changes > 0, undefined, now, record);
    },
    async release(id, attempt, at, now, throttled) {
      return putBack.run(at, throttled ? 1 : 0, now, id, attempt).changes > 0;
    },
    async deadLetter(id, attempt, reason, error, now, followUps, record) {
      return finishTx.immediate(
        () => {
          const row = dead.get(reason, errorText(error), now, now, now, id, attempt) as { target: string } | undefined;
          if (row === undefined) return false;
          finished.run(row.target, 'dead', 1);
          return true;
        },
        followUps,
        now,
        record,
      );
    },
    async addDead(input, now, followUps) {
      return addDeadTx.immediate(input, now, followUps);
    },
    async recover(now, alive) {
      return (alive === undefined ? recover.run(now, now) : recoverOrphans.run(now, now, JSON.stringify(alive))).changes;
    },
    async get(id) {
      const row = getOne.get(id) as Row | undefined;
      return row ? toItem(row) : null;
    },
    async list(q: QueueQuery) {
      const byState = q.state === undefined ? undefined : LIST_BY_STATE[q.state];
      const { stmt, args } = select(
        byState?.from ?? 'SELECT * FROM queue',
        [q.target !== undefined && ['target = ?', q.target], byState !== undefined && [byState.term], q.before !== undefined && ['id < ?', q.before]],
        'ORDER BY id DESC LIMIT ?',
      );
      return (stmt.all(...args, q.limit) as Row[]).map(toItem);
    },
    async counts(target) {
      const ready = (target === undefined ? countReady.all() : countReadyOf.all(target)) as Array<{ state: QueueState; n: number }>;
      const finished = (target === undefined ? countFinished.all() : countFinishedOf.all(target)) as Array<{ state: QueueState; n: number }>;
      const counts: Record<QueueState, number> = { queued: 0, running: 0, succeeded: 0, dead: 0 };
      for (const r of ready) counts[r.state] = r.n;
      for (const r of finished) counts[r.state] = r.n;
      return counts as QueueCounts;
    },
    async redrive(id, now) {
      return redriveOne.run(now, now, now, id).changes > 0;
    },
    async redriveAll(target, now) {
      return target === undefined ? redriveEvery.run(now, now, now).changes : redriveTarget.run(now, now, now, target).changes;
    },
    async purge(id) {
      return purge.run(id).changes > 0;
    },
    async prune(olderThan) {
      return prune.run(olderThan).changes;
    },
  };
}
