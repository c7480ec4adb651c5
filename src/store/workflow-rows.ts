/**
 * Workflow rows (state machines, versions, executions, task tokens, journal steps, timers) as
 * the workflow port's objects, for both stores: their columns hold the same values in SQLite
 * and PostgreSQL (text, and numbers: PostgreSQL's BIGINT is read as a number, pg-client.ts).
 */
import type { DueTimer, ExecStatus, ExecutionRow, JournalStep, StateMachineInfo, StateMachineVersion, TaskTokenRow } from './workflow-ports.ts';
import type { Row } from './row.ts';

export function toMachine(row: Row): StateMachineInfo {
  return { name: row.name as string, currentVersion: row.current_version as number, createdAt: row.created_at as number, updatedAt: row.updated_at as number };
}

export function toVersion(row: Row): StateMachineVersion {
  return { name: row.name as string, version: row.version as number, hash: row.hash as string, definition: row.definition as string, createdAt: row.created_at as number };
}

export function toExecution(row: Row): ExecutionRow {
  return {
    id: row.id as string,
    name: row.name as string,
    machine: row.machine as string,
    version: row.version as number,
    status: row.status as ExecStatus,
    input: row.input as string,
    output: (row.output as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    cause: (row.cause as string | null) ?? null,
    startedAt: row.started_at as number,
    stoppedAt: (row.stopped_at as number | null) ?? null,
    seq: row.seq as number,
    snapshot: row.snapshot as string,
    transitions: row.transitions as number,
    historyCount: row.history_count as number,
    redriveCount: row.redrive_count as number,
    source: row.source as string,
    updatedAt: row.updated_at as number,
    traceparent: (row.traceparent as string | null) ?? null,
  };
}

export function toToken(r: Row): TaskTokenRow {
  return {
    token: r.token as string,
    executionId: r.execution_id as string,
    taskId: r.task_id as string,
    createdAt: r.created_at as number,
    invokedAt: (r.invoked_at as number | null) ?? null,
    completedAt: (r.completed_at as number | null) ?? null,
  };
}

export function toStep(r: Row): JournalStep {
  return { seq: r.seq as number, event: r.event as string, commands: r.commands as string, at: r.at as number };
}

export function toDueTimer(r: Row): DueTimer {
  return { executionId: r.execution_id as string, timerId: r.timer_id as string, fireAt: r.fire_at as number };
}
