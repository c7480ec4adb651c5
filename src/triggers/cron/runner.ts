/**
 * Fires timer triggers. On start, on every change to the triggers and at each next tick,
 * it asks dueTicks() what to fire for each timer, enqueues one async invocation per tick
 * (idempotency key = trigger + tick time, so a crash between enqueueing and recording
 * cannot fire a tick twice) and then records the latest tick as lastFiredAt.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { newId } from '../../core/ids.ts';
import { triggerQueueTarget, type EnqueueInput, type QueueRepo, type TriggerRecord, type TriggerRepo } from '../../store/queue-ports.ts';
import type { TriggerSource } from '../source.ts';
import { DEFAULT_GRACE_MS, dueTicks, nextWakeAt, parseSchedule, type MissedPolicy, type Schedule } from './schedule.ts';

export interface CronRunnerDeps {
  readonly clock: Clock;
  readonly triggers: TriggerRepo;
  readonly queue: QueueRepo;
  readonly idempotencyTtlMs: number;
  readonly onEnqueued: () => void;
  readonly onError?: (error: unknown, what: string) => void;
  readonly graceMs?: number;
  /** Longest sleep between checks, so a clock jump is noticed. */
  readonly maxSleepMs?: number;
  /**
   * Whether this node fires ticks now: in a cluster, only the holder of the cron lease does
   * (the others keep their schedules armed, and reload when the lease becomes theirs). Default always.
   */
  readonly fires?: () => boolean;
}

interface Armed {
  readonly trigger: TriggerRecord;
  readonly schedule: Schedule;
  lastFiredAt: number | null;
}

export const TIMER_EVENT_TYPE = 'dev.nimbus.timer.tick';

/** The event a function (or a workflow, as its execution input) receives for one tick: a CloudEvent in the JSON format. */
export function tickEvent(trigger: TriggerRecord, tick: number): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: `${trigger.id}:${tick}`,
    source: `/nimbus/triggers/${trigger.id}`,
    type: TIMER_EVENT_TYPE,
    subject: triggerQueueTarget(trigger).name,
    time: new Date(tick).toISOString(),
    datacontenttype: 'application/json',
    data: { schedule: trigger.schedule, timezone: trigger.timezone, scheduledTime: new Date(tick).toISOString(), input: trigger.input ?? null },
  };
}

export class CronRunner implements TriggerSource {
  readonly kind = 'timers';
  private armed: Armed[] = [];
  private timer: TimerHandle | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;

  constructor(private readonly deps: CronRunnerDeps) {}

  async start(): Promise<void> {
    await this.reload();
  }

  /** Re-reads the timers (after one was added or removed) and fires what is due. */
  async reload(): Promise<void> {
    const timers = await this.deps.triggers.list({ kind: 'timer' });
    const armed: Armed[] = [];
    for (const trigger of timers) {
      try {
        const schedule = parseSchedule(trigger.schedule, { timezone: trigger.timezone });
        armed.push({ trigger, schedule, lastFiredAt: trigger.lastFiredAt });
      } catch (error) {
        this.deps.onError?.(error, `timer trigger ${trigger.id} has a schedule this version rejects`);
      }
    }
    this.armed = armed;
    await this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  /** Fires due ticks and arms the next wake. Concurrent calls coalesce. */
  async tick(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await this.fireDue();
      } while (this.again && !this.stopped);
    })().finally(() => {
      this.running = null;
    });
    await this.running;
    this.arm();
  }

  /** Next fire times for display: from the in-memory schedule of each trigger. */
  nextWake(): number | null {
    const now = this.deps.clock.now();
    let next: number | null = null;
    for (const a of this.armed) {
      const t = nextWakeAt(a.schedule, a.trigger.createdAt, Math.max(now, a.lastFiredAt ?? now));
      if (t !== null && (next === null || t < next)) next = t;
    }
    return next;
  }

  private async fireDue(): Promise<void> {
    const { clock, queue, triggers } = this.deps;
    for (const a of this.armed) {
      if (this.stopped || (this.deps.fires !== undefined && !this.deps.fires())) return;
      const now = clock.now();
      const ticks = dueTicks(a.schedule, a.lastFiredAt, a.trigger.createdAt, now, (a.trigger.missed ?? 'skip') as MissedPolicy, this.deps.graceMs ?? DEFAULT_GRACE_MS);
      if (ticks.length === 0) continue;
      const { kind, target } = triggerQueueTarget(a.trigger);
      const inputs: EnqueueInput[] = ticks.map((tick) => ({
        id: newId(now),
        kind,
        target,
        trigger: 'cron',
        source: `timer:${a.trigger.id}`,
        payload: JSON.stringify(tickEvent(a.trigger, tick)),
        idempotencyKey: `timer:${a.trigger.id}:${tick}`,
      }));
      try {
        const outcomes = await queue.enqueue(inputs, now, this.deps.idempotencyTtlMs);
        const last = ticks[ticks.length - 1];
        await triggers.setLastFiredAt(a.trigger.id, last);
        a.lastFiredAt = last;
        if (outcomes.some((o) => o.created)) this.deps.onEnqueued();
      } catch (error) {
        this.deps.onError?.(error, `firing timer trigger ${a.trigger.id}`);
      }
    }
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer?.cancel();
    const now = this.deps.clock.now();
    const next = this.nextWake();
    const maxSleep = this.deps.maxSleepMs ?? 60_000;
    const delay = next === null ? maxSleep : Math.max(0, Math.min(maxSleep, next - now));
    this.timer = this.deps.clock.setTimer(delay, () => {
      this.timer = null;
      void this.tick();
    });
  }
}
