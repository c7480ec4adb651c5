/**
 * The durable async queue on PostgreSQL. Items are claimed with FOR UPDATE SKIP LOCKED, so
 * consumers on several nodes take disjoint items without waiting on each other; a claim is
 * a lease (state running, due_at = lease expiry) that any node may take over once it runs
 * out. Every finishing write is fenced by the attempt number, as queue-ports.ts describes, and
 * commits the attempt's invocation record with it (written as the invocation repo writes it).
 *
 * Enqueues and finishing writes go through one group commit (group-commit.ts): those asked
 * for in one turn share a transaction and are sent as multi-row statements (queue-writes.ts),
 * each caller answered after the COMMIT, so a 202 still means durable. A claim is one
 * statement, a transaction by itself.
 */
import type pg from 'pg';
import type { DueTarget, EnqueueOutcome, QueueCounts, QueueError, QueueRepo, QueueState } from '../queue-ports.ts';
import { toItem } from '../queue-rows.ts';
import { groupCommit } from './group-commit.ts';
import { lockName, NAME_LOCK, transaction, whereOf } from './pg-client.ts';
import { claimIn, enqueueMany, oneQueueStatement, queueOpSize, writeQueueOps, type Finish, type QueueOp, type QueueOpResult } from './queue-writes.ts';

const READY = `state IN ('queued', 'running')`;

const errorText = (e: QueueError | null) => (e === null ? null : JSON.stringify({ code: e.code, message: e.message.slice(0, 4096) }));

/**
 * How the group commit runs: two groups at the server at once (one commits while the next is
 * written), each of at most 2,000 calls and about 32 MB of payloads (one statement carries them all).
 */
const GROUP = { maxInFlight: 2, maxGroup: 2_000, oneStatement: oneQueueStatement, size: queueOpSize, maxSize: 32 * 1024 * 1024 } as const;

