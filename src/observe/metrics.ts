/**
 * GET /metrics (Prometheus text format, prom-client). Invocation counters and histograms
 * are fed from the record stream (Recorder listeners); instance, in-flight and queue
 * gauges are read from the pools, and async queue / dead-letter sizes from the store, when
 * Prometheus scrapes.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { InvocationRecord } from '../core/types.ts';

export interface PoolGaugeSource {
  /** Per function: instances by state, in flight and queued, summed over its versions. */
  pools(): Array<{ functionName: string; ready: number; starting: number; busy: number; idle: number; inFlight: number; queued: number }>;
  /** Async queue counts by state (queued, running, succeeded, dead), per function. */
  asyncCounts(): Promise<Array<{ functionName: string; state: string; count: number }>>;
  /** Invocation records dropped since start because the store could not take them fast enough (Recorder.dropped). */
  recordsDropped?(): number;
  /** Invocation records in memory, not yet committed to the store (Recorder.unwritten). */
  recordsUnwritten?(): number;
  /** Invocation records the previous run issued and never committed (its crash lost them; RecordLedger). */
  recordsLostPreviousRun?(): number;
}

export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

/** Observations counted into fixed buckets (not cumulative; exposition sums them). */
class BucketCounts {
  readonly counts = new Float64Array(DURATION_BUCKETS.length);
  sum = 0;
  count = 0;

  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let i = 0; i < DURATION_BUCKETS.length; i++) {
      if (value <= DURATION_BUCKETS[i]) {
        this.counts[i]++;
        return;
      }
    }
  }
}

/** One function's counts since start, as plain numbers: what a record costs on the hot path. */
class FunctionTally {
  /** status → trigger → invocations */
  readonly outcomes = new Map<string, Map<string, number>>();
  readonly duration = new BucketCounts();
  readonly init = new BucketCounts();
  coldStarts = 0;
  throttles = 0;
  billedGbSeconds = 0;
  socketsOpened = 0;
  socketBytesIn = 0;
  socketBytesOut = 0;
}

/** What prom-client's registry reads from a histogram (its `get()` answer). */
interface HistogramExposition {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: Array<{ labels: Record<string, string | number>; value: number; metricName: string }>;
}

/**
 * A prom-client Histogram whose values are counted elsewhere (in FunctionTally buckets):
 * prom-client formats and serves it like any other, but an observation costs no label
 * hashing. get() answers what prom-client's own histograms answer (metrics.test.ts
 * compares the text with theirs).
 */
class TalliedHistogram extends Histogram<'function'> {
  constructor(
    private readonly info: { name: string; help: string; registers: Registry[] },
    private readonly counts: () => Iterable<[string, BucketCounts]>,
  ) {
    super({ ...info, labelNames: ['function'], buckets: DURATION_BUCKETS });
  }

  override async get(): ReturnType<Histogram<'function'>['get']> {
    const { name, help } = this.info;
    const out: HistogramExposition = { name, help, type: 'histogram', aggregator: 'sum', values: [] };
    for (const [fn, b] of this.counts()) {
      if (b.count === 0) continue;
      let cumulative = 0;
      for (let i = 0; i < DURATION_BUCKETS.length; i++) {
        cumulative += b.counts[i];
        out.values.push({ labels: { le: DURATION_BUCKETS[i], function: fn }, value: cumulative, metricName: `${name}_bucket` });
      }
      out.values.push({ labels: { le: '+Inf', function: fn }, value: b.count, metricName: `${name}_bucket` });
      out.values.push({ labels: { function: fn }, value: b.sum, metricName: `${name}_sum` });
      out.values.push({ labels: { function: fn }, value: b.count, metricName: `${name}_count` });
    }
    // prom-client's declared type asks for a collect function the registry never reads.
    return out as unknown as Awaited<ReturnType<Histogram<'function'>['get']>>;
  }

  /** prom-client's registry asks for this one when it writes the text format. */
  getForPromString(): ReturnType<Histogram<'function'>['get']> {
    return this.get();
  }
}

export class Metrics {
  readonly registry = new Registry();
  private readonly tallies = new Map<string, FunctionTally>();

