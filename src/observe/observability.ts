/**
 * Everything derived from the record stream, built once by server/platform.ts: metrics
 * (GET /metrics), the recent window (`nimbus top`, alert rules), usage reports with the
 * price sheet, alerts, record retention, and the per-invocation observer (trace, CPU,
 * memory, occupancy). With observability off none of it is built.
 */
import type { Clock, TimerHandle } from '../core/clock.ts';
import type { InvocationRecord } from '../core/types.ts';
import type { Store } from '../store/ports.ts';
import type { PoolRegistry } from '../pool/registry.ts';
import { AlertService } from './alerts/service.ts';
import { fetchPost, WebhookSender, type Post } from './alerts/webhook.ts';
import type { LogCollector } from './log-collector.ts';
import { Metrics } from './metrics.ts';
import { InvocationObserver } from './observer.ts';
import { grossCost, type PriceSheet } from './pricing.ts';
import type { Recorder } from './recorder.ts';
import { RecordRetention } from './retention.ts';
import { usageReport, type UsageGrouping } from './usage-report.ts';
import { RecentWindow, type WindowSummary } from './window.ts';
import { restoreWindow } from './window-restore.ts';
import { addUsage, ZERO_USAGE } from '../core/usage.ts';

export interface ObservabilityDeps {
  readonly clock: Clock;
  readonly store: Store;
  readonly pools: PoolRegistry;
  readonly recorder: Recorder;
  readonly logs: LogCollector;
  readonly observer: InvocationObserver;
  readonly prices: PriceSheet;
  readonly retention: { readonly maxAgeMs: number; readonly keep: number };
  readonly alerts: { readonly intervalMs: number; readonly webhookUrl: string; readonly rules: readonly unknown[]; readonly post?: Post };
  readonly onError: (error: unknown, what: string) => void;
  readonly onInfo?: (fields: Record<string, unknown>, msg: string) => void;
  /** Records the previous run lost (RecordLedger), shown as a metric. */
  readonly recordsLostPreviousRun?: number;
}

/** How often busy instances are sampled (heap, CPU); idle ones are not. */
export const SAMPLE_MS = 20;

export class Observability {
  readonly metrics: Metrics;
  readonly window = new RecentWindow();
  readonly observer: InvocationObserver;
  readonly alerts: AlertService;
  readonly retention: RecordRetention;
  private sampler: TimerHandle | null = null;
  /** Records of the hour before the start read into the window (resolves when done). */
  restored: Promise<number> = Promise.resolve(0);
  private unsubscribe: (() => void) | null = null;

  constructor(readonly deps: ObservabilityDeps) {
    const { clock, store, pools } = deps;
    this.observer = deps.observer;
    this.metrics = new Metrics({
      pools: () => poolGauges(pools),
      asyncCounts: async () => asyncCounts(store),
      recordsDropped: () => deps.recorder.dropped,
      recordsUnwritten: () => deps.recorder.unwritten(),
      recordsLostPreviousRun: () => deps.recordsLostPreviousRun ?? 0,
    });
    const webhook = deps.alerts.webhookUrl
      ? new WebhookSender({
          clock,
          url: deps.alerts.webhookUrl,
          post: deps.alerts.post ?? fetchPost,
          onDelivered: (id) => void store.alerts.markDelivered(id).catch((e) => deps.onError(e, 'marking an alert delivered')),
          onGaveUp: (id, why) => deps.onError(new Error(why), `alert ${id}: the webhook did not accept it after every retry`),
        })
      : undefined;
    const window = this.window;
    this.alerts = new AlertService({
      clock,
      repo: store.alerts,
      intervalMs: deps.alerts.intervalMs,
      webhook,
      onError: deps.onError,
      measures: {
        window: {
          summary: (...args) => this.current().window.summary(...args),
          get coveredFrom() {
            return window.coveredFrom;
          },
        },
        dlqSize: async (fn) => (await store.queue.counts(fn)).dead,
        costPerDay: async (fn, now) => {
          await deps.recorder.flush();
          const rows = await store.usage.list({ functionName: fn, since: now - 86_400_000 + 3_600_000 });
          return grossCost(rows.reduce((t, r) => addUsage(t, r), ZERO_USAGE), deps.prices);
        },
      },
    });
    this.retention = new RecordRetention({
      clock,
      repo: store.invocations,
      maxAgeMs: deps.retention.maxAgeMs,
      keep: deps.retention.keep,
      onPruned: (n) => deps.onInfo?.({ records: n }, 'records past the retention deleted'),
      onError: (e) => deps.onError(e, 'enforcing record retention'),
    });
  }

