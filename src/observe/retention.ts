/** Deletes invocation records past the retention (age and count) on a timer; usage stays. */
import type { Clock } from '../core/clock.ts';
import { repeatEvery, type Periodic } from '../core/periodic.ts';
import type { InvocationRepo } from '../store/ports.ts';

export class RecordRetention {
  private periodic: Periodic | null = null;
  constructor(
    private readonly o: {
      readonly clock: Clock;
      readonly repo: InvocationRepo;
      readonly maxAgeMs: number;
      readonly keep: number;
      readonly everyMs?: number;
      readonly onPruned?: (n: number) => void;
      readonly onError?: (e: unknown) => void;
    },
  ) {}

  /** One pass now; returns how many records went. */
  async enforce(now = this.o.clock.now()): Promise<number> {
    const n = await this.o.repo.prune(now - this.o.maxAgeMs, this.o.keep);
    if (n > 0) this.o.onPruned?.(n);
    return n;
  }

  start(): void {
    const every = this.o.everyMs ?? Math.min(600_000, Math.max(1_000, Math.floor(this.o.maxAgeMs / 10)));
    this.periodic ??= repeatEvery(this.o.clock, every, () => this.enforce(), (e) => this.o.onError?.(e));
  }

  stop(): void {
    this.periodic?.stop();
    this.periodic = null;
  }
}
