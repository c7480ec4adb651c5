/**
 * The record that charges a function for CPU its own code used outside any invocation
 * (module-level timers; the runtime's BackgroundReport): trigger `background`, billed the
 * CPU it used, `cpu_limit` when that passed the limit over the sliding span and the
 * instance was stopped. Usage, metrics and the records list show it like any other.
 */
import type { InvocationRecord } from '../core/types.ts';
import type { BackgroundReport } from '../runtime/port.ts';

export interface BackgroundOf {
  readonly functionName: string;
  readonly version: number;
  readonly memoryMb: number;
  readonly instanceId: string;
}

export function backgroundRecord(id: string, of: BackgroundOf, r: BackgroundReport): InvocationRecord {
  const cpuMs = Math.round(r.cpuMs * 1000) / 1000;
  return {
    id,
    functionName: of.functionName,
    version: of.version,
    // an instance runs one version, whatever alias routed to it
    alias: null,
    trigger: 'background',
    triggerSource: `instance ${of.instanceId}`,
    startedAt: r.fromMs,
    durationMs: Math.max(0, r.toMs - r.fromMs),
    billedMs: Math.max(1, Math.ceil(r.cpuMs)),
    memoryMb: of.memoryMb,
    status: r.overLimit ? 'cpu_limit' : 'success',
    statusCode: null,
    errorCode: r.overLimit ? 'NIMBUS_ERR_CPU_LIMIT' : null,
    errorName: r.overLimit ? 'CpuLimit' : null,
    errorMessage: r.overLimit
      ? `code outside any invocation (module-level timers) used over ${r.limitMs} ms of CPU in ${r.spanMs} ms (the function's CPU limit over its timeout); the instance was stopped`
      : null,
    coldStart: false,
    initMs: 0,
    instanceId: of.instanceId,
    requestBytes: 0,
    responseBytes: 0,
    attempt: 1,
    logs: [],
    logsTruncated: false,
    cpuMs,
    peakMemoryBytes: 0,
    occupancyMs: 0,
    traceId: null,
    spanId: null,
    parentSpanId: null,
  };
}
