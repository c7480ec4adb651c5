/**
 * Live logs followed from any node. A node where someone follows logs says so on the bus
 * every second; a node that heard such interest within the last few seconds forwards the
 * lines its functions write, and the following node shows them to its followers. Without
 * a follower anywhere no line crosses the bus (the hot path pays nothing). Lines written
 * before the interest reached a node (about a second) are in the records, which a follow
 * replays first.
 */
import type { Bus } from '../bus/port.ts';
import type { Clock } from '../core/clock.ts';
import { repeatEvery, type Periodic } from '../core/periodic.ts';
import type { LogLine } from '../core/types.ts';
import type { LogCollector } from '../observe/log-collector.ts';

export const INTEREST_EVERY_MS = 1_000;
/** Interest heard this long ago still holds (a few missed announcements). */
export const INTEREST_TTL_MS = 5_000;

interface RelayedLine {
  readonly origin: string;
  readonly fn: string;
  readonly id: string;
  readonly line: LogLine;
}

/** Whether interest heard at `heardAt` holds at `now`. */
export function interested(heardAt: number | null, now: number): boolean {
  return heardAt !== null && now - heardAt < INTEREST_TTL_MS && now >= heardAt - INTEREST_TTL_MS;
}

export class LogRelay {
  private periodic: Periodic | null = null;
  private heardAt: number | null = null;
  private unforward: (() => void) | null = null;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly deps: { clock: Clock; bus: Bus; namespace: string; nodeId: string; logs: LogCollector; onError: (error: unknown, what: string) => void },
  ) {}

  start(): void {
    const { bus, namespace, nodeId, logs, clock } = this.deps;
    this.unsubscribe.push(
      bus.subscribe(`${namespace}.logs.interest`, (m) => {
        if ((m as { origin?: string } | null)?.origin === nodeId) return;
        this.heardAt = clock.now();
        this.forward();
      }),
      bus.subscribe(`${namespace}.logs.lines`, (m) => {
        const r = m as RelayedLine | null;
        if (!r || r.origin === nodeId || logs.followerCount === 0 || typeof r.fn !== 'string' || typeof r.id !== 'string' || !r.line) return;
        logs.relay(r.fn, r.id, r.line);
      }),
    );
    this.periodic = repeatEvery(
      clock,
      INTEREST_EVERY_MS,
      async () => {
        if (logs.followerCount > 0) await bus.publish(`${namespace}.logs.interest`, { origin: nodeId });
        this.forward();
      },
      (e) => this.deps.onError(e, 'announcing log interest'),
    );
  }

  /** Forwards this node's lines while interest holds; stops when it lapsed. */
  private forward(): void {
    const { bus, namespace, nodeId, logs, clock } = this.deps;
    const want = interested(this.heardAt, clock.now());
    if (want && this.unforward === null) {
      this.unforward = logs.subscribe((fn, id, line) => {
        bus.publish(`${namespace}.logs.lines`, { origin: nodeId, fn, id, line } satisfies RelayedLine).catch((e: unknown) => this.deps.onError(e, 'relaying a log line'));
      }, false);
    } else if (!want && this.unforward !== null) {
      this.unforward();
      this.unforward = null;
    }
  }

  stop(): void {
    this.periodic?.stop();
    this.periodic = null;
    this.unforward?.();
    this.unforward = null;
    for (const u of this.unsubscribe.splice(0)) u();
  }
}