  async start(): Promise<void> {
    const { clock, recorder } = this.deps;
    this.unsubscribe = recorder.subscribe(this.onRecord);
    // The window holds what this process sees from now; the records of the hour before are read in meanwhile.
    const startedAt = clock.now();
    this.window.coveredFrom = startedAt;
    this.restored = restoreWindow(this.window, this.deps.store.invocations, startedAt).catch((e) => {
      this.deps.onError(e, 'reading recent records into the window');
      return 0;
    });
    this.retention.start();
    await this.alerts.start(this.deps.alerts.rules);
    // Busy instances get their heap read while they run (a reading answers the previous
    // request's value), so an invocation of a few tens of ms sees its peak. The sampler runs
    // only while an instance is busy: an idle platform is not woken 50 times a second (it
    // cost ~9 ms of CPU a second doing nothing).
    const meter = this.observer.meter;
    const sample = () => {
      this.sampler = clock.setTimer(SAMPLE_MS, () => {
        meter.tick();
        if (meter.busy() > 0) sample();
        else this.sampler = null;
      });
    };
    meter.onBusy = () => {
      if (this.sampler === null) sample();
    };
    if (meter.busy() > 0) sample();
  }

  stop(): void {
    this.observer.meter.onBusy = null; // no sampler after stop
    this.unsubscribe?.();
    this.sampler?.cancel();
    this.sampler = null;
    this.retention.stop();
    this.alerts.stop();
  }

  private readonly onRecord = (r: InvocationRecord, pushedAt: number): void => {
    this.metrics.onRecord(r);
    this.window.add(r, pushedAt);
  };

  /** Itself, once the recorder has shown its listeners every record pushed: what the metrics and the window say is current. */
  private current(): this {
    this.deps.recorder.catchUp();
    return this;
  }

  /** GET /metrics. */
  async metricsText(): Promise<string> {
    return this.current().metrics.text();
  }

  async usage(q: { since: number; until: number; by: UsageGrouping; functionName?: string }) {
    // Records still in memory are written first: usage is the sum of every record so far.
    await this.deps.recorder.flush();
    return usageReport(this.deps.store.usage, this.deps.prices, q);
  }

  /** Per function: the recent window plus live instances, for `nimbus top`. */
  top(windowMs: number) {
    this.current();
    const now = this.deps.clock.now();
    const gauges = new Map(poolGauges(this.deps.pools).map((g) => [g.functionName, g]));
    const names = new Set([...this.window.functions(), ...gauges.keys()]);
    return [...names].sort().map((name) => ({ function: name, ...this.row(this.window.summary(name, windowMs, now), gauges.get(name)) }));
  }

  /** All functions together over the window (percentiles of every invocation, not of the functions' percentiles), for the console's overview. */
  topTotal(windowMs: number) {
    this.current();
    const gauges = poolGauges(this.deps.pools);
    const sum = (f: (g: (typeof gauges)[number]) => number) => gauges.reduce((n, g) => n + f(g), 0);
    return this.row(this.window.summary(undefined, windowMs, this.deps.clock.now()), {
      busy: sum((g) => g.busy),
      idle: sum((g) => g.idle),
      starting: sum((g) => g.starting),
      inFlight: sum((g) => g.inFlight),
      queued: sum((g) => g.queued),
    });
  }

  private row(s: WindowSummary, g: { busy: number; idle: number; starting: number; inFlight: number; queued: number } | undefined) {
    return {
        rps: Math.round(s.rps * 100) / 100,
        requests: s.requests,
        errors: s.errors,
        errorRate: Math.round(s.errorRate * 10000) / 10000,
        throttles: s.throttles,
        coldStarts: s.coldStarts,
        p50Ms: s.p50Ms,
        p99Ms: s.p99Ms,
        instances: g ? g.busy + g.idle : 0,
        starting: g?.starting ?? 0,
        inFlight: g?.inFlight ?? 0,
        queued: g?.queued ?? 0,
    };
  }
}

function poolGauges(pools: PoolRegistry) {
  const by = new Map<string, { functionName: string; ready: number; starting: number; busy: number; idle: number; inFlight: number; queued: number }>();
  for (const pool of pools.all()) {
    const s = pool.stats();
    const g = by.get(s.functionName) ?? { functionName: s.functionName, ready: 0, starting: 0, busy: 0, idle: 0, inFlight: 0, queued: 0 };
    g.ready += s.ready;
    g.starting += s.starting;
    g.inFlight += s.inFlight;
    g.queued += s.queued;
    for (const i of s.instances) if (i.inFlight > 0) g.busy++;
    else g.idle++;
    by.set(s.functionName, g);
  }
  return [...by.values()];
}

async function asyncCounts(store: Store): Promise<Array<{ functionName: string; state: string; count: number }>> {
  const out: Array<{ functionName: string; state: string; count: number }> = [];
  for (const f of await store.functions.list()) {
    const c = await store.queue.counts(f.name);
    for (const [state, count] of Object.entries(c)) if (count > 0) out.push({ functionName: f.name, state, count });
  }
  return out;
}