/** The queue, and what its close waits for: every write asked for has settled. */
export function queueRepo(pool: pg.Pool): QueueRepo & { drained(): Promise<void> } {
  const changed = async (text: string, args: unknown[]) => ((await pool.query(text, args)).rowCount ?? 0) > 0;
  // Enqueues, claims and finishing writes asked for in one turn commit together (group-commit.ts).
  const grouped = groupCommit<QueueOp, QueueOpResult>(pool, writeQueueOps, GROUP);
  const finish = (f: Finish) => grouped({ op: 'finish', finish: f }) as Promise<boolean>;
  const base = { followUps: undefined, record: undefined, release: false, throttled: false, deadReason: null };
  const redriveSql = `UPDATE queue SET state = 'queued', enqueued_at = $1, due_at = $1, attempts = 0, throttles = 0,
    dead_reason = NULL, finished_at = NULL, updated_at = $1 WHERE state = 'dead'`;

  return {
    drained: () => grouped.drained(),
    async enqueue(inputs, now, ttl) {
      if (inputs.length === 0) return [];
      return grouped({ op: 'enqueue', inputs, now, ttl }) as Promise<EnqueueOutcome[]>;
    },
    async dueTargets(now) {
      const { rows } = await pool.query(`SELECT kind, target, COUNT(*) AS n FROM queue WHERE ${READY} AND due_at <= $1 GROUP BY kind, target`, [now]);
      return rows.map((r): DueTarget => ({ kind: r.kind as DueTarget['kind'], target: r.target as string, count: r.n as number }));
    },
    async nextDueAt() {
      const { rows } = await pool.query(`SELECT MIN(due_at) AS t FROM queue WHERE ${READY}`);
      return (rows[0].t as number | null) ?? null;
    },
    claim: (target, limit, now, leaseMs, owner = '') => claimIn(pool, target, limit, now, leaseMs, owner),
    complete: (id, attempt, now, followUps, record) =>
      finish({ ...base, id, attempt, state: 'succeeded', dueAt: now, now, finished: true, errorMode: 'keep', error: null, followUps, record }),
    retry: (id, attempt, at, error, now, record) =>
      finish({ ...base, id, attempt, state: 'queued', dueAt: at, now, finished: false, errorMode: 'set', error: errorText(error), record }),
    release: (id, attempt, at, now, throttled) =>
      finish({ ...base, id, attempt, state: 'queued', dueAt: at, now, finished: false, release: true, throttled, errorMode: 'keep', error: null }),
    deadLetter: (id, attempt, reason, error, now, followUps, record) =>
      finish({ ...base, id, attempt, state: 'dead', dueAt: now, now, finished: true, errorMode: 'fill', error: errorText(error), deadReason: reason, followUps, record }),
    addDead: (input, now, followUps) =>
      transaction(pool, async (sql) => {
        const key = input.idempotencyKey ?? null;
        if (key !== null) await lockName(sql, NAME_LOCK.idempotency, JSON.stringify([input.target, key]));
        // A repeat of the id (the row is there, or another node is writing it) writes nothing.
        await lockName(sql, NAME_LOCK.idempotency, JSON.stringify(['#dead', input.id]));
        if ((await sql.query('SELECT 1 FROM queue WHERE id = $1', [input.id])).rows.length > 0) return false;
        if (key !== null) await sql.query('UPDATE queue SET idempotency_key = NULL WHERE target = $1 AND idempotency_key = $2', [input.target, key]);
        await sql.query(
          `INSERT INTO queue (id, kind, target, trigger, source, payload, idempotency_key, state, accepted_at, enqueued_at, due_at,
             attempts, throttles, last_error, dead_reason, finished_at, updated_at, traceparent)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'dead', $8, $8, $9, $10, 0, $11, $12, $9, $9, $13)`,
          [input.id, input.kind, input.target, input.trigger, input.source, input.payload, key, input.acceptedAt, now, input.attempts, errorText(input.error), input.reason, input.traceparent ?? null],
        );
        if (followUps && followUps.length > 0) await enqueueMany(sql, followUps.map((input) => ({ input, now, ttl: Number.POSITIVE_INFINITY })));
        return true;
      }),
    async recover(now, alive) {
      const { rowCount } =
        alive === undefined
          ? await pool.query(`UPDATE queue SET state = 'queued', due_at = $1, updated_at = $1 WHERE state = 'running'`, [now])
          : await pool.query(
              `UPDATE queue SET state = 'queued', due_at = $1, updated_at = $1 WHERE state = 'running' AND NOT (COALESCE(claimed_by, '') = ANY($2::text[]))`,
              [now, alive],
            );
      return rowCount ?? 0;
    },
    async get(id) {
      const { rows } = await pool.query('SELECT * FROM queue WHERE id = $1', [id]);
      return rows.length > 0 ? toItem(rows[0]) : null;
    },
    async list(q) {
      const { where, args } = whereOf([
        q.target !== undefined && ['target = ?', q.target],
        q.state !== undefined && ['state = ?', q.state],
        q.before !== undefined && ['id < ?', q.before],
      ]);
      return (await pool.query(`SELECT * FROM queue${where} ORDER BY id DESC LIMIT $${args.length + 1}`, [...args, q.limit])).rows.map(toItem);
    },
    async counts(target) {
      const { rows } =
        target === undefined
          ? await pool.query('SELECT state, COUNT(*) AS n FROM queue GROUP BY state')
          : await pool.query('SELECT state, COUNT(*) AS n FROM queue WHERE target = $1 GROUP BY state', [target]);
      const counts: Record<QueueState, number> = { queued: 0, running: 0, succeeded: 0, dead: 0 };
      for (const r of rows) counts[r.state as QueueState] = r.n as number;
      return counts as QueueCounts;
    },
    redrive: (id, now) => changed(`${redriveSql} AND id = $2`, [now, id]),
    async redriveAll(target, now) {
      const r = target === undefined ? await pool.query(redriveSql, [now]) : await pool.query(`${redriveSql} AND target = $2`, [now, target]);
      return r.rowCount ?? 0;
    },
    purge: (id) => changed(`DELETE FROM queue WHERE id = $1 AND state = 'dead'`, [id]),
    async prune(olderThan) {
      return (await pool.query(`DELETE FROM queue WHERE state = 'succeeded' AND finished_at < $1`, [olderThan])).rowCount ?? 0;
    },
  };
}
