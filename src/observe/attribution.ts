/**
 * Per-invocation CPU, memory and occupancy when one instance serves many requests at
 * once. The runtime only tells an instance's totals (CPU since start, heap in use), so the
 * instance is sampled whenever one of its invocations begins or ends (and on tick()): the
 * CPU and wall time between two samples are shared equally among the invocations in
 * flight on it then. Shares sum to the instance's busy time and busy CPU, and with one
 * invocation at a time they are exact. Peak memory is the highest heap reading of the
 * instance while the invocation ran (concurrent work included). Heap readings cost a
 * round trip to the isolate (a task that wakes its thread, and the main thread's part), so a
 * busy instance is read at most every HEAP_REFRESH_MS at the begin or end of an invocation,
 * and less often when many are busy: the platform's such readings are spread over them, at
 * most one every HEAP_SPACING_MS (with 100 instances busy, each is read every second rather
 * than 100 times as often as with one). An invocation that runs HEAP_EVERY_MS or longer gets
 * a reading at its end and at every tick() while it runs: a long one sees its peak; a spike
 * shorter than that can be missed.
 * Isolate CPU reads take a lock the isolate's thread also takes (~1.5–2 µs of the main
 * thread each in a server under load, by CPU profile), so one taken less than CPU_REUSE_MS ago is reused: what the
 * isolate spends in between goes to the invocations open at the next read. The last
 * invocation open always reads afresh, so nothing is left to no one when the instance idles;
 * an instance busy again less than CPU_REUSE_MS after going idle starts from that reading.
 * What the isolate ran in between (a timer a function left) goes to the next invocation
 * then, at most CPU_REUSE_MS of it. So one invocation at a time costs one read, and ten at
 * a time on a busy instance about one read a millisecond (with 0.1 ms, most begins and
 * ends read); shares stay fair to within a
 * millisecond's CPU, and the sums exact.
 *
 * Begin and end cost the same however many invocations share the instance: each instance
 * keeps running sums of "time per invocation in flight" and "CPU per invocation in
 * flight", and an invocation's share is what the sums grew by while it ran. Only a heap
 * reading visits every open invocation (to raise its peak), at most every HEAP_EVERY_MS.
 */
import type { Instance } from '../runtime/port.ts';

export interface InvocationFigures {
  readonly cpuMs: number;
  readonly peakMemoryBytes: number;
  readonly occupancyMs: number;
}

interface Tracked {
  /** Null while the instance is idle: a stopped instance's objects are not kept for its readings. */
  instance: Instance | null;
  lastAt: number;
  lastCpu: number;
  heap: number;
  heapAt: number;
  /** The last isolate CPU reading and when it was taken. */
  cpuRead: number;
  cpuReadAt: number;
  /** Sum over samples of wall time / invocations in flight (ms). */
  wallPerOpen: number;
  /** Sum over samples of CPU time / invocations in flight (ms). */
  cpuPerOpen: number;
  /**
   * The invocations in flight, oldest first: a list through the shares themselves, so a
   * begin and an end add and remove no entry of a set (whose table is rebuilt as entries come and go).
   */
  first: Share | null;
  last: Share | null;
  open: number;
  /** Neighbours in the meter's list of busy instances (tick walks it). */
  prevBusy: Tracked | null;
  nextBusy: Tracked | null;
}

/** One invocation being measured; begin() hands it out, end() takes it back. */
export interface Share {
  readonly tracked: Tracked;
  readonly begunAt: number;
  readonly wallAtBegin: number;
  readonly cpuAtBegin: number;
  peak: number;
  /** False once ended: a second end counts nothing. */
  open: boolean;
  prev: Share | null;
  next: Share | null;
}

export const NO_FIGURES: InvocationFigures = { cpuMs: 0, peakMemoryBytes: 0, occupancyMs: 0 };
/** An invocation running this long gets heap readings while it runs (tick) and at its end. */
export const HEAP_EVERY_MS = 20;
/** Otherwise a busy instance's heap is read at most this often… */
export const HEAP_REFRESH_MS = 100;
/** …and, with many busy, the readings of all of them at begin and end come at most this often on average. */
export const HEAP_SPACING_MS = 10;
export const CPU_REUSE_MS = 1;
/** Idle instances whose last readings are kept (an instance busy again soon starts from them); past this, they are forgotten. */
const MAX_IDLE = 10_000;

export class InstanceMeter {
  /**
   * Every instance seen, busy or idle: an idle one keeps what it was last seen at, so that a
   * busy-idle-busy instance is not read again at once, and its entry is reused.
   */
  private readonly tracked = new Map<string, Tracked>();
  /** The busy instances, a list through their entries. */
  private firstBusy: Tracked | null = null;
  private busyCount = 0;

  /** Called when an instance becomes busy while none was: the sampler need run only from then (Observability). */
  onBusy: (() => void) | null = null;

  /** `monotonic` in ms (Clock.monotonic). */
  constructor(private readonly monotonic: () => number) {}

  /** `now`: the caller's monotonic reading, when it has one (saves reading the clock again). */
  begin(instance: Instance, now = this.monotonic()): Share {
    const tracked = this.trackedFor(instance, now);
    const t = this.sample(tracked, now - tracked.heapAt >= this.heapRefreshMs(), now);
    const share: Share = { tracked: t, begunAt: now, wallAtBegin: t.wallPerOpen, cpuAtBegin: t.cpuPerOpen, peak: t.heap, open: true, prev: t.last, next: null };
    if (t.last === null) t.first = share;
    else t.last.next = share;
    t.last = share;
    t.open++;
    return share;
  }

