/**
 * Per-invocation CPU, memory and occupancy when one instance serves many requests at
 * once. The runtime only tells an instance's totals (Instance.stats(): CPU since start,
 * heap in use), so the instance is sampled whenever one of its invocations begins or ends
 * (and on tick()): the CPU and wall time between two samples are shared equally among the
 * invocations in flight on it then. Shares sum to the instance's busy time and busy CPU,
 * and with one invocation at a time they are exact. Peak memory is the highest heap
 * reading of the instance while the invocation ran (concurrent work included; heap
 * readings are refreshed asynchronously, so a short spike between samples can be missed).
 */
import type { Instance } from '../runtime/port.ts';

export interface InvocationFigures {
  readonly cpuMs: number;
  readonly peakMemoryBytes: number;
  readonly occupancyMs: number;
}

interface Share {
  cpuMs: number;
  occupancyMs: number;
  peak: number;
}

interface Tracked {
  readonly instance: Instance;
  lastAt: number;
  lastCpu: number;
  readonly open: Map<string, Share>;
}

export const NO_FIGURES: InvocationFigures = { cpuMs: 0, peakMemoryBytes: 0, occupancyMs: 0 };

export class InstanceMeter {
  private readonly tracked = new Map<string, Tracked>();

  /** `monotonic` in ms (Clock.monotonic). */
  constructor(private readonly monotonic: () => number) {}

  begin(invocationId: string, instance: Instance): void {
    const t = this.sample(instance);
    t.open.set(invocationId, { cpuMs: 0, occupancyMs: 0, peak: this.heap });
  }

  end(invocationId: string, instance: Instance): InvocationFigures {
    const t = this.tracked.get(instance.id);
    if (!t?.open.has(invocationId)) return NO_FIGURES;
    this.sample(instance);
    const share = t.open.get(invocationId) as Share;
    t.open.delete(invocationId);
    // Idle instances are not followed: CPU spent outside any invocation belongs to none.
    if (t.open.size === 0) this.tracked.delete(instance.id);
    return { cpuMs: round3(share.cpuMs), peakMemoryBytes: share.peak, occupancyMs: round3(share.occupancyMs) };
  }

  /** Samples every busy instance (so long invocations see their peak). */
  tick(): void {
    for (const t of this.tracked.values()) this.sample(t.instance);
  }

  /** Instances with invocations in flight. */
  busy(): number {
    return this.tracked.size;
  }

  private heap = 0;

  private sample(instance: Instance): Tracked {
    const now = this.monotonic();
    let stats: { heapUsedBytes: number; cpuMs: number };
    try {
      stats = instance.stats();
    } catch {
      stats = { heapUsedBytes: 0, cpuMs: 0 };
    }
    this.heap = stats.heapUsedBytes;
    let t = this.tracked.get(instance.id);
    if (!t) {
      t = { instance, lastAt: now, lastCpu: stats.cpuMs, open: new Map() };
      this.tracked.set(instance.id, t);
      return t;
    }
    const n = t.open.size;
    if (n > 0) {
      const wall = Math.max(0, now - t.lastAt) / n;
      const cpu = Math.max(0, stats.cpuMs - t.lastCpu) / n;
      for (const s of t.open.values()) {
        s.occupancyMs += wall;
        s.cpuMs += cpu;
        if (stats.heapUsedBytes > s.peak) s.peak = stats.heapUsedBytes;
      }
    }
    t.lastAt = now;
    t.lastCpu = Math.max(t.lastCpu, stats.cpuMs);
    return t;
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
