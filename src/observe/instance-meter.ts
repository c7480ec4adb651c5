/**
 * Instance occupancy of process instances (apps): the time each was up, idle included, times
 * its configured memory, as Cloud Run and SAE bill. Each instance's up time is charged in
 * records with trigger `instance` (usage counts them as instanceGbSeconds, not as
 * requests): one when it stops, and one per slice for long-lived instances (flush).
 */
import type { InvocationRecord } from '../core/types.ts';
import { instanceScopedRecord, type InstanceOf } from './instance-scoped-record.ts';

export type MeteredInstance = InstanceOf;

export class InstanceMeter {
  private readonly live = new Map<string, MeteredInstance & { since: number }>();

  constructor(
    private readonly push: (record: InvocationRecord) => void,
    private readonly newId: () => string,
  ) {}

  started(of: MeteredInstance, at: number): void {
    this.live.set(of.instanceId, { ...of, since: at });
  }

  stopped(instanceId: string, at: number, reason: string): void {
    const i = this.live.get(instanceId);
    if (!i) return;
    this.live.delete(instanceId);
    this.charge(i, at, `instance ${instanceId} (stopped: ${reason})`);
  }

  /** Charges every live instance's time since its last charge. */
  flush(now: number): void {
    for (const i of this.live.values()) {
      this.charge(i, now, `instance ${i.instanceId}`);
      i.since = now;
    }
  }

  private charge(i: MeteredInstance & { since: number }, until: number, source: string): void {
    const ms = Math.max(0, until - i.since);
    if (ms === 0) return;
    this.push(instanceRecord(this.newId(), i, i.since, ms, source));
  }
}

export function instanceRecord(id: string, of: MeteredInstance, startedAt: number, upMs: number, source: string): InvocationRecord {
  return instanceScopedRecord(id, of, {
    trigger: 'instance',
    triggerSource: source,
    startedAt,
    durationMs: upMs,
    billedMs: 0,
    status: 'success',
    errorCode: null,
    errorName: null,
    errorMessage: null,
    cpuMs: 0,
    occupancyMs: upMs,
  });
}
