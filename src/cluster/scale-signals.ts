/**
 * Scale signals: what each node's autoscaler sees of the others. Every node says on the bus,
 * every SIGNAL_EVERY_MS, how many instances it runs (per function, in all, and their memory
 * limits); every node keeps the last word of each other node, by when it heard it, and
 * forgets a node not heard for `staleAfterMs` (dead or cut off: its instances no longer
 * count). `elsewhere` is the pure sum the autoscaler and the platform caps read.
 *
 * The counts are a second old at most while signals flow, so caps that take them into
 * account hold across the cluster within what nodes start in one signal period
 * (docs/cluster.md, "Caps across the cluster").
 */
import type { Bus } from '../bus/port.ts';
import type { Clock } from '../core/clock.ts';
import { repeatEvery, type Periodic } from '../core/periodic.ts';

export const SIGNAL_EVERY_MS = 1_000;

/** What one node says of itself. */
export interface NodeScale {
  /** Live or starting instances per function. */
  readonly functions: Readonly<Record<string, number>>;
  readonly instances: number;
  readonly memoryMb: number;
}

interface Signal extends NodeScale {
  readonly origin: string;
}

export interface Heard extends NodeScale {
  readonly heardAt: number;
}

export interface Elsewhere {
  /** Instances on the other nodes heard from within the staleness limit. */
  readonly instances: number;
  readonly memoryMb: number;
  /** How many nodes those are. */
  readonly nodes: number;
  /** Per function. */
  readonly functions: ReadonlyMap<string, number>;
}

export const NOWHERE: Elsewhere = Object.freeze({ instances: 0, memoryMb: 0, nodes: 0, functions: new Map<string, number>() });

/** What the other nodes run now: the sum of what each said, leaving out those not heard for `staleAfterMs`. */
export function elsewhere(heard: ReadonlyMap<string, Heard>, now: number, staleAfterMs: number): Elsewhere {
  let instances = 0;
  let memoryMb = 0;
  let nodes = 0;
  const functions = new Map<string, number>();
  for (const h of heard.values()) {
    if (now - h.heardAt >= staleAfterMs || h.heardAt > now) continue;
    nodes++;
    instances += h.instances;
    memoryMb += h.memoryMb;
    for (const [fn, n] of Object.entries(h.functions)) functions.set(fn, (functions.get(fn) ?? 0) + n);
  }
  return { instances, memoryMb, nodes, functions };
}

function valid(m: unknown): m is Signal {
  const s = m as Signal | null;
  return (
    typeof s?.origin === 'string' &&
    Number.isFinite(s.instances) &&
    Number.isFinite(s.memoryMb) &&
    typeof s.functions === 'object' &&
    s.functions !== null &&
    Object.values(s.functions).every((n) => Number.isFinite(n) && n >= 0)
  );
}

export class ScaleSignals {
  private readonly heard = new Map<string, Heard>();
  private periodic: Periodic | null = null;
  private unsubscribe: (() => void) | null = null;
  private cached: { at: number; value: Elsewhere } | null = null;

  constructor(
    private readonly deps: {
      clock: Clock;
      bus: Bus;
      namespace: string;
      nodeId: string;
      staleAfterMs: number;
      /** What this node runs now. */
      describe: () => NodeScale;
      onError: (error: unknown, what: string) => void;
    },
  ) {}

  start(): void {
    const { bus, namespace, nodeId, clock } = this.deps;
    this.unsubscribe = bus.subscribe(`${namespace}.scale`, (m) => {
      if (!valid(m) || m.origin === nodeId) return;
      this.heard.set(m.origin, { functions: m.functions, instances: m.instances, memoryMb: m.memoryMb, heardAt: clock.now() });
      this.cached = null;
    });
    this.periodic = repeatEvery(
      clock,
      SIGNAL_EVERY_MS,
      async () => {
        await bus.publish(`${namespace}.scale`, { origin: nodeId, ...this.deps.describe() } satisfies Signal);
        // Forget nodes long gone (the sum leaves them out already).
        const now = clock.now();
        for (const [origin, h] of this.heard) if (now - h.heardAt >= this.deps.staleAfterMs * 4) this.heard.delete(origin);
      },
      (e) => this.deps.onError(e, 'announcing scale signals'),
    );
  }

  /** What the other nodes run now (computed at most once a millisecond: the hot path may ask). */
  elsewhere(): Elsewhere {
    const now = this.deps.clock.now();
    if (this.cached?.at === now) return this.cached.value;
    const value = this.heard.size === 0 ? NOWHERE : elsewhere(this.heard, now, this.deps.staleAfterMs);
    this.cached = { at: now, value };
    return value;
  }

  stop(): void {
    this.periodic?.stop();
    this.periodic = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
