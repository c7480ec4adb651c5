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
}

const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];

export class Metrics {
  readonly registry = new Registry();
  private readonly invocations: Counter<'function' | 'status' | 'trigger'>;
  private readonly duration: Histogram<'function'>;
  private readonly init: Histogram<'function'>;
  private readonly cold: Counter<'function'>;
  private readonly throttles: Counter<'function'>;
  private readonly billed: Counter<'function'>;
  private readonly cache = new Map<string, { inv: Counter.Internal; dur: Histogram.Internal<'function'>; init: Histogram.Internal<'function'>; cold: Counter.Internal; thr: Counter.Internal; billed: Counter.Internal }>();

  constructor(source: PoolGaugeSource) {
    const registers = [this.registry];
    this.invocations = new Counter({ name: 'nimbus_invocations_total', help: 'Invocations by function, status and trigger.', labelNames: ['function', 'status', 'trigger'], registers });
    this.duration = new Histogram({ name: 'nimbus_invocation_duration_seconds', help: 'Invocation duration as the platform saw it.', labelNames: ['function'], buckets: DURATION_BUCKETS, registers });
    this.init = new Histogram({ name: 'nimbus_init_duration_seconds', help: 'Instance start (init) time of cold starts.', labelNames: ['function'], buckets: DURATION_BUCKETS, registers });
    this.cold = new Counter({ name: 'nimbus_cold_starts_total', help: 'Invocations that waited for an instance to start.', labelNames: ['function'], registers });
    this.throttles = new Counter({ name: 'nimbus_throttles_total', help: 'Invocations refused because every instance was busy and the queue full (or its wait ran out).', labelNames: ['function'], registers });
    this.billed = new Counter({ name: 'nimbus_billed_gb_seconds_total', help: 'Configured memory (GB) x billed duration (s).', labelNames: ['function'], registers });
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
  }

  /** A Recorder listener: one record in. */
  readonly onRecord = (r: InvocationRecord): void => {
    const key = `${r.functionName}\u0000${r.status}\u0000${r.trigger}`;
    let c = this.cache.get(key);
    if (!c) {
      const fn = { function: r.functionName };
      c = {
        inv: this.invocations.labels({ function: r.functionName, status: r.status, trigger: r.trigger }),
        dur: this.duration.labels(fn),
        init: this.init.labels(fn),
        cold: this.cold.labels(fn),
        thr: this.throttles.labels(fn),
        billed: this.billed.labels(fn),
      };
      this.cache.set(key, c);
    }
    c.inv.inc();
    if (r.status === 'throttled') {
      c.thr.inc();
      return;
    }
    c.dur.observe(r.durationMs / 1000);
    if (r.coldStart) {
      c.cold.inc();
      c.init.observe(r.initMs / 1000);
    }
    if (r.billedMs > 0) c.billed.inc(((r.memoryMb / 1024) * r.billedMs) / 1000);
  };

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
