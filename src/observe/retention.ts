/** Deletes invocation records past the retention (age and count) on a timer; usage stays. */
import type { Clock, TimerHandle } from '../core/clock.ts';
import type { InvocationRepo } from '../store/ports.ts';

export class RecordRetention {
  private timer: TimerHandle | null = null;
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
    const arm = () => {
      this.timer = this.o.clock.setTimer(every, () => {
        this.enforce().catch((e) => this.o.onError?.(e)).finally(() => {
          if (this.timer) arm();
        });
      });
    };
    this.enforce().catch((e) => this.o.onError?.(e));
    arm();
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = null;
  }
}
