/**
 * `perf_hooks`: `performance` (the isolate's clock: `now`, `timeOrigin`) with User Timing
 * marks and measures kept per instance, `timerify`, `eventLoopUtilization` (zeros: no host
 * facts), and `constants`. No `PerformanceObserver`, `monitorEventLoopDelay` or histograms.
 */
const clock = (globalThis as unknown as { performance: { now(): number; timeOrigin: number } }).performance;

export interface PerformanceEntry {
  readonly name: string;
  readonly entryType: 'mark' | 'measure';
  readonly startTime: number;
  readonly duration: number;
  readonly detail: unknown;
}

/** Marks and measures, oldest first, capped so a loop that marks forever cannot fill the heap. */
const entries: PerformanceEntry[] = [];
const MAX_ENTRIES = 10_000;

function record(e: PerformanceEntry): PerformanceEntry {
  if (entries.length >= MAX_ENTRIES) entries.shift();
  entries.push(e);
  return e;
}

/** A time given as a mark's name (its latest one) or a number; a name never marked is an error, as in Node. */
function timeOf(at: string | number | undefined, fallback: number): number {
  if (at === undefined) return fallback;
  if (typeof at === 'number') return at;
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].entryType === 'mark' && entries[i].name === at) return entries[i].startTime;
  const message = `The "${at}" performance mark has not been set`;
  const DOMException = (globalThis as unknown as { DOMException?: new (m: string, name: string) => Error }).DOMException;
  throw DOMException !== undefined ? new DOMException(message, 'SyntaxError') : new SyntaxError(message);
}

type MeasureOptions = { start?: string | number; end?: string | number; duration?: number; detail?: unknown };

const clear = (type: 'mark' | 'measure', name?: string) => {
  for (let i = entries.length - 1; i >= 0; i--) if (entries[i].entryType === type && (name === undefined || entries[i].name === name)) entries.splice(i, 1);
};

export const performance = {
  now: (): number => clock.now(),
  get timeOrigin(): number {
    return clock.timeOrigin;
  },
  toJSON: () => ({ timeOrigin: clock.timeOrigin }),
  mark(name: string, options: { startTime?: number; detail?: unknown } = {}): PerformanceEntry {
    return record({ name: String(name), entryType: 'mark', startTime: options.startTime ?? clock.now(), duration: 0, detail: options.detail ?? null });
  },
  measure(name: string, startOrOptions?: string | MeasureOptions, endMark?: string): PerformanceEntry {
    const o: MeasureOptions = typeof startOrOptions === 'object' && startOrOptions !== null ? startOrOptions : { start: startOrOptions, end: endMark };
    const end = o.end !== undefined ? timeOf(o.end, 0) : o.duration !== undefined && o.start !== undefined ? timeOf(o.start, 0) + o.duration : clock.now();
    const start = o.start !== undefined ? timeOf(o.start, 0) : o.duration !== undefined ? end - o.duration : 0;
    return record({ name: String(name), entryType: 'measure', startTime: start, duration: end - start, detail: o.detail ?? null });
  },
  getEntries: (): PerformanceEntry[] => [...entries],
  getEntriesByName: (name: string, type?: string): PerformanceEntry[] => entries.filter((e) => e.name === name && (type === undefined || e.entryType === type)),
  getEntriesByType: (type: string): PerformanceEntry[] => entries.filter((e) => e.entryType === type),
  clearMarks: (name?: string): void => clear('mark', name),
  clearMeasures: (name?: string): void => clear('measure', name),
  timerify: <F extends (...args: never[]) => unknown>(fn: F): F => fn,
  eventLoopUtilization: () => ({ idle: 0, active: 0, utilization: 0 }),
};

export const constants = Object.freeze({
  NODE_PERFORMANCE_GC_MAJOR: 4,
  NODE_PERFORMANCE_GC_MINOR: 1,
  NODE_PERFORMANCE_GC_INCREMENTAL: 8,
  NODE_PERFORMANCE_GC_WEAKCB: 16,
  NODE_PERFORMANCE_GC_FLAGS_NO: 0,
  NODE_PERFORMANCE_GC_FLAGS_FORCED: 4,
});

export default { performance, constants };
