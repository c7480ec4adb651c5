/**
 * The PostgreSQL schema, as numbered migrations (append only: never edit one that has
 * shipped). `nimbus_schema` records how many have run. A starting node takes a
 * transaction-scoped advisory lock first, so when several start at once one migrates and
 * the others find the work done; a schema newer than this Nimbus knows is refused.
 *
 * Text keys that are ordered or compared with < (ids, names) use the "C" collation: byte
 * order, as SQLite compares them, whatever the database's default collation is.
 */
import { NimbusError } from '../../core/errors.ts';
import type { Sql } from './pg-client.ts';

const K = 'TEXT COLLATE "C"';

export const PG_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE functions (
    name ${K} PRIMARY KEY,
    current_version INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE code (
    hash ${K} PRIMARY KEY,
    body TEXT NOT NULL,
    bytes INTEGER NOT NULL
  );
  CREATE TABLE versions (
    function_name ${K} NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    hash TEXT NOT NULL,
    code_hash ${K} NOT NULL REFERENCES code(hash),
    config TEXT NOT NULL,
    exports TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    source_map TEXT,
    PRIMARY KEY (function_name, version)
  );
  CREATE INDEX versions_by_code ON versions(code_hash);
  CREATE TABLE scale_overrides (
    function_name ${K} PRIMARY KEY REFERENCES functions(name) ON DELETE CASCADE,
    settings TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE invocations (
    id ${K} PRIMARY KEY,
    function_name ${K} NOT NULL,
    version INTEGER NOT NULL,
    trigger TEXT NOT NULL,
    trigger_source TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL,
    billed_ms BIGINT NOT NULL,
    memory_mb INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_code INTEGER,
    error_code TEXT,
    error_name TEXT,
    error_message TEXT,
    cold_start BOOLEAN NOT NULL,
    init_ms DOUBLE PRECISION NOT NULL,
    instance_id TEXT,
    request_bytes BIGINT NOT NULL,
    response_bytes BIGINT NOT NULL,
    attempt INTEGER NOT NULL,
    logs TEXT NOT NULL,
    logs_truncated BOOLEAN NOT NULL,
    cpu_ms DOUBLE PRECISION NOT NULL,
    peak_memory_bytes BIGINT NOT NULL,
    occupancy_ms DOUBLE PRECISION NOT NULL,
    trace_id TEXT,
    span_id TEXT,
    parent_span_id TEXT
  );
  CREATE INDEX invocations_by_function ON invocations(function_name, id);
  CREATE INDEX invocations_by_start ON invocations(started_at);
  CREATE TABLE usage (
    function_name ${K} NOT NULL,
    hour BIGINT NOT NULL,
    requests BIGINT NOT NULL,
    errors BIGINT NOT NULL,
    throttles BIGINT NOT NULL,
    cold_starts BIGINT NOT NULL,
    billed_ms BIGINT NOT NULL,
    gb_seconds DOUBLE PRECISION NOT NULL,
    cpu_ms DOUBLE PRECISION NOT NULL,
    occupancy_gb_seconds DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (function_name, hour)
  );
  CREATE INDEX usage_by_hour ON usage(hour);
  CREATE TABLE alert_rules (
    name ${K} PRIMARY KEY,
    rule TEXT NOT NULL,
    origin TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE alert_events (
    id ${K} PRIMARY KEY,
    rule ${K} NOT NULL,
    kind TEXT NOT NULL,
    at BIGINT NOT NULL,
    value DOUBLE PRECISION,
    detail TEXT NOT NULL,
    delivered BOOLEAN NOT NULL
  );
  CREATE INDEX alert_events_by_rule ON alert_events(rule, id);
  CREATE TABLE queue (
    id ${K} PRIMARY KEY,
    kind TEXT NOT NULL,
    target ${K} NOT NULL,
    trigger TEXT NOT NULL,
    source TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT,
    state TEXT NOT NULL,
    accepted_at BIGINT NOT NULL,
    enqueued_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    throttles INTEGER NOT NULL,
    last_error TEXT,
    dead_reason TEXT,
    finished_at BIGINT,
    updated_at BIGINT NOT NULL,
    traceparent TEXT
  );
  CREATE INDEX queue_ready ON queue(target, due_at, id) WHERE state IN ('queued', 'running');
  CREATE INDEX queue_by_state ON queue(state, target, id);
  CREATE INDEX queue_by_target ON queue(target, id);
  CREATE UNIQUE INDEX queue_idempotency ON queue(target, idempotency_key) WHERE idempotency_key IS NOT NULL;
  CREATE TABLE triggers (
    seq BIGSERIAL,
    id ${K} PRIMARY KEY,
    function_name ${K} NOT NULL,
    workflow ${K},
    kind TEXT NOT NULL,
    origin TEXT NOT NULL,
    schedule TEXT,
    timezone TEXT,
    missed TEXT,
    topic ${K},
    filter TEXT,
    input TEXT,
    created_at BIGINT NOT NULL,
    last_fired_at BIGINT
  );
  CREATE INDEX triggers_by_function ON triggers(function_name);
  CREATE INDEX triggers_by_topic ON triggers(topic) WHERE topic IS NOT NULL;
  CREATE INDEX triggers_by_workflow ON triggers(workflow) WHERE workflow IS NOT NULL;
  CREATE TABLE topics (
    name ${K} PRIMARY KEY,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE async_policies (
    function_name ${K} PRIMARY KEY,
    policy TEXT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE state_machines (
    name ${K} PRIMARY KEY,
    current_version INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );
  CREATE TABLE state_machine_versions (
    name ${K} NOT NULL REFERENCES state_machines(name) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    hash TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (name, version)
  );
  CREATE TABLE executions (
    id ${K} PRIMARY KEY,
    name ${K} NOT NULL,
    machine ${K} NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    started_at BIGINT NOT NULL,
    stopped_at BIGINT,
    seq INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    transitions INTEGER NOT NULL,
    history_count INTEGER NOT NULL,
    redrive_count INTEGER NOT NULL,
    source TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    traceparent TEXT
  );
  CREATE UNIQUE INDEX executions_by_name ON executions(machine, name);
  CREATE INDEX executions_by_machine ON executions(machine, id);
  CREATE INDEX executions_by_status ON executions(status, id);
  CREATE INDEX executions_ended ON executions(stopped_at) WHERE status <> 'RUNNING';
  CREATE TABLE execution_steps (
    execution_id ${K} NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    commands TEXT NOT NULL,
    at BIGINT NOT NULL,
    PRIMARY KEY (execution_id, seq)
  );
  CREATE TABLE execution_history (
    execution_id ${K} NOT NULL,
    event_id INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (execution_id, event_id)
  );
  CREATE TABLE workflow_timers (
    execution_id ${K} NOT NULL,
    timer_id ${K} NOT NULL,
    fire_at BIGINT NOT NULL,
    PRIMARY KEY (execution_id, timer_id)
  );
  CREATE INDEX workflow_timers_due ON workflow_timers(fire_at);
  CREATE TABLE task_tokens (
    token ${K} PRIMARY KEY,
    execution_id ${K} NOT NULL,
    task_id ${K} NOT NULL,
    created_at BIGINT NOT NULL,
    invoked_at BIGINT,
    completed_at BIGINT
  );
  CREATE UNIQUE INDEX task_tokens_by_task ON task_tokens(execution_id, task_id);
  `,
  // 2: leases of work one node owns for a while (lease-ports.ts).
  `
  CREATE TABLE leases (
    name ${K} PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at BIGINT NOT NULL
  );
  `,
  // 3: each alert rule's last evaluated state, so a firing alert is still firing after a
  // restart (and resolves then). Keyed by rule name: config rules are re-read on each start.
  `
  CREATE TABLE alert_states (
    rule ${K} PRIMARY KEY,
    status TEXT NOT NULL,
    since BIGINT NOT NULL,
    value DOUBLE PRECISION
  );
  `,
  // 4: releases. Aliases of a function's versions (routes and the routes before the last
  // change, as JSON), a version's sealed secrets (JSON, NULL: none), and the alias a record
  // came through.
  `
  CREATE TABLE aliases (
    function_name ${K} NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    name ${K} NOT NULL,
    routes TEXT NOT NULL,
    previous TEXT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (function_name, name)
  );
  ALTER TABLE versions ADD COLUMN secrets TEXT;
  ALTER TABLE invocations ADD COLUMN alias TEXT;
  `,
  // 5 (cluster): the node that claimed a running queue item, so that the items of a node that
  // died are run again while those of live nodes are left alone (queue-ports.ts recover);
  // the node registry, one row a node replaced by its heartbeat (node-ports.ts).
  `
  ALTER TABLE queue ADD COLUMN claimed_by TEXT;
  CREATE TABLE nodes (
    id ${K} PRIMARY KEY,
    address TEXT NOT NULL,
    version TEXT NOT NULL,
    started_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL,
    load INTEGER NOT NULL,
    instances INTEGER NOT NULL
  );
  `,
  // 6 (apps, #18): instance occupancy per function-hour (records with trigger 'instance').
  `
  ALTER TABLE usage ADD COLUMN instance_gb_seconds DOUBLE PRECISION NOT NULL DEFAULT 0;
  `,
  // 7 (cluster, AWS layer): the access keys of the AWS-compatible endpoint (secrets sealed
  // with the platform's key) and the Lambda facts of functions (JSON), shared by every node.
  `
  CREATE TABLE aws_keys (
    access_key_id ${K} PRIMARY KEY,
    created_at BIGINT NOT NULL,
    description TEXT NOT NULL,
    sealed_secret TEXT NOT NULL
  );
  CREATE TABLE lambda_facts (
    function_name ${K} PRIMARY KEY,
    facts TEXT NOT NULL
  );
  `,
  // 8 (Node layer, #17): the outbound sockets an invocation used (opened, bytes in and out).
  `
  ALTER TABLE invocations ADD COLUMN sockets_opened INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE invocations ADD COLUMN socket_bytes_in BIGINT NOT NULL DEFAULT 0;
  ALTER TABLE invocations ADD COLUMN socket_bytes_out BIGINT NOT NULL DEFAULT 0;
  `,
  // 9: invocations by start time as a BRIN index (block ranges) in place of a btree. Only
  // prune's age cut and the `since` filter read it, neither in start order, and records are
  // appended about in start order, so a range's min and max find them; a record's insert
  // leaves the btree's entry and its WAL out (a range is summarized once it is full).
  `
  DROP INDEX invocations_by_start;
  CREATE INDEX invocations_by_start ON invocations USING brin (started_at) WITH (autosummarize = on);
  `,
  // 10: records with ids made for them, kept in segments (segment-writer.ts): one row per
  // function and SEGMENT_MS slot of id time per write, its records one block (bytea, the
  // format of store/block-bytes.ts). Rows of \`invocations\` stay for keyed records and for
  // those written before, and reads merge the two. A block is stored uncompressed and out of
  // line (EXTERNAL): it is written once, compressing it costs CPU on every write, and a list
  // reads a segment's name and counts without its block. A read by id opens the one segment
  // whose first and last ids hold it.
  `
  CREATE TABLE invocation_segments (
    bucket BIGINT NOT NULL,
    function_name ${K} NOT NULL,
    first_id ${K} NOT NULL,
    last_id ${K} NOT NULL,
    records INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    block BYTEA NOT NULL,
    PRIMARY KEY (bucket, function_name, first_id)
  );
  ALTER TABLE invocation_segments ALTER COLUMN block SET STORAGE EXTERNAL;
  CREATE INDEX invocation_segments_by_function ON invocation_segments(function_name, bucket);
  `,
];

/** Advisory lock key of migrations (one per schema: hashtext of the schema name, plus this). */
const LOCK_SPACE = 0x4e494d42; // 'NIMB'

/** Brings the schema (current search_path) to PG_MIGRATIONS.length, inside the caller's transaction. */
export async function migrate(sql: Sql, schema: string, known: readonly string[] = PG_MIGRATIONS): Promise<void> {
  await sql.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [LOCK_SPACE, schema]);
  await sql.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await sql.query('CREATE TABLE IF NOT EXISTS nimbus_schema (version INTEGER NOT NULL)');
  const { rows } = await sql.query('SELECT version FROM nimbus_schema');
  if (rows.length === 0) await sql.query('INSERT INTO nimbus_schema (version) VALUES (0)');
  const current = rows.length === 0 ? 0 : (rows[0].version as number);
  if (current > known.length) {
    throw new NimbusError(
      'NIMBUS_ERR_STORE_SCHEMA_NEWER',
      `the PostgreSQL store (schema "${schema}") is at schema ${current}, newer than this Nimbus knows (${known.length}); upgrade Nimbus`,
    );
  }
  for (let i = current; i < known.length; i++) await sql.query(known[i]);
  if (current < known.length) await sql.query('UPDATE nimbus_schema SET version = $1', [known.length]);
}
