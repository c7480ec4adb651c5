/**
 * One shared CPU watchdog: while instances are busy it samples their isolates every
 * `intervalMs` (reading cpuTime does not wait for a running isolate), bounds the readings
 * by the CPU the isolate threads really used in that time (cpu-budget.ts), and lets each
 * instance charge its share and enforce its limit. It stops ticking when nothing is busy.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import { capCharges, type OtherThreadsCpu } from './cpu-budget.ts';

export interface Watched {
  /** The isolate's reading (wall-clock while it executed, ms) since the last sample. */
  cpuSample(): number;
  /**
   * Charges CPU really used since the last sample (`raw`: the reading it is bounded from,
   * > 0 while the isolate executes, blocked or not); returns false when it needs no more watching.
   */
  charge(cpuMs: number, raw: number): boolean;
}

export class Watchdog {
  readonly #clock: Clock;
  readonly #intervalMs: number;
  readonly #budget: OtherThreadsCpu | null;
  readonly #active = new Set<Watched>();
  #timer: TimerHandle | null = null;
  /** The budget's reading at the last tick (or when ticking began). */
  #budgetAt = 0;

  /** `budget`: the CPU the isolate threads used; null charges the readings as they are. */
  constructor(clock: Clock, intervalMs: number, budget: OtherThreadsCpu | null = null) {
    this.#clock = clock;
    this.#intervalMs = intervalMs;
    this.#budget = budget;
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

  /** `budgetAt`: the budget's reading just taken (by a tick), else it is read now. */
  #arm(budgetAt?: number): void {
    if (this.#timer !== null || this.#active.size === 0) return;
    if (this.#budget !== null) this.#budgetAt = budgetAt ?? this.#budget();
    this.#timer = this.#clock.setTimer(this.#intervalMs, () => this.#tick());
  }

  #tick(): void {
    this.#timer = null;
    const watched = [...this.#active];
    const raw = watched.map((w) => w.cpuSample());
    let charges = raw;
    let at: number | undefined;
    if (this.#budget !== null) {
      at = this.#budget();
      charges = capCharges(raw, at - this.#budgetAt);
      this.#budgetAt = at;
    }
    for (let i = 0; i < watched.length; i++) {
      if (!watched[i].charge(charges[i], raw[i])) this.#active.delete(watched[i]);
    }
    this.#arm(at);
  }
}
