/**
 * Workflows on PostgreSQL: state machines and versions, executions, the step journal,
 * history, durable timers and callback task tokens. appendStep() is one transaction fenced
 * by the step seq (the UPDATE … WHERE seq = expected takes the execution's row lock), so a
 * step is journalled wholly or not at all, and a stale writer on any node changes nothing.
 */
import type pg from 'pg';
import type { StartInput, StepInput, WorkflowRepo } from '../workflow-ports.ts';
import { toDueTimer, toExecution, toMachine, toStep, toToken, toVersion } from '../workflow-rows.ts';
import { lockName, NAME_LOCK, transaction, valuesList, whereOf, type Row, type Sql } from './pg-client.ts';

/** The parts of a step every journal write shares: step row, history, tokens, timers. */
async function writeStep(sql: Sql, input: Omit<StepInput, 'expectedSeq'>, seq: number): Promise<void> {
  const id = input.executionId;
  await sql.query('INSERT INTO execution_steps (execution_id, seq, event, commands, at) VALUES ($1, $2, $3, $4, $5)', [id, seq, input.event, input.commands, input.now]);
  if (input.history.length > 0) {
    // One row an event id (the last one given wins, as a replace would leave it).
    const history = [...new Map(input.history.map((h) => [h.id, h.json])).entries()];
    await sql.query(
      `INSERT INTO execution_history (execution_id, event_id, event) VALUES ${valuesList(history.length, 3)}
       ON CONFLICT (execution_id, event_id) DO UPDATE SET event = excluded.event`,
      history.flatMap(([eventId, json]) => [id, eventId, json]),
    );
  }
  const completed = input.tasksCompleted ?? [];
  if (completed.length > 0) {
    await sql.query('UPDATE task_tokens SET completed_at = $1 WHERE execution_id = $2 AND task_id = ANY($3) AND completed_at IS NULL', [input.now, id, completed]);
  }
  for (const t of input.taskTokens ?? []) {
    await sql.query('INSERT INTO task_tokens (token, execution_id, task_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [t.token, id, t.taskId, input.now]);
  }
  if (input.status !== 'RUNNING') {
    await sql.query('DELETE FROM workflow_timers WHERE execution_id = $1', [id]);
    return;
  }
  if (input.timersCancelled.length > 0) await sql.query('DELETE FROM workflow_timers WHERE execution_id = $1 AND timer_id = ANY($2)', [id, input.timersCancelled]);
  for (const t of input.timersStarted) {
    await sql.query(
      'INSERT INTO workflow_timers (execution_id, timer_id, fire_at) VALUES ($1, $2, $3) ON CONFLICT (execution_id, timer_id) DO UPDATE SET fire_at = excluded.fire_at',
      [id, t.timerId, t.fireAt],
    );
  }
}

/** One execution and everything written for it; used by workflow delete and by retention. */
async function deleteExecutions(sql: Sql, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  for (const table of ['execution_steps', 'execution_history', 'workflow_timers', 'task_tokens']) {
    await sql.query(`DELETE FROM ${table} WHERE execution_id = ANY($1)`, [ids]);
  }
  await sql.query('DELETE FROM executions WHERE id = ANY($1)', [ids]);
}

export function workflowRepo(pool: pg.Pool): WorkflowRepo {
  const one = async <T>(text: string, args: unknown[], map: (r: Row) => T): Promise<T | null> => {
    const { rows } = await pool.query(text, args);
    return rows.length > 0 ? map(rows[0]) : null;
  };
  return {
    deployMachine: (input) =>
      transaction(pool, async (sql) => {
        await lockName(sql, NAME_LOCK.machine, input.name);
        const { rows: cur } = await sql.query(
          `SELECT v.* FROM state_machines m JOIN state_machine_versions v ON v.name = m.name AND v.version = m.current_version WHERE m.name = $1`,
          [input.name],
        );
        if (cur.length > 0 && cur[0].hash === input.hash) return { version: toVersion(cur[0]), created: false };
        const { rows: max } = await sql.query('SELECT MAX(version) AS v FROM state_machine_versions WHERE name = $1', [input.name]);
        const next = ((max[0].v as number | null) ?? 0) + 1;
        await sql.query(
          `INSERT INTO state_machines (name, current_version, created_at, updated_at) VALUES ($1, $2, $3, $3)
           ON CONFLICT (name) DO UPDATE SET current_version = excluded.current_version, updated_at = excluded.updated_at`,
          [input.name, next, input.now],
        );
        const { rows } = await sql.query('INSERT INTO state_machine_versions (name, version, hash, definition, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *', [
          input.name, next, input.hash, input.definition, input.now,
        ]);
        return { version: toVersion(rows[0]), created: true };
      }),
    getMachine: (name) => one('SELECT * FROM state_machines WHERE name = $1', [name], toMachine),
    async listMachines() {
      return (await pool.query('SELECT * FROM state_machines ORDER BY name')).rows.map(toMachine);
    },
    deleteMachine: (name) =>
      transaction(pool, async (sql): Promise<'deleted' | 'not_found' | 'running'> => {
        await lockName(sql, NAME_LOCK.machine, name);
        if ((await sql.query('SELECT 1 FROM state_machines WHERE name = $1 FOR UPDATE', [name])).rowCount === 0) return 'not_found';
        if (((await sql.query(`SELECT 1 FROM executions WHERE machine = $1 AND status = 'RUNNING' LIMIT 1`, [name])).rowCount ?? 0) > 0) return 'running';
        const { rows } = await sql.query('SELECT id FROM executions WHERE machine = $1', [name]);
        await deleteExecutions(sql, rows.map((r) => r.id as string));
        await sql.query('DELETE FROM triggers WHERE workflow = $1', [name]);
        await sql.query('DELETE FROM state_machines WHERE name = $1', [name]); // versions go with it (ON DELETE CASCADE)
        return 'deleted';
      }),
    pruneExecutions: (endedBefore, limit) =>
      transaction(pool, async (sql) => {
        const { rows } = await sql.query(`SELECT id FROM executions WHERE status <> 'RUNNING' AND stopped_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED`, [endedBefore, limit]);
        await deleteExecutions(sql, rows.map((r) => r.id as string));
        return rows.length;
      }),
    getMachineVersion: (name, version) => one('SELECT * FROM state_machine_versions WHERE name = $1 AND version = $2', [name, version], toVersion),
    async listMachineVersions(name) {
      return (await pool.query('SELECT * FROM state_machine_versions WHERE name = $1 ORDER BY version DESC', [name])).rows.map(toVersion);
    },
    startExecution: (input: StartInput) =>
      transaction(pool, async (sql) => {
        // The machine may have been deleted since the caller read it; the share lock keeps it until commit.
        if ((await sql.query('SELECT 1 FROM state_machines WHERE name = $1 FOR SHARE', [input.machine])).rowCount === 0) return false;
        const { rowCount } = await sql.query(
          `INSERT INTO executions (id, name, machine, version, status, input, output, error, cause, started_at, stopped_at, seq, snapshot,
             transitions, history_count, redrive_count, source, updated_at, traceparent)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, $13, $14, $15, $16, $10, $17) ON CONFLICT DO NOTHING`,
          [
            input.executionId, input.name, input.machine, input.version, input.status, input.input, input.output, input.error, input.cause,
            input.now, input.status === 'RUNNING' ? null : input.now, input.snapshot, input.transitions, input.history.length, input.redriveCount,
            input.source, input.traceparent ?? null,
          ],
        );
        if ((rowCount ?? 0) === 0) return false;
        await writeStep(sql, input, 0);
        return true;
      }),
    appendStep: (input) =>
      transaction(pool, async (sql) => {
        const { rowCount } = await sql.query(
          `UPDATE executions SET status = $1, output = $2, error = $3, cause = $4, stopped_at = $5, seq = seq + 1, snapshot = $6,
             transitions = transitions + $7, history_count = history_count + $8, redrive_count = $9, updated_at = $10
           WHERE id = $11 AND seq = $12`,
          [
            input.status, input.output, input.error, input.cause, input.status === 'RUNNING' ? null : input.now, input.snapshot,
            input.transitions, input.history.length, input.redriveCount, input.now, input.executionId, input.expectedSeq,
          ],
        );
        if ((rowCount ?? 0) === 0) return false;
        await writeStep(sql, input, input.expectedSeq + 1);
        return true;
      }),
    getExecution: (id) => one('SELECT * FROM executions WHERE id = $1', [id], toExecution),
    findExecutionByName: (machine, name) => one('SELECT * FROM executions WHERE machine = $1 AND name = $2', [machine, name], toExecution),
    async listExecutions(q) {
      const { where, args } = whereOf([
        q.machine !== undefined && ['machine = ?', q.machine],
        q.status !== undefined && ['status = ?', q.status],
        q.before !== undefined && ['id < ?', q.before],
      ]);
      return (await pool.query(`SELECT * FROM executions${where} ORDER BY id DESC LIMIT $${args.length + 1}`, [...args, q.limit])).rows.map(toExecution);
    },
    async runningExecutions() {
      return (await pool.query(`SELECT id FROM executions WHERE status = 'RUNNING' ORDER BY id`)).rows.map((r) => r.id as string);
    },
    async history(executionId, afterId, limit) {
      const { rows } = await pool.query('SELECT event FROM execution_history WHERE execution_id = $1 AND event_id > $2 ORDER BY event_id LIMIT $3', [executionId, afterId, limit]);
      return rows.map((r) => r.event as string);
    },
    async steps(executionId) {
      const { rows } = await pool.query('SELECT seq, event, commands, at FROM execution_steps WHERE execution_id = $1 ORDER BY seq', [executionId]);
      return rows.map(toStep);
    },
    async dueTimers(now, limit) {
      const { rows } = await pool.query('SELECT execution_id, timer_id, fire_at FROM workflow_timers WHERE fire_at <= $1 ORDER BY fire_at LIMIT $2', [now, limit]);
      return rows.map(toDueTimer);
    },
    async nextTimerAt() {
      const { rows } = await pool.query('SELECT MIN(fire_at) AS t FROM workflow_timers');
      return (rows[0].t as number | null) ?? null;
    },
    getTaskToken: (token) => one('SELECT * FROM task_tokens WHERE token = $1', [token], toToken),
    taskTokenOf: (executionId, taskId) => one('SELECT * FROM task_tokens WHERE execution_id = $1 AND task_id = $2', [executionId, taskId], toToken),
    async markTaskInvoked(token, now) {
      await pool.query('UPDATE task_tokens SET invoked_at = $1 WHERE token = $2 AND invoked_at IS NULL', [now, token]);
    },
  };
}
