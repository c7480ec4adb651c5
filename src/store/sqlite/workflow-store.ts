/**
 * Workflows on SQLite: state machines and versions, executions, the step journal, history
 * and durable timers. appendStep() is one write of the turn's group commit, fenced by the
 * step seq, so a step is either wholly journalled or not at all, and a stale writer changes
 * nothing; it resolves once that group is committed.
 */
import type Database from 'better-sqlite3';
import type { Row } from '../row.ts';
import type { ExecutionQuery, MachineDeployInput, StartInput, StepInput, WorkflowRepo } from '../workflow-ports.ts';
import { toDueTimer, toExecution, toMachine, toStep, toToken, toVersion } from '../workflow-rows.ts';
import { filteredSelect } from './filtered-select.ts';
import { groupCommit } from './group-commit.ts';
import { fromBlocks, toBlocks } from './history-blocks.ts';

export function workflowRepo(db: Database.Database, onClose: Array<() => void> = []): WorkflowRepo {
  const getMachine = db.prepare('SELECT * FROM state_machines WHERE name = ?');
  const listMachines = db.prepare('SELECT * FROM state_machines ORDER BY name');
  const getVersion = db.prepare('SELECT * FROM state_machine_versions WHERE name = ? AND version = ?');
  const listVersions = db.prepare('SELECT * FROM state_machine_versions WHERE name = ? ORDER BY version DESC');
  const currentHash = db.prepare(
    'SELECT v.hash, m.current_version FROM state_machines m JOIN state_machine_versions v ON v.name = m.name AND v.version = m.current_version WHERE m.name = ?',
  );
  const maxVersion = db.prepare('SELECT MAX(version) AS v FROM state_machine_versions WHERE name = ?');
  const upsertMachine = db.prepare(
    'INSERT INTO state_machines (name, current_version, created_at, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT(name) DO UPDATE SET current_version = excluded.current_version, updated_at = excluded.updated_at',
  );
  const insertVersion = db.prepare('INSERT INTO state_machine_versions (name, version, hash, definition, created_at) VALUES (?, ?, ?, ?, ?)');

  const insertExecution = db.prepare(`INSERT OR IGNORE INTO executions (id, name, machine, version, status, input, output, error, cause,
    started_at, stopped_at, seq, snapshot, transitions, history_count, redrive_count, source, updated_at, traceparent)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?)`);
  const advance = db.prepare(`UPDATE executions SET status = ?, output = ?, error = ?, cause = ?, stopped_at = ?, seq = seq + 1,
    snapshot = ?, transitions = transitions + ?, history_count = history_count + ?, redrive_count = ?, updated_at = ?
    WHERE id = ? AND seq = ?`);
  // A step of a running execution that keeps it running sets no indexed column (status, stopped_at), so no index is rewritten.
  const advanceRunning = db.prepare(`UPDATE executions SET seq = seq + 1, snapshot = ?, transitions = transitions + ?, history_count = history_count + ?,
    redrive_count = ?, updated_at = ? WHERE id = ? AND seq = ? AND status = 'RUNNING'`);
  const insertStep = db.prepare('INSERT INTO execution_steps (execution_id, seq, event, commands, at) VALUES (?, ?, ?, ?, ?)');
  const insertHistory = db.prepare('INSERT OR REPLACE INTO execution_events (execution_id, last_event_id, first_event_id, events) VALUES (?, ?, ?, ?)');
  const insertTimer = db.prepare('INSERT OR REPLACE INTO workflow_timers (execution_id, timer_id, fire_at) VALUES (?, ?, ?)');
  const deleteTimer = db.prepare('DELETE FROM workflow_timers WHERE execution_id = ? AND timer_id = ?');
  const deleteTimers = db.prepare('DELETE FROM workflow_timers WHERE execution_id = ?');
  const getExecution = db.prepare('SELECT * FROM executions WHERE id = ?');
  const byName = db.prepare('SELECT * FROM executions WHERE machine = ? AND name = ?');
  const running = db.prepare(`SELECT id FROM executions WHERE status = 'RUNNING' ORDER BY id`);
  const history = db.prepare('SELECT first_event_id, last_event_id, events FROM execution_events WHERE execution_id = ? AND last_event_id > ? ORDER BY last_event_id LIMIT ?');
  const steps = db.prepare('SELECT seq, event, commands, at FROM execution_steps WHERE execution_id = ? ORDER BY seq');
  const due = db.prepare('SELECT execution_id, timer_id, fire_at FROM workflow_timers WHERE fire_at <= ? ORDER BY fire_at LIMIT ?');
  const nextTimer = db.prepare('SELECT MIN(fire_at) AS t FROM workflow_timers');
  const insertToken = db.prepare('INSERT OR IGNORE INTO task_tokens (token, execution_id, task_id, created_at) VALUES (?, ?, ?, ?)');
  const completeToken = db.prepare('UPDATE task_tokens SET completed_at = ? WHERE execution_id = ? AND task_id = ? AND completed_at IS NULL');
  const getToken = db.prepare('SELECT * FROM task_tokens WHERE token = ?');
  const tokenOf = db.prepare('SELECT * FROM task_tokens WHERE execution_id = ? AND task_id = ?');
  const invokedToken = db.prepare('UPDATE task_tokens SET invoked_at = ? WHERE token = ? AND invoked_at IS NULL');
  const select = filteredSelect(db);

  const deployTx = db.transaction((input: MachineDeployInput) => {
    const current = currentHash.get(input.name) as { hash: string; current_version: number } | undefined;
    if (current && current.hash === input.hash) {
      return { version: toVersion(getVersion.get(input.name, current.current_version) as Row), created: false };
    }
    const next = ((maxVersion.get(input.name) as { v: number | null }).v ?? 0) + 1;
    upsertMachine.run(input.name, next, input.now, input.now);
    insertVersion.run(input.name, next, input.hash, input.definition, input.now);
    return { version: toVersion(getVersion.get(input.name, next) as Row), created: true };
  });

  /** The parts of a step every journal write shares: step row, history, timers. */
  const writeStep = (input: Omit<StepInput, 'expectedSeq'>, seq: number) => {
    insertStep.run(input.executionId, seq, input.event, input.commands, input.now);
    for (const b of toBlocks(input.history)) insertHistory.run(input.executionId, b.last, b.first, b.events);
    for (const id of input.tasksCompleted ?? []) completeToken.run(input.now, input.executionId, id);
    for (const t of input.taskTokens ?? []) insertToken.run(t.token, input.executionId, t.taskId, input.now);
    if (input.status !== 'RUNNING') deleteTimers.run(input.executionId);
    else {
      for (const id of input.timersCancelled) deleteTimer.run(input.executionId, id);
      for (const t of input.timersStarted) insertTimer.run(input.executionId, t.timerId, t.fireAt);
    }
  };

  const startStep = (input: StartInput): boolean => {
    // the machine may have been deleted since the caller read it
    if (!getMachine.get(input.machine) || byName.get(input.machine, input.name)) return false;
    const changed = insertExecution.run(
      input.executionId, input.name, input.machine, input.version, input.status, input.input, input.output, input.error, input.cause,
      input.now, input.status === 'RUNNING' ? null : input.now, input.snapshot, input.transitions, input.history.length, input.redriveCount,
      input.source, input.now, input.traceparent ?? null,
    ).changes;
    if (changed === 0) return false;
    writeStep(input, 0);
    return true;
  };

  const appendStep = (input: StepInput): boolean => {
    // (a redrive's first step finds the execution not RUNNING: the full update)
    let changed =
      input.status === 'RUNNING'
        ? advanceRunning.run(input.snapshot, input.transitions, input.history.length, input.redriveCount, input.now, input.executionId, input.expectedSeq).changes
        : 0;
    if (changed === 0) {
      changed = advance.run(
        input.status, input.output, input.error, input.cause, input.status === 'RUNNING' ? null : input.now, input.snapshot,
        input.transitions, input.history.length, input.redriveCount, input.now, input.executionId, input.expectedSeq,
      ).changes;
    }
    if (changed === 0) return false;
    writeStep(input, input.expectedSeq + 1);
    return true;
  };

  // One execution and everything written for it; used by workflow delete and by retention.
  const deleteExecutionRows = [
    'DELETE FROM execution_steps WHERE execution_id = ?',
    'DELETE FROM execution_events WHERE execution_id = ?',
    'DELETE FROM workflow_timers WHERE execution_id = ?',
    'DELETE FROM task_tokens WHERE execution_id = ?',
    'DELETE FROM executions WHERE id = ?',
  ].map((sql) => db.prepare(sql));
  const deleteExecutions = (ids: readonly string[]) => {
    for (const id of ids) for (const stmt of deleteExecutionRows) stmt.run(id);
  };

  const anyRunning = db.prepare("SELECT 1 FROM executions WHERE machine = ? AND status = 'RUNNING' LIMIT 1");
  const idsOfMachine = db.prepare('SELECT id FROM executions WHERE machine = ?').pluck();
  const deleteMachineRows = [
    'DELETE FROM triggers WHERE workflow = ?',
    'DELETE FROM state_machines WHERE name = ?', // versions go with it (ON DELETE CASCADE)
  ].map((sql) => db.prepare(sql));
  const deleteMachineTx = db.transaction((name: string): 'deleted' | 'not_found' | 'running' => {
    if (!getMachine.get(name)) return 'not_found';
    if (anyRunning.get(name)) return 'running';
    deleteExecutions(idsOfMachine.all(name) as string[]);
    for (const stmt of deleteMachineRows) stmt.run(name);
    return 'deleted';
  });

  const endedIds = db.prepare("SELECT id FROM executions WHERE status <> 'RUNNING' AND stopped_at < ? LIMIT ?").pluck();
  const pruneTx = db.transaction((endedBefore: number, limit: number): number => {
    const ids = endedIds.all(endedBefore, limit) as string[];
    deleteExecutions(ids);
    return ids.length;
  });

  // Steps and starts of all executions in one turn commit together (group-commit.ts).
  const appendGrouped = groupCommit(db, appendStep);
  const startGrouped = groupCommit(db, startStep);
  onClose.push(appendGrouped.flush);

  return {
    async pruneExecutions(endedBefore, limit) {
      return pruneTx.immediate(endedBefore, limit);
    },
    async deployMachine(input) {
      return deployTx.immediate(input);
    },
    async deleteMachine(name) {
      return deleteMachineTx.immediate(name);
    },
    async getMachine(name) {
      const row = getMachine.get(name) as Row | undefined;
      return row ? toMachine(row) : null;
    },
    async listMachines() {
      return (listMachines.all() as Row[]).map(toMachine);
    },
    async getMachineVersion(name, version) {
      const row = getVersion.get(name, version) as Row | undefined;
      return row ? toVersion(row) : null;
    },
    async listMachineVersions(name) {
      return (listVersions.all(name) as Row[]).map(toVersion);
    },
    async startExecution(input) {
      return startGrouped(input);
    },
    async appendStep(input) {
      return appendGrouped(input);
    },
    async getExecution(id) {
      const row = getExecution.get(id) as Row | undefined;
      return row ? toExecution(row) : null;
    },
    async findExecutionByName(machine, name) {
      const row = byName.get(machine, name) as Row | undefined;
      return row ? toExecution(row) : null;
    },
    async listExecutions(q: ExecutionQuery) {
      const { stmt, args } = select(
        'SELECT * FROM executions',
        [q.machine !== undefined && ['machine = ?', q.machine], q.status !== undefined && ['status = ?', q.status], q.before !== undefined && ['id < ?', q.before]],
        'ORDER BY id DESC LIMIT ?',
      );
      return (stmt.all(...args, q.limit) as Row[]).map(toExecution);
    },
    async runningExecutions() {
      return (running.all() as Array<{ id: string }>).map((r) => r.id);
    },
    async history(executionId, afterId, limit) {
      return fromBlocks(history.all(executionId, afterId, limit) as Array<{ first_event_id: number; last_event_id: number; events: string }>, afterId, limit);
    },
    async steps(executionId) {
      return (steps.all(executionId) as Row[]).map(toStep);
    },
    async dueTimers(now, limit) {
      return (due.all(now, limit) as Row[]).map(toDueTimer);
    },
    async nextTimerAt() {
      return ((nextTimer.get() as { t: number | null }).t ?? null) as number | null;
    },
    async getTaskToken(token) {
      const row = getToken.get(token) as Row | undefined;
      return row ? toToken(row) : null;
    },
    async taskTokenOf(executionId, taskId) {
      const row = tokenOf.get(executionId, taskId) as Row | undefined;
      return row ? toToken(row) : null;
    },
    async markTaskInvoked(token, now) {
      invokedToken.run(now, token);
    },
  };
}
