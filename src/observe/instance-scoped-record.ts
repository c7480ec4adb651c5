/**
 * A record an instance is charged for by itself, not for a request (background CPU,
 * occupancy): no alias (an instance runs one version, whatever alias routed to it), no
 * bytes, logs or trace; the caller gives what it measured.
 */
import type { InvocationRecord } from '../core/types.ts';

export interface InstanceOf {
  readonly functionName: string;
  readonly version: number;
  readonly memoryMb: number;
  readonly instanceId: string;
}

export type InstanceScopedFields = Pick<
  InvocationRecord,
  'trigger' | 'triggerSource' | 'startedAt' | 'durationMs' | 'billedMs' | 'status' | 'errorCode' | 'errorName' | 'errorMessage' | 'cpuMs' | 'occupancyMs'
>;

export function instanceScopedRecord(id: string, of: InstanceOf, f: InstanceScopedFields): InvocationRecord {
  return {
    id,
    functionName: of.functionName,
    version: of.version,
    alias: null,
    trigger: f.trigger,
    triggerSource: f.triggerSource,
    startedAt: f.startedAt,
    durationMs: f.durationMs,
    billedMs: f.billedMs,
    memoryMb: of.memoryMb,
    status: f.status,
    statusCode: null,
    errorCode: f.errorCode,
    errorName: f.errorName,
    errorMessage: f.errorMessage,
    coldStart: false,
    initMs: 0,
    instanceId: of.instanceId,
    requestBytes: 0,
    responseBytes: 0,
    attempt: 1,
    logs: [],
    logsTruncated: false,
    cpuMs: f.cpuMs,
    peakMemoryBytes: 0,
    occupancyMs: f.occupancyMs,
    traceId: null,
    spanId: null,
    parentSpanId: null,
  };
}
