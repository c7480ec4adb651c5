/**
 * Housekeeping on a timer: `task` runs now, then `everyMs` after each run ends (runs never
 * overlap). A failed run is reported and the next one still comes. Time is the Clock's.
 */
import type { Clock, TimerHandle } from './clock.ts';

export interface Periodic {
  stop(): void;
}

export function repeatEvery(clock: Clock, everyMs: number, task: () => Promise<unknown>, onError: (error: unknown) => void): Periodic {
  let timer: TimerHandle | null = null;
  let stopped = false;
  const run = () => {
    timer = null;
    task()
      .catch(onError)
      .finally(() => {
        if (!stopped) timer = clock.setTimer(everyMs, run);
      });
  };
  run();
  return {
    stop() {
      stopped = true;
      timer?.cancel();
      timer = null;
    },
  };
}