  constructor(source: PoolGaugeSource) {
    const registers = [this.registry];
    const tallies = this.tallies;
    // Counters are filled from the tallies when scraped.
    const counter = (name: string, help: string, read: (t: FunctionTally) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['function'],
        registers,
        collect() {
          this.reset();
          for (const [fn, t] of tallies) {
            const v = read(t);
            if (v > 0) this.inc({ function: fn }, v);
          }
        },
      });
    new Counter({
      name: 'nimbus_invocations_total',
      help: 'Invocations by function, status and trigger.',
      labelNames: ['function', 'status', 'trigger'],
      registers,
      collect() {
        this.reset();
        for (const [fn, t] of tallies) {
          for (const [status, byTrigger] of t.outcomes) for (const [trigger, n] of byTrigger) this.inc({ function: fn, status, trigger }, n);
        }
      },
    });
    const histogram = (name: string, help: string, read: (t: FunctionTally) => BucketCounts) =>
      new TalliedHistogram({ name, help, registers }, function* () {
        for (const [fn, t] of tallies) yield [fn, read(t)];
      });
    histogram('nimbus_invocation_duration_seconds', 'Invocation duration as the platform saw it.', (t) => t.duration);
    histogram('nimbus_init_duration_seconds', 'Instance start (init) time of cold starts.', (t) => t.init);
    counter('nimbus_cold_starts_total', 'Invocations that waited for an instance to start.', (t) => t.coldStarts);
    counter('nimbus_throttles_total', 'Invocations refused because every instance was busy and the queue full (or its wait ran out).', (t) => t.throttles);
    counter('nimbus_billed_gb_seconds_total', 'Configured memory (GB) x billed duration (s).', (t) => t.billedGbSeconds);
    counter('nimbus_sockets_opened_total', 'Outbound TCP/TLS sockets functions opened (Node layer net/tls, cloudflare:sockets).', (t) => t.socketsOpened);
    counter('nimbus_socket_received_bytes_total', 'Bytes functions received on their outbound sockets.', (t) => t.socketBytesIn);
    counter('nimbus_socket_sent_bytes_total', 'Bytes functions sent on their outbound sockets.', (t) => t.socketBytesOut);
    const inFlight = new Gauge({ name: 'nimbus_in_flight', help: 'Invocations running now.', labelNames: ['function'], registers: [] });
    const queued = new Gauge({ name: 'nimbus_queue_depth', help: 'Requests waiting for a free instance.', labelNames: ['function'], registers: [] });
    const dlq = new Gauge({ name: 'nimbus_dlq_size', help: 'Dead letters (async invocations that exhausted their attempts).', labelNames: ['function'], registers: [] });
    // Gauges are set from the sources when scraped: the first of each group collects for the rest.
    new Gauge({
      name: 'nimbus_instances',
      help: 'Live instances by state (starting, busy, idle).',
      labelNames: ['function', 'state'],
      registers,
      collect() {
        this.reset();
        inFlight.reset();
        queued.reset();
        for (const p of source.pools()) {
          this.set({ function: p.functionName, state: 'starting' }, p.starting);
          this.set({ function: p.functionName, state: 'busy' }, p.busy);
          this.set({ function: p.functionName, state: 'idle' }, p.idle);
          inFlight.set({ function: p.functionName }, p.inFlight);
          queued.set({ function: p.functionName }, p.queued);
        }
      },
    });
    this.registry.registerMetric(inFlight);
    this.registry.registerMetric(queued);
    new Gauge({
      name: 'nimbus_async_queue_size',
      help: 'Async invocations waiting (queued) or running.',
      labelNames: ['function', 'state'],
      registers,
      async collect() {
        this.reset();
        dlq.reset();
        for (const c of await source.asyncCounts()) {
          if (c.state === 'dead') dlq.set({ function: c.functionName }, c.count);
          else if (c.state === 'queued' || c.state === 'running') this.set({ function: c.functionName, state: c.state }, c.count);
        }
      },
    });
    this.registry.registerMetric(dlq);
    new Counter({
      name: 'nimbus_records_dropped_total',
      help: 'Invocation records dropped because the store could not take them and 100,000 were waiting in memory.',
      registers,
      collect() {
        this.reset();
        this.inc(source.recordsDropped?.() ?? 0);
      },
    });
    new Gauge({
      name: 'nimbus_records_unwritten',
      help: 'Invocation records in memory, not yet committed to the store: at most what a crash now would lose (docs/observability.md).',
      registers,
      collect() {
        this.set(source.recordsUnwritten?.() ?? 0);
      },
    });
    new Gauge({
      name: 'nimbus_records_lost_previous_run',
      help: 'Invocation records the previous run of this platform took in and never committed: what its crash (or a store outage at its stop) lost (docs/observability.md).',
      registers,
      collect() {
        this.set(source.recordsLostPreviousRun?.() ?? 0);
      },
    });
  }

  /** A Recorder listener: one record in. */
  readonly onRecord = (r: InvocationRecord): void => {
    let t = this.tallies.get(r.functionName);
    if (t === undefined) this.tallies.set(r.functionName, (t = new FunctionTally()));
    let byTrigger = t.outcomes.get(r.status);
    if (byTrigger === undefined) t.outcomes.set(r.status, (byTrigger = new Map()));
    byTrigger.set(r.trigger, (byTrigger.get(r.trigger) ?? 0) + 1);
    if (r.status === 'throttled') {
      t.throttles++;
      return;
    }
    t.duration.observe(r.durationMs / 1000);
    if (r.coldStart) {
      t.coldStarts++;
      t.init.observe(r.initMs / 1000);
    }
    if (r.billedMs > 0) t.billedGbSeconds += ((r.memoryMb / 1024) * r.billedMs) / 1000;
    const s = r.sockets;
    if (s !== undefined) {
      t.socketsOpened += s.opened;
      t.socketBytesIn += s.bytesIn;
      t.socketBytesOut += s.bytesOut;
    }
  };

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
