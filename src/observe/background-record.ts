/**
 * The record that charges a function for CPU its own code used outside any invocation
 * (module-level timers; the runtime's BackgroundReport): trigger `background`, billed the
 * CPU it used, `cpu_limit` when that passed the limit over the sliding span and the
 * instance was stopped. Usage, metrics and the records list show it like any other.
 */
import type { InvocationRecord } from '../core/types.ts';
import type { BackgroundReport } from '../runtime/port.ts';
import { instanceScopedRecord, type InstanceOf } from './instance-scoped-record.ts';

export type BackgroundOf = InstanceOf;

export function backgroundRecord(id: string, of: BackgroundOf, r: BackgroundReport): InvocationRecord {
  return instanceScopedRecord(id, of, {
    trigger: 'background',
    triggerSource: `instance ${of.instanceId}`,
    startedAt: r.fromMs,
    durationMs: Math.max(0, r.toMs - r.fromMs),
    billedMs: Math.max(1, Math.ceil(r.cpuMs)),
    status: r.overLimit ? 'cpu_limit' : 'success',
    errorCode: r.overLimit ? 'NIMBUS_ERR_CPU_LIMIT' : null,
    errorName: r.overLimit ? 'CpuLimit' : null,
    errorMessage: r.overLimit
      ? `code outside any invocation (module-level timers) used over ${r.limitMs} ms of CPU in ${r.spanMs} ms (the function's CPU limit over its timeout); the instance was stopped`
      : null,
    cpuMs: Math.round(r.cpuMs * 1000) / 1000,
    occupancyMs: 0,
  });
}
