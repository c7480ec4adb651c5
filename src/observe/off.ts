/**
 * Observability switched off (`--no-observability`): a Recorder that keeps nothing and a
 * LogCollector that collects nothing. The dispatcher runs unchanged; records are still
 * built (the caller's answer carries the id) but go nowhere.
 */
import type { Clock } from '../core/clock.ts';
import type { LogLevel } from '../core/types.ts';
import type { InvocationRepo } from '../store/ports.ts';
import { LogCollector, NOTHING, type CollectedLogs } from './log-collector.ts';
import { Recorder } from './recorder.ts';

export class OffRecorder extends Recorder {
  constructor(repo: InvocationRepo, clock: Clock) {
    super(repo, clock, 1000, () => undefined);
  }
  override push(): void {}
}

export class OffLogCollector extends LogCollector {
  constructor(clock: Clock) {
    super(0, clock);
  }
  override open(): void {}
  override append(_id: string, _level: LogLevel, _msg: string): void {}
  override peek(): CollectedLogs {
    return NOTHING;
  }
  override close(): CollectedLogs {
    return NOTHING;
  }
}
