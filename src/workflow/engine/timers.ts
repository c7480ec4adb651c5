/**
 * Durable timers: the rows live in the store (written in the journal transaction of the
 * step that started them); this wakes once at the earliest fire time (Clock), hands every
 * due timer to `fire`, and arms itself again. A timer whose time passed while the platform
 * was down fires at once after the restart.
 */
import type { Clock, TimerHandle } from '../../core/clock.ts';
import type { DueTimer, WorkflowRepo } from '../../store/workflow-ports.ts';

const BATCH = 500;

export class TimerScheduler {
  private handle: TimerHandle | null = null;
  private at = Infinity;
  private running = false;
  private again = false;
  private stopped = true;
  /** Timers handed to `fire` and not yet journalled as fired. */
  private readonly firing = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly repo: WorkflowRepo,
    private readonly fire: (timer: DueTimer) => Promise<void>,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.arm(0);
  }

  stop(): void {
    this.stopped = true;
    this.handle?.cancel();
    this.handle = null;
    this.at = Infinity;
  }

  /** A timer due at `fireAt` was journalled. */
  armAt(fireAt: number): void {
    this.arm(Math.max(0, fireAt - this.clock.now()));
  }

  private arm(delayMs: number): void {
    if (this.stopped) return;
    const at = this.clock.now() + delayMs;
    if (at >= this.at) return;
    this.handle?.cancel();
    this.at = at;
    this.handle = this.clock.setTimer(delayMs, () => {
      this.handle = null;
      this.at = Infinity;
      void this.pass();
    });
  }

  private async pass(): Promise<void> {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    try {
      do {
        this.again = false;
        const due = await this.repo.dueTimers(this.clock.now(), BATCH);
        for (const t of due) {
          const key = `${t.executionId}/${t.timerId}`;
          if (this.firing.has(key)) continue;
          this.firing.add(key);
          this.fire(t)
            .catch(this.onError)
            .finally(() => this.firing.delete(key));
        }
        if (due.length === BATCH) this.again = true;
      } while (this.again && !this.stopped);
      const next = await this.repo.nextTimerAt();
      // A timer still due after a pass is being fired (its step is not journalled yet): look again shortly.
      if (next !== null) this.arm(Math.max(next - this.clock.now(), next <= this.clock.now() ? 50 : 0));
    } catch (error) {
      this.onError(error);
      this.arm(1_000);
    } finally {
      this.running = false;
    }
  }
}
