/**
 * The CPU limit per invocation of a process instance (cpuLimitMs), from readings of the
 * process's CPU (proc-usage.ts) taken every `intervalMs` while calls are in flight and when
 * one begins or ends. With one call in flight the process's CPU is that call's, exactly
 * (to the 10 ms steps of the readings). With several, which call ran cannot be told from
 * outside the process: each span's CPU is shared equally among the calls in flight then
 * (as the platform's meter shares it), so a call that burns while n others wait is stopped
 * after at most (n + 1) × cpuLimitMs of the process's CPU, and the wall-clock timeout still
 * bounds it. CPU outside any call (module-level timers) is charged to no call.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';

export class InvocationCpu {
  private readonly used = new Map<number, number>();
  private last = 0;
  private timer: TimerHandle | null = null;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    /** The process's CPU so far, ms. */
    private readonly read: () => number,
    private readonly limitMs: number,
    /** The call `id` passed the limit having used `usedMs`; nothing more is charged after it. */
    private readonly onOver: (id: number, usedMs: number) => void,
  ) {}

  begin(id: number): void {
    if (this.stopped) return;
    if (this.used.size === 0) this.last = this.read();
    else this.settle();
    this.used.set(id, 0);
    this.arm();
  }

  /** The CPU charged to the call, ms (it is forgotten). */
  end(id: number): number {
    if (!this.used.has(id)) return 0;
    this.settle();
    const ms = this.used.get(id) ?? 0;
    this.used.delete(id);
    if (this.used.size === 0) this.disarm();
    return ms;
  }

  /** No more watching (the instance is gone). */
  stop(): void {
    this.stopped = true;
    this.used.clear();
    this.disarm();
  }

  private settle(): void {
    if (this.stopped || this.used.size === 0) return;
    const now = this.read();
    const share = Math.max(0, now - this.last) / this.used.size;
    this.last = now;
    for (const [id, ms] of this.used) {
      const total = ms + share;
      this.used.set(id, total);
      if (total > this.limitMs) {
        this.stop();
        this.onOver(id, total);
        return;
      }
    }
  }

  private arm(): void {
    this.timer ??= this.clock.setTimer(this.intervalMs, () => {
      this.timer = null;
      this.settle();
      if (!this.stopped && this.used.size > 0) this.arm();
    });
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = null;
  }
}
