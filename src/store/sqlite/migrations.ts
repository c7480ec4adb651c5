/**
 * Schema changes, applied in order; PRAGMA user_version records how many have run.
 * Append only: never edit a migration that has shipped.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE functions (
    name TEXT PRIMARY KEY,
    current_version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE code (
    hash TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    bytes INTEGER NOT NULL
  );
  CREATE TABLE versions (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    hash TEXT NOT NULL,
    code_hash TEXT NOT NULL REFERENCES code(hash),
    config TEXT NOT NULL,
    exports TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (function_name, version)
  );
  CREATE TABLE invocations (
    id TEXT PRIMARY KEY,
    function_name TEXT NOT NULL,
    version INTEGER NOT NULL,
    trigger TEXT NOT NULL,
    trigger_source TEXT NOT NULL,
    started_at INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    billed_ms INTEGER NOT NULL,
    memory_mb INTEGER NOT NULL,
    status TEXT NOT NULL,
    status_code INTEGER,
    error_code TEXT,
    error_name TEXT,
    error_message TEXT,
    cold_start INTEGER NOT NULL,
    init_ms REAL NOT NULL,
    instance_id TEXT,
    request_bytes INTEGER NOT NULL,
    response_bytes INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    logs TEXT NOT NULL,
    logs_truncated INTEGER NOT NULL
  );
  CREATE INDEX invocations_by_function ON invocations(function_name, id);
  CREATE INDEX invocations_by_start ON invocations(started_at);
  `,
  // 2: async queue with dead letters, timer/event triggers, topics, async policies.
  `
  CREATE TABLE queue (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    trigger TEXT NOT NULL,
    source TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT,
    state TEXT NOT NULL,
    accepted_at INTEGER NOT NULL,
    enqueued_at INTEGER NOT NULL,
    due_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    throttles INTEGER NOT NULL,
    last_error TEXT,
    dead_reason TEXT,
    finished_at INTEGER,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX queue_ready ON queue(target, due_at) WHERE state IN ('queued', 'running');
  CREATE INDEX queue_by_state ON queue(state, target, id);
  CREATE INDEX queue_by_target ON queue(target, id);
  CREATE UNIQUE INDEX queue_idempotency ON queue(target, idempotency_key) WHERE idempotency_key IS NOT NULL;
  CREATE TABLE triggers (
    id TEXT PRIMARY KEY,
    function_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    origin TEXT NOT NULL,
    schedule TEXT,
    timezone TEXT,
    missed TEXT,
    topic TEXT,
    filter TEXT,
    input TEXT,
    created_at INTEGER NOT NULL,
    last_fired_at INTEGER
  );
  CREATE INDEX triggers_by_function ON triggers(function_name);
  CREATE INDEX triggers_by_topic ON triggers(topic) WHERE topic IS NOT NULL;
  CREATE TABLE topics (
    name TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE async_policies (
    function_name TEXT PRIMARY KEY,
    policy TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  `,
  // 3: live scale settings (nimbus scale), on top of the current version's config.
  `
  CREATE TABLE scale_overrides (
    function_name TEXT PRIMARY KEY REFERENCES functions(name) ON DELETE CASCADE,
    settings TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  `,
  // 4 (observability): more record fields, usage per function-hour, trace context of queued work, alerts.
  `
  ALTER TABLE invocations ADD COLUMN cpu_ms REAL NOT NULL DEFAULT 0;
  ALTER TABLE invocations ADD COLUMN peak_memory_bytes INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE invocations ADD COLUMN occupancy_ms REAL NOT NULL DEFAULT 0;
  ALTER TABLE invocations ADD COLUMN trace_id TEXT;
  ALTER TABLE invocations ADD COLUMN span_id TEXT;
  ALTER TABLE invocations ADD COLUMN parent_span_id TEXT;
  CREATE TABLE usage (
    function_name TEXT NOT NULL,
    hour INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    throttles INTEGER NOT NULL,
    cold_starts INTEGER NOT NULL,
    billed_ms INTEGER NOT NULL,
    gb_seconds REAL NOT NULL,
    cpu_ms REAL NOT NULL,
    occupancy_gb_seconds REAL NOT NULL,
    PRIMARY KEY (function_name, hour)
  );
  CREATE INDEX usage_by_hour ON usage(hour);
  ALTER TABLE queue ADD COLUMN traceparent TEXT;
  CREATE TABLE alert_rules (
    name TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    origin TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE TABLE alert_events (
    id TEXT PRIMARY KEY,
    rule TEXT NOT NULL,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL,
    value REAL,
    detail TEXT NOT NULL,
    delivered INTEGER NOT NULL
  );
  CREATE INDEX alert_events_by_rule ON alert_events(rule, id);
  `,
  // 5: workflows — state machines and immutable versions, executions (latest snapshot),
  // the journal of steps, ASL history events, durable timers.
  `
  CREATE TABLE state_machines (
    name TEXT PRIMARY KEY,
    current_version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE TABLE state_machine_versions (
    name TEXT NOT NULL REFERENCES state_machines(name) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    hash TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (name, version)
  );
  CREATE TABLE executions (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    machine TEXT NOT NULL,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    started_at INTEGER NOT NULL,
    stopped_at INTEGER,
    seq INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    transitions INTEGER NOT NULL,
    history_count INTEGER NOT NULL,
    redrive_count INTEGER NOT NULL,
    source TEXT NOT NULL,
    updated_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX executions_by_name ON executions(machine, name);
  CREATE INDEX executions_by_machine ON executions(machine, id);
  CREATE INDEX executions_by_status ON executions(status, id);
  CREATE TABLE execution_steps (
    execution_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    commands TEXT NOT NULL,
    at INTEGER NOT NULL,
    PRIMARY KEY (execution_id, seq)
  ) WITHOUT ROWID;
  CREATE TABLE execution_history (
    execution_id TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (execution_id, event_id)
  ) WITHOUT ROWID;
  CREATE TABLE workflow_timers (
    execution_id TEXT NOT NULL,
    timer_id TEXT NOT NULL,
    fire_at INTEGER NOT NULL,
    PRIMARY KEY (execution_id, timer_id)
  ) WITHOUT ROWID;
  CREATE INDEX workflow_timers_due ON workflow_timers(fire_at);
  `,
  // 6: a trigger may target a workflow instead of a function (function_name is then '').
  `
  ALTER TABLE triggers ADD COLUMN workflow TEXT;
  CREATE INDEX triggers_by_workflow ON triggers(workflow) WHERE workflow IS NOT NULL;
  `,
  // 7: callback (.waitForTaskToken) task tokens: token → (execution, task), written with the
  // step that issued the task; completed_at when its result was journalled.
  `
  CREATE TABLE task_tokens (
    token TEXT PRIMARY KEY,
    execution_id TEXT NOT NULL,
    task_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    invoked_at INTEGER,
    completed_at INTEGER
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX task_tokens_by_task ON task_tokens(execution_id, task_id);
  `,
  // 8: an execution's trace context, so its tasks' invocations join the caller's trace.
  `
  ALTER TABLE executions ADD COLUMN traceparent TEXT;
  `,
  // 9: ended executions by end time, for retention.
  `
  CREATE INDEX executions_ended ON executions(stopped_at) WHERE status <> 'RUNNING';
  `,
  // 10: a bundle's source map, kept with the code. Superseded by 12 (a map belongs to a
  // version: the same bundle can come from sources laid out differently); no longer written.
  `
  ALTER TABLE code ADD COLUMN source_map TEXT;
  `,
  // 11: records with ids made for them, stored in segments (record-segments.ts): one row per
  // function and SEGMENT_MS slot of id time per write, its records as a JSON array of rows.
  `
  CREATE TABLE invocation_segments (
    id INTEGER PRIMARY KEY,
    bucket INTEGER NOT NULL,
    function_name TEXT NOT NULL,
    first_id TEXT NOT NULL,
    records INTEGER NOT NULL,
    failures INTEGER NOT NULL,
    rows TEXT NOT NULL
  );
  CREATE UNIQUE INDEX invocation_segments_key ON invocation_segments(bucket, function_name, first_id);
  CREATE INDEX invocation_segments_by_function ON invocation_segments(function_name, bucket);
  `,
  // 12: a version's source map (esbuild's, without sources), so errors show source positions.
  `
  ALTER TABLE versions ADD COLUMN source_map TEXT;
  `,
  // 13: no table changes. Segments written from here on hold a block (store/block-bytes.ts, a BLOB)
  // instead of JSON text; the schema version moves so that a Nimbus from before refuses the
  // file ("newer than this Nimbus") rather than failing on every read of a segment.
  `
  -- segments hold record blocks
  `,
  // 14: no table changes. Segments written from here on hold format-3 blocks (a column with one
  // value for every record is kept once); a Nimbus from before refuses the file, as for 13.
  `
  -- segments hold format-3 record blocks
  `,
  // 15: each alert rule's last evaluated state, so a firing alert is still firing after a
  // restart (and resolves then). Keyed by rule name: config rules are re-read on each start.
  `
  CREATE TABLE alert_states (
    rule TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    since INTEGER NOT NULL,
    value REAL
  );
  `,
  // 16: releases. Aliases of a function's versions (routes and the routes before the last
  // change, as JSON), a version's sealed secrets (JSON, NULL: none), and the alias a record
  // came through. A record block from before has one column fewer: its records read alias null.
  `
  CREATE TABLE aliases (
    function_name TEXT NOT NULL REFERENCES functions(name) ON DELETE CASCADE,
    name TEXT NOT NULL,
    routes TEXT NOT NULL,
    previous TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (function_name, name)
  ) WITHOUT ROWID;
  ALTER TABLE versions ADD COLUMN secrets TEXT;
  ALTER TABLE invocations ADD COLUMN alias TEXT;
  `,
  // 17 (cluster): the node that claimed a running queue item, so that the items of a node
  // that died are run again while those of live nodes are left alone (queue-ports.ts recover).
  `
  ALTER TABLE queue ADD COLUMN claimed_by TEXT;
  `,
  // 18 (apps, #18): instance occupancy per function-hour: configured memory (GB) x the time
  // process instances were up (records with trigger 'instance').
  `
  ALTER TABLE usage ADD COLUMN instance_gb_seconds REAL NOT NULL DEFAULT 0;
  `,
  // 19 (cluster, AWS layer): the access keys of the AWS-compatible endpoint (secrets sealed
  // with the platform's key) and the Lambda facts of functions (JSON), until now JSON files
  // in the data directory (aws-ports.ts).
  `
  CREATE TABLE aws_keys (
    access_key_id TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL,
    description TEXT NOT NULL,
    sealed_secret TEXT NOT NULL
  ) WITHOUT ROWID;
  CREATE TABLE lambda_facts (
    function_name TEXT PRIMARY KEY,
    facts TEXT NOT NULL
  ) WITHOUT ROWID;
  `,
  // 20 (Node layer, #17): the outbound sockets an invocation used (opened, bytes in and out).
  `
  ALTER TABLE invocations ADD COLUMN sockets_opened INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE invocations ADD COLUMN socket_bytes_in INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE invocations ADD COLUMN socket_bytes_out INTEGER NOT NULL DEFAULT 0;
  `,
  // 21 (workflows, #23): an execution's ASL history in blocks, one row per journalled step
  // (the events of ids first..last, their JSON texts joined by newlines) instead of one row
  // per event: a step writes one history row, not four or more (history-blocks.ts). History
  // and steps are rowid tables with a unique index on (execution, id): rows are appended at
  // the end of the table, so the steps of all executions in one group commit share pages,
  // where keyed by execution each went to its own page.
  `
  CREATE TABLE execution_events (
    execution_id TEXT NOT NULL,
    last_event_id INTEGER NOT NULL,
    first_event_id INTEGER NOT NULL,
    events TEXT NOT NULL
  );
  CREATE UNIQUE INDEX execution_events_by_id ON execution_events(execution_id, last_event_id);
  INSERT INTO execution_events (execution_id, last_event_id, first_event_id, events)
    SELECT execution_id, event_id, event_id, event FROM execution_history;
  DROP TABLE execution_history;
  CREATE TABLE execution_steps_appended (
    execution_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event TEXT NOT NULL,
    commands TEXT NOT NULL,
    at INTEGER NOT NULL
  );
  INSERT INTO execution_steps_appended (execution_id, seq, event, commands, at)
    SELECT execution_id, seq, event, commands, at FROM execution_steps ORDER BY execution_id, seq;
  DROP TABLE execution_steps;
  ALTER TABLE execution_steps_appended RENAME TO execution_steps;
  CREATE UNIQUE INDEX execution_steps_by_seq ON execution_steps(execution_id, seq);
  `,
  // 22 (async, #23): the queue's counts without reading every item. Items waiting or running
  // are counted from the ready index (few); finished ones (succeeded, dead: all of the
  // retention window) in queue_finished, kept by triggers on every insert, state change and
  // delete. queue_by_state goes: a claim and a completion each moved an item in it, and its
  // readers now take the ready index, queue_dead (dead letters) or a scan by id.
  `
  CREATE TABLE queue_finished (
    target TEXT NOT NULL,
    state TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (target, state)
  ) WITHOUT ROWID;
  INSERT INTO queue_finished (target, state, n)
    SELECT target, state, COUNT(*) FROM queue WHERE state IN ('succeeded', 'dead') GROUP BY target, state;
  CREATE TRIGGER queue_finished_insert AFTER INSERT ON queue WHEN NEW.state IN ('succeeded', 'dead') BEGIN
    INSERT INTO queue_finished (target, state, n) VALUES (NEW.target, NEW.state, 1) ON CONFLICT (target, state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER queue_finished_enter AFTER UPDATE OF state ON queue WHEN NEW.state IN ('succeeded', 'dead') AND NEW.state IS NOT OLD.state BEGIN
    INSERT INTO queue_finished (target, state, n) VALUES (NEW.target, NEW.state, 1) ON CONFLICT (target, state) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER queue_finished_leave AFTER UPDATE OF state ON queue WHEN OLD.state IN ('succeeded', 'dead') AND NEW.state IS NOT OLD.state BEGIN
    UPDATE queue_finished SET n = n - 1 WHERE target = OLD.target AND state = OLD.state;
  END;
  CREATE TRIGGER queue_finished_delete AFTER DELETE ON queue WHEN OLD.state IN ('succeeded', 'dead') BEGIN
    UPDATE queue_finished SET n = n - 1 WHERE target = OLD.target AND state = OLD.state;
  END;
  DROP INDEX queue_by_state;
  CREATE INDEX queue_dead ON queue(target, id) WHERE state = 'dead';
  `,
  // 23 (async, #23): the two updates that finish an item (a completion, a dead-lettering) add
  // it to queue_finished themselves, a group's completions once per target, instead of a
  // trigger's upsert per item. Inserts, deletes and items leaving a finished state keep theirs.
  `
  DROP TRIGGER queue_finished_enter;
  `,
];
