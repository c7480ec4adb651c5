/**
 * One shared CPU watchdog: while instances are busy it samples their isolates' CPU time
 * every `intervalMs` (reading cpuTime does not wait for a running isolate) and lets each
 * instance charge the time and enforce its limit. It stops ticking when nothing is busy.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';

export interface Watched {
  /** Charges CPU used since the last sample; returns false when it needs no more watching. */
  sampleCpu(): boolean;
}

export class Watchdog {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #active = new Set<Watched>();
  #timer: TimerHandle | null = null;

  constructor(clock: Clock, intervalMs: number) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
  }

  watch(w: Watched): void {
    this.#active.add(w);
    this.#arm();
  }

  unwatch(w: Watched): void {
    this.#active.delete(w);
  }

  get watching(): number {
    return this.#active.size;
  }

  close(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#active.clear();
  }

  #arm(): void {
    if (this.#timer !== null || this.#active.size === 0) return;
    this.#timer = this.#clock.setTimer(this.#intervalMs, () => this.#tick());
  }

  #tick(): void {
    this.#timer = null;
    for (const w of [...this.#active]) {
      if (!w.sampleCpu()) this.#active.delete(w);
    }
    this.#arm();
  }
}
