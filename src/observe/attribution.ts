/**
 * Per-invocation CPU, memory and occupancy when one instance serves many requests at
 * once. The runtime only tells an instance's totals (CPU since start, heap in use), so the
 * instance is sampled whenever one of its invocations begins or ends (and on tick()): the
 * CPU and wall time between two samples are shared equally among the invocations in
 * flight on it then. Shares sum to the instance's busy time and busy CPU, and with one
 * invocation at a time they are exact. Peak memory is the highest heap reading of the
 * instance while the invocation ran (concurrent work included). Heap readings cost a
 * round trip to the isolate, so they are taken at most every HEAP_EVERY_MS per instance
 * (and by tick()); a spike shorter than that can be missed.
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
  heap: number;
  heapAt: number;
  readonly open: Map<string, Share>;
}

export const NO_FIGURES: InvocationFigures = { cpuMs: 0, peakMemoryBytes: 0, occupancyMs: 0 };
export const HEAP_EVERY_MS = 20;

export class InstanceMeter {
  private readonly tracked = new Map<string, Tracked>();
  /** Heap readings of instances gone idle, so a busy-idle-busy instance is not re-read each time. */
  private readonly lastHeap = new Map<string, { heap: number; at: number }>();

  /** `monotonic` in ms (Clock.monotonic). */
  constructor(private readonly monotonic: () => number) {}

  begin(invocationId: string, instance: Instance): void {
    const t = this.sample(instance, false);
    t.open.set(invocationId, { cpuMs: 0, occupancyMs: 0, peak: t.heap });
  }

  end(invocationId: string, instance: Instance): InvocationFigures {
    const t = this.tracked.get(instance.id);
    if (!t?.open.has(invocationId)) return NO_FIGURES;
    this.sample(instance, false);
    const share = t.open.get(invocationId) as Share;
    t.open.delete(invocationId);
    // Idle instances are not followed: CPU spent outside any invocation belongs to none.
    if (t.open.size === 0) {
      this.tracked.delete(instance.id);
      if (this.lastHeap.size > 10_000) this.lastHeap.clear();
      this.lastHeap.set(instance.id, { heap: t.heap, at: t.heapAt });
    }
    return { cpuMs: round3(share.cpuMs), peakMemoryBytes: share.peak, occupancyMs: round3(share.occupancyMs) };
  }

  /** Samples every busy instance, heap included (so long invocations see their peak). */
  tick(): void {
    for (const t of this.tracked.values()) this.sample(t.instance, true);
  }

  /** Instances with invocations in flight. */
  busy(): number {
    return this.tracked.size;
  }

  private sample(instance: Instance, forceHeap: boolean): Tracked {
    const now = this.monotonic();
    let t = this.tracked.get(instance.id);
    if (!t) {
      const last = this.lastHeap.get(instance.id);
      t = { instance, lastAt: now, lastCpu: 0, heap: last?.heap ?? 0, heapAt: last?.at ?? -Infinity, open: new Map() };
      this.tracked.set(instance.id, t);
    }
    let cpu: number;
    try {
      if (forceHeap || now - t.heapAt >= HEAP_EVERY_MS) {
        // stats() answers the last heap reading and starts a new one (asynchronously).
        const s = instance.stats();
        cpu = s.cpuMs;
        t.heap = s.heapUsedBytes;
        t.heapAt = now;
      } else {
        cpu = instance.cpuMs ? instance.cpuMs() : instance.stats().cpuMs;
      }
    } catch {
      cpu = t.lastCpu;
    }
    const n = t.open.size;
    if (n === 0) {
      t.lastAt = now;
      t.lastCpu = cpu;
      return t;
    }
    const wall = Math.max(0, now - t.lastAt) / n;
    const dcpu = Math.max(0, cpu - t.lastCpu) / n;
    for (const s of t.open.values()) {
      s.occupancyMs += wall;
      s.cpuMs += dcpu;
      if (t.heap > s.peak) s.peak = t.heap;
    }
    t.lastAt = now;
    t.lastCpu = Math.max(t.lastCpu, cpu);
    return t;
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
