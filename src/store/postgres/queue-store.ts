/**
 * The durable async queue on PostgreSQL. Items are claimed with FOR UPDATE SKIP LOCKED, so
 * consumers on several nodes take disjoint items without waiting on each other; a claim is
 * a lease (state running, due_at = lease expiry) that any node may take over once it runs
 * out. Every finishing write is fenced by the attempt number, as queue-ports.ts describes, and
 * commits the attempt's invocation record with it (written as the invocation repo writes it).
 */
import type pg from 'pg';
import type { InvocationRecord } from '../../core/types.ts';
import type { DueTarget, EnqueueInput, EnqueueOutcome, QueueCounts, QueueError, QueueRepo, QueueState } from '../queue-ports.ts';
import { toItem } from '../queue-rows.ts';
import { writeKeyedIn } from './invocation-repo.ts';
import { lockName, NAME_LOCK, transaction, whereOf, type Sql } from './pg-client.ts';

const READY = `state IN ('queued', 'running')`;

async function enqueueIn(sql: Sql, inputs: readonly EnqueueInput[], now: number, ttl: number): Promise<EnqueueOutcome[]> {
  // Keys locked in one order, so two transactions with overlapping keys cannot deadlock.
  const keys = [...new Set(inputs.filter((i) => i.idempotencyKey != null).map((i) => JSON.stringify([i.target, i.idempotencyKey])))].sort();
  for (const key of keys) await lockName(sql, NAME_LOCK.idempotency, key);
  const out: EnqueueOutcome[] = [];
  for (const input of inputs) {
    const key = input.idempotencyKey ?? null;
    if (key !== null) {
      const { rows } = await sql.query('SELECT id, accepted_at FROM queue WHERE target = $1 AND idempotency_key = $2', [input.target, key]);
      const hit = rows[0];
      if (hit && now - (hit.accepted_at as number) < ttl) {
        out.push({ id: hit.id as string, created: false });
        continue;
      }
      if (hit) await sql.query('UPDATE queue SET idempotency_key = NULL WHERE id = $1', [hit.id]);
    }
    const { rowCount } = input.claim
      ? await sql.query(
          `INSERT INTO queue (id, kind, target, trigger, source, payload, idempotency_key, state, accepted_at, enqueued_at, due_at,
             attempts, throttles, last_error, dead_reason, finished_at, updated_at, traceparent, claimed_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8, $8, $9, 1, 0, NULL, NULL, NULL, $8, $10, $11) ON CONFLICT (id) DO NOTHING`,
          [input.id, input.kind, input.target, input.trigger, input.source, input.payload, key, now, input.claim.leaseUntil, input.traceparent ?? null, input.claim.owner],
        )
      : await sql.query(
          `INSERT INTO queue (id, kind, target, trigger, source, payload, idempotency_key, state, accepted_at, enqueued_at, due_at,
             attempts, throttles, last_error, dead_reason, finished_at, updated_at, traceparent)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8, $9, 0, 0, NULL, NULL, NULL, $8, $10) ON CONFLICT (id) DO NOTHING`,
          [input.id, input.kind, input.target, input.trigger, input.source, input.payload, key, now, input.dueAt ?? now, input.traceparent ?? null],
        );
    // The same id twice (a retried internal enqueue): already there.
    out.push({ id: input.id, created: (rowCount ?? 0) > 0 });
  }
  return out;
}

const errorText = (e: QueueError | null) => (e === null ? null : JSON.stringify({ code: e.code, message: e.message.slice(0, 4096) }));

export function queueRepo(pool: pg.Pool): QueueRepo {
  const changed = async (text: string, args: unknown[]) => ((await pool.query(text, args)).rowCount ?? 0) > 0;
  /**
   * A finishing write with its follow-ups and the attempt's invocation record (keyed: a later
   * version replaces it) in one transaction; neither is written unless the fenced write applied.
   */
  const finish = (text: string, args: unknown[], followUps: readonly EnqueueInput[] | undefined, now: number, record: InvocationRecord | undefined) =>
    transaction(pool, async (sql) => {
      if (((await sql.query(text, args)).rowCount ?? 0) === 0) return false;
      if (followUps && followUps.length > 0) await enqueueIn(sql, followUps, now, Number.POSITIVE_INFINITY);
      if (record !== undefined) await writeKeyedIn(sql, [record]);
      return true;
    });
  const redriveSql = `UPDATE queue SET state = 'queued', enqueued_at = $1, due_at = $1, attempts = 0, throttles = 0,
    dead_reason = NULL, finished_at = NULL, updated_at = $1 WHERE state = 'dead'`;

  return {
    async enqueue(inputs, now, ttl) {
      if (inputs.length === 0) return [];
      return transaction(pool, (sql) => enqueueIn(sql, inputs, now, ttl));
    },
    async dueTargets(now) {
      const { rows } = await pool.query(`SELECT kind, target, COUNT(*) AS n FROM queue WHERE ${READY} AND due_at <= $1 GROUP BY kind, target`, [now]);
      return rows.map((r): DueTarget => ({ kind: r.kind as DueTarget['kind'], target: r.target as string, count: r.n as number }));
    },
    async nextDueAt() {
      const { rows } = await pool.query(`SELECT MIN(due_at) AS t FROM queue WHERE ${READY}`);
      return (rows[0].t as number | null) ?? null;
    },
    async claim(target, limit, now, leaseMs, owner = '') {
      if (limit <= 0) return [];
      const { rows } = await pool.query(
        `WITH picked AS (
           SELECT id, due_at AS was_due FROM queue WHERE target = $1 AND ${READY} AND due_at <= $2
           ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
         UPDATE queue q SET state = 'running', attempts = q.attempts + 1, due_at = $4, updated_at = $2, claimed_by = $5
         FROM picked WHERE q.id = picked.id RETURNING q.*, picked.was_due`,
        [target, now, limit, now + leaseMs, owner],
      );
      rows.sort((a, b) => (a.was_due as number) - (b.was_due as number) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      return rows.map(toItem);
    },
    complete: (id, attempt, now, followUps, record) =>
      finish(
        `UPDATE queue SET state = 'succeeded', due_at = $1, finished_at = $1, updated_at = $1 WHERE id = $2 AND state = 'running' AND attempts = $3`,
        [now, id, attempt],
        followUps,
        now,
        record,
      ),
    retry: (id, attempt, at, error, now, record) =>
      finish(
        `UPDATE queue SET state = 'queued', due_at = $1, last_error = $2, updated_at = $3 WHERE id = $4 AND state = 'running' AND attempts = $5`,
        [at, errorText(error), now, id, attempt],
        undefined,
        now,
        record,
      ),
    release: (id, attempt, at, now, throttled) =>
      changed(
        `UPDATE queue SET state = 'queued', due_at = $1, attempts = attempts - 1, throttles = throttles + $2, updated_at = $3
         WHERE id = $4 AND state = 'running' AND attempts = $5`,
        [at, throttled ? 1 : 0, now, id, attempt],
      ),
    deadLetter: (id, attempt, reason, error, now, followUps, record) =>
      finish(
        `UPDATE queue SET state = 'dead', dead_reason = $1, last_error = COALESCE($2, last_error), due_at = $3, finished_at = $3, updated_at = $3
         WHERE id = $4 AND state = 'running' AND attempts = $5`,
        [reason, errorText(error), now, id, attempt],
        followUps,
        now,
        record,
      ),
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
        if (followUps && followUps.length > 0) await enqueueIn(sql, followUps, now, Number.POSITIVE_INFINITY);
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
