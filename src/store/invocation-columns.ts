/**
 * The columns of the invocations table, in the order both stores bind a record's values (and
 * the order of RecordRow, record-rows.ts). New columns go at the end: stored
 * blocks (block-bytes.ts) know only how many columns they have.
 */
export const INVOCATION_COLUMNS = [
  'id', 'function_name', 'version', 'trigger', 'trigger_source', 'started_at', 'duration_ms', 'billed_ms', 'memory_mb', 'status',
  'status_code', 'error_code', 'error_name', 'error_message', 'cold_start', 'init_ms', 'instance_id', 'request_bytes',
  'response_bytes', 'attempt', 'logs', 'logs_truncated', 'cpu_ms', 'peak_memory_bytes', 'occupancy_ms', 'trace_id', 'span_id', 'parent_span_id',
  'alias', 'sockets_opened', 'socket_bytes_in', 'socket_bytes_out',
] as const;