  end(share: Share, now = this.monotonic()): InvocationFigures {
    if (!share.open) return NO_FIGURES;
    const t = share.tracked;
    const sinceReading = now - t.heapAt;
    // The last one open takes a fresh CPU reading: once the instance is idle, CPU not yet read would go to no one.
    const last = t.open === 1;
    this.sample(t, sinceReading >= this.heapRefreshMs() || (sinceReading >= HEAP_EVERY_MS && now - share.begunAt >= HEAP_EVERY_MS), now, last);
    share.open = false;
    if (share.prev === null) t.first = share.next;
    else share.prev.next = share.next;
    if (share.next === null) t.last = share.prev;
    else share.next.prev = share.prev;
    share.prev = share.next = null;
    t.open--;
    // Idle instances are not followed: CPU spent outside any invocation belongs to none
    // (but for an idle gap under CPU_REUSE_MS: trackedFor).
    if (t.open === 0) this.idled(t);
    return {
      cpuMs: round3(t.cpuPerOpen - share.cpuAtBegin),
      peakMemoryBytes: share.peak,
      occupancyMs: round3(t.wallPerOpen - share.wallAtBegin),
    };
  }

  /** Reads the heap of every instance running an invocation for HEAP_EVERY_MS or longer, so it sees its peak. */
  tick(): void {
    const now = this.monotonic();
    for (let t = this.firstBusy; t !== null; t = t.nextBusy) {
      if (now - t.heapAt < HEAP_EVERY_MS) continue;
      const oldest = t.first;
      if (oldest !== null && now - oldest.begunAt >= HEAP_EVERY_MS) this.sample(t, true, now);
    }
  }

  /** How old a busy instance's heap reading may get before a begin or end reads it again. */
  private heapRefreshMs(): number {
    return Math.max(HEAP_REFRESH_MS, this.busyCount * HEAP_SPACING_MS);
  }

  /** Instances with invocations in flight. */
  busy(): number {
    return this.busyCount;
  }

  private trackedFor(instance: Instance, now: number): Tracked {
    let t = this.tracked.get(instance.id);
    if (t !== undefined && t.open > 0) return t;
    if (t === undefined) {
      t = {
        instance,
        lastAt: now,
        lastCpu: 0,
        heap: 0,
        heapAt: -Infinity,
        cpuRead: 0,
        cpuReadAt: -Infinity,
        wallPerOpen: 0,
        cpuPerOpen: 0,
        first: null,
        last: null,
        open: 0,
        prevBusy: null,
        nextBusy: null,
      };
      this.tracked.set(instance.id, t);
    } else {
      // Busy again: the heap reading it went idle with stands (its age counts), and its CPU
      // reading too if that was a moment ago; the sums start over.
      const carried = now - t.cpuReadAt < CPU_REUSE_MS;
      t.instance = instance;
      t.lastAt = now;
      t.lastCpu = carried ? t.cpuRead : 0;
      if (!carried) {
        t.cpuRead = 0;
        t.cpuReadAt = -Infinity;
      }
      t.wallPerOpen = 0;
      t.cpuPerOpen = 0;
    }
    t.prevBusy = null;
    t.nextBusy = this.firstBusy;
    if (this.firstBusy !== null) this.firstBusy.prevBusy = t;
    this.firstBusy = t;
    if (++this.busyCount === 1) this.onBusy?.();
    return t;
  }

  /** `t` has no invocation open any more: off the busy list, its readings kept. */
  private idled(t: Tracked): void {
    if (t.prevBusy === null) this.firstBusy = t.nextBusy;
    else t.prevBusy.nextBusy = t.nextBusy;
    if (t.nextBusy !== null) t.nextBusy.prevBusy = t.prevBusy;
    t.prevBusy = t.nextBusy = null;
    this.busyCount--;
    t.instance = null;
    if (this.tracked.size - this.busyCount > MAX_IDLE) for (const [id, other] of this.tracked) if (other.open === 0 && other !== t) this.tracked.delete(id);
  }

  private sample(t: Tracked, readHeap: boolean, now: number, freshCpu = false): Tracked {
    const instance = t.instance!;
    let cpu: number;
    let heapRead = false;
    let read = false;
    try {
      if (readHeap) {
        // stats() answers the last heap reading and starts a new one (asynchronously).
        const s = instance.stats();
        cpu = s.cpuMs;
        t.heap = s.heapUsedBytes;
        t.heapAt = now;
        heapRead = true;
        read = true;
      } else if (!freshCpu && now - t.cpuReadAt < CPU_REUSE_MS) {
        cpu = t.cpuRead;
      } else {
        cpu = instance.cpuMs ? instance.cpuMs() : instance.stats().cpuMs;
        read = true;
      }
      if (read) {
        t.cpuRead = cpu;
        t.cpuReadAt = now;
      }
    } catch {
      cpu = t.lastCpu;
    }
    const n = t.open;
    if (n > 0) {
      t.wallPerOpen += Math.max(0, now - t.lastAt) / n;
      t.cpuPerOpen += Math.max(0, cpu - t.lastCpu) / n;
      if (heapRead) for (let s = t.first; s !== null; s = s.next) if (t.heap > s.peak) s.peak = t.heap;
    }
    t.lastAt = now;
    t.lastCpu = n > 0 ? Math.max(t.lastCpu, cpu) : cpu;
    return t;
  }
}

function round3(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
