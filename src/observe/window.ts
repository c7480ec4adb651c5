/**
 * Recent invocations per function in fixed time slots (5 s over the last hour): counts
 * and a log-scale duration histogram, so `nimbus top` and alert rules can ask for the
 * rate, errors and percentiles of any window up to an hour. Time is passed in.
 */
import type { InvocationRecord } from '../core/types.ts';

export const SLOT_MS = 5_000;
const SLOTS = 720; // one hour
/** The longest window a summary covers. */
export const WINDOW_SPAN_MS = SLOTS * SLOT_MS;
const BINS = 256;
const MIN_MS = 0.05;
const GROWTH = 1.08; // bins up to 0.05 * 1.08^255 ≈ 1.6e7 ms
const LOG_GROWTH = Math.log(GROWTH);

export interface Slot {
  at: number;
  requests: number;
  errors: number;
  throttles: number;
  coldStarts: number;
  durations: Uint32Array;
}

export interface WindowSummary {
  readonly requests: number;
  readonly errors: number;
  readonly throttles: number;
  readonly coldStarts: number;
  /** Requests per second over the window. */
  readonly rps: number;
  readonly errorRate: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
}

function bin(ms: number): number {
  if (ms <= MIN_MS) return 0;
  return Math.min(BINS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
}

/** The middle of a bin (geometric): a percentile is reported within ±4 %. */
function edge(b: number): number {
  return b === 0 ? MIN_MS : MIN_MS * GROWTH ** (b - 0.5);
}

class Series {
  readonly slots: Array<Slot | undefined> = new Array(SLOTS);

  slot(now: number): Slot {
    const at = Math.floor(now / SLOT_MS) * SLOT_MS;
    const i = Math.floor(at / SLOT_MS) % SLOTS;
    let s = this.slots[i];
    if (!s) this.slots[i] = s = { at, requests: 0, errors: 0, throttles: 0, coldStarts: 0, durations: new Uint32Array(BINS) };
    else if (s.at !== at) {
      s.at = at;
      s.requests = s.errors = s.throttles = s.coldStarts = 0;
      s.durations.fill(0);
    }
    return s;
  }
}

export class RecentWindow {
  private readonly series = new Map<string, Series>();
  /**
   * From when the window holds every record (epoch ms): a window starting earlier misses
   * some. Set at start, and moved back once the store's records are read in (window-restore.ts).
   */
  coveredFrom = -Infinity;

  /**
   * A client that went away (NIMBUS_ERR_CLIENT_CLOSED) is a request but not an error: the
   * caller ended it, not the function (as Workers reports it `canceled`, not `exception`),
   * so a flaky network does not raise error-rate alerts.
   */
  add(record: Pick<InvocationRecord, 'functionName' | 'status' | 'durationMs' | 'coldStart'> & { readonly errorCode?: string | null }, now: number): void {
    let series = this.series.get(record.functionName);
    if (!series) this.series.set(record.functionName, (series = new Series()));
    const s = series.slot(now);
    if (record.status === 'throttled') {
      s.throttles++;
      return;
    }
    s.requests++;
    if (record.status !== 'success' && record.errorCode !== 'NIMBUS_ERR_CLIENT_CLOSED') s.errors++;
    if (record.coldStart) s.coldStarts++;
    s.durations[bin(record.durationMs)]++;
  }

  functions(): string[] {
    return [...this.series.keys()].sort();
  }

  forget(functionName: string): void {
    this.series.delete(functionName);
  }

  /** One function, or all of them when `functionName` is undefined; window in ms (≤ 1 h). */
  summary(functionName: string | undefined, windowMs: number, now: number): WindowSummary {
    const from = now - Math.min(windowMs, SLOTS * SLOT_MS);
    const hist = new Uint32Array(BINS);
    let requests = 0;
    let errors = 0;
    let throttles = 0;
    let coldStarts = 0;
    const list = functionName === undefined ? [...this.series.values()] : [this.series.get(functionName)].filter((s): s is Series => !!s);
    for (const series of list) {
      for (const s of series.slots) {
        // A slot counts when it ends inside the window (the slot in progress always does).
        if (!s || s.at + SLOT_MS <= from || s.at > now) continue;
        requests += s.requests;
        errors += s.errors;
        throttles += s.throttles;
        coldStarts += s.coldStarts;
        for (let b = 0; b < BINS; b++) hist[b] += s.durations[b];
      }
    }
    const pct = (p: number): number | null => {
      if (requests === 0) return null;
      const rank = Math.ceil(p * requests);
      let seen = 0;
      for (let b = 0; b < BINS; b++) {
        seen += hist[b];
        if (seen >= rank) return Math.round(edge(b) * 1000) / 1000;
      }
      return edge(BINS - 1);
    };
    return {
      requests,
      errors,
      throttles,
      coldStarts,
      rps: requests / (Math.max(windowMs, 1) / 1000),
      errorRate: requests === 0 ? 0 : errors / requests,
      p50Ms: pct(0.5),
      p99Ms: pct(0.99),
    };
  }
}
