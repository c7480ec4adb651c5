/**
 * The result of one scenario as written to bench/results/<scenario>.json. A metric holds,
 * per target, the per-round values and the summary the report shows. Nothing is ever
 * filled in for a target that did not run: it is listed in `notMeasured` with the reason.
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Histogram } from './histogram.ts';
import type { MachineInfo } from './machine.ts';
import { max, median, min, percentile } from './stats.ts';

export interface TargetInfo {
  readonly id: string;
  readonly label: string;
  readonly description: string;
}

export interface MetricValue {
  /** One value per round (for latency: the round's p50). */
  readonly rounds: number[];
  /** Latency: p50 of every sample pooled; otherwise the median of the rounds. */
  readonly median: number;
  /** Latency only: p99 of every sample pooled. */
  readonly p99?: number;
  readonly min: number;
  readonly max: number;
  /** How many samples the median/p99 come from. */
  readonly n: number;
  /** Latency only: [percentile, ms] pairs of the pooled distribution. */
  readonly curve?: Array<[number, number]>;
  /** Requests that failed or answered non-2xx while measuring (excluded from the figures). */
  readonly failures?: number;
}

export interface Metric {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly better: 'higher' | 'lower';
  /** 'latency' metrics carry pooled distributions and get a distribution chart. */
  readonly kind: 'latency' | 'rate' | 'size' | 'time' | 'count';
  readonly values: Record<string, MetricValue>;
}

export interface Timeline {
  readonly id: string;
  readonly label: string;
  readonly xUnit: string;
  readonly yUnit: string;
  /** Per target: [x, y] points. */
  readonly series: Record<string, Array<[number, number]>>;
}

export interface ScenarioResult {
  readonly scenario: string;
  readonly title: string;
  readonly description: string;
  readonly quick: boolean;
  readonly startedAt: string;
  readonly elapsedSec: number;
  readonly machine: MachineInfo;
  readonly settings: Record<string, string | number | boolean>;
  readonly targets: TargetInfo[];
  /** Ratios are reported as <target> / <baseline>. */
  readonly baseline: string;
  /** The metric the summary table shows (default: the first). */
  readonly headline?: string;
  readonly metrics: Metric[];
  readonly timelines: Timeline[];
  readonly notMeasured: Array<{ target: string; what: string; why: string }>;
  readonly notes: string[];
}

type MetricSpec = Omit<Metric, 'values'>;

/** Collects samples while a scenario runs and turns them into a ScenarioResult. */
export class Recorder {
  private readonly metrics = new Map<string, { spec: MetricSpec; rounds: Map<string, number[]>; hists: Map<string, Histogram>; samples: Map<string, number[]>; failures: Map<string, number> }>();
  readonly timelines: Timeline[] = [];
  readonly notMeasured: Array<{ target: string; what: string; why: string }> = [];
  readonly notes: string[] = [];

  metric(spec: MetricSpec): this {
    if (!this.metrics.has(spec.id)) {
      this.metrics.set(spec.id, { spec, rounds: new Map(), hists: new Map(), samples: new Map(), failures: new Map() });
    }
    return this;
  }

  private get(id: string) {
    const m = this.metrics.get(id);
    if (!m) throw new Error(`bench: metric ${id} was not declared`);
    return m;
  }

  /** One per-round value (throughput, memory, …). */
  round(metricId: string, target: string, value: number): void {
    const m = this.get(metricId);
    const list = m.rounds.get(target) ?? [];
    list.push(value);
    m.rounds.set(target, list);
  }

  /** A round's latency histogram: its p50 is the round value; samples pool across rounds. */
  latencyRound(metricId: string, target: string, hist: Histogram, failures = 0): void {
    const m = this.get(metricId);
    this.round(metricId, target, hist.percentileMs(50));
    const pooled = m.hists.get(target) ?? new Histogram();
    pooled.merge(hist);
    m.hists.set(target, pooled);
    m.failures.set(target, (m.failures.get(target) ?? 0) + failures);
  }

  /** Individual latency samples (cold starts): pooled exactly, no histogram rounding. */
  sample(metricId: string, target: string, ms: number): void {
    const m = this.get(metricId);
    const list = m.samples.get(target) ?? [];
    list.push(ms);
    m.samples.set(target, list);
  }

  failure(metricId: string, target: string, count = 1): void {
    const m = this.get(metricId);
    m.failures.set(target, (m.failures.get(target) ?? 0) + count);
  }

  skip(target: string, what: string, why: string): void {
    if (!this.notMeasured.some((n) => n.target === target && n.what === what)) this.notMeasured.push({ target, what, why });
  }

  /** A metric computed round by round from another one (e.g. transitions = executions × states). */
  derive(fromId: string, spec: MetricSpec, fn: (v: number) => number): void {
    const from = this.get(fromId);
    this.metric(spec);
    const to = this.get(spec.id);
    for (const [t, rounds] of from.rounds) to.rounds.set(t, rounds.map(fn));
  }

  note(text: string): void {
    this.notes.push(text);
  }

  build(head: Omit<ScenarioResult, 'metrics' | 'timelines' | 'notMeasured' | 'notes'>): ScenarioResult {
    const metrics: Metric[] = [];
    for (const { spec, rounds, hists, samples, failures } of this.metrics.values()) {
      const values: Record<string, MetricValue> = {};
      const targets = new Set([...rounds.keys(), ...samples.keys(), ...failures.keys()]);
      for (const t of targets) {
        const r = rounds.get(t) ?? [];
        const h = hists.get(t);
        const s = samples.get(t);
        const f = failures.get(t) ?? 0;
        const fail = f > 0 ? { failures: f } : {};
        if (h && h.total > 0) {
          values[t] = { rounds: r, median: h.percentileMs(50), p99: h.percentileMs(99), min: min(r), max: max(r), n: h.total, curve: h.curve(), ...fail };
        } else if (s && s.length > 0) {
          const curve = [0, 10, 25, 50, 75, 90, 95, 99, 100].map((p) => [p, percentile(s, p)] as [number, number]);
          values[t] = { rounds: s, median: median(s), p99: percentile(s, 99), min: min(s), max: max(s), n: s.length, curve, ...fail };
        } else if (r.length > 0) {
          values[t] = { rounds: r, median: median(r), min: min(r), max: max(r), n: r.length, ...fail };
        } else if (f > 0) {
          values[t] = { rounds: [], median: NaN, min: NaN, max: NaN, n: 0, ...fail };
        }
      }
      if (Object.keys(values).length > 0) metrics.push({ ...spec, values });
    }
    return { ...head, metrics, timelines: this.timelines, notMeasured: this.notMeasured, notes: this.notes };
  }
}

export const resultsDir = (quick: boolean) =>
  new URL(quick ? '../results/quick/' : '../results/', import.meta.url).pathname;

/** NaN/Infinity become null in JSON; read back they are NaN again. */
export function writeResult(dir: string, r: ScenarioResult): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${r.scenario}.json`);
  writeFileSync(file, JSON.stringify(r, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
  return file;
}

export function readResults(dir: string): ScenarioResult[] {
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  // Other reports share the folder (compat.json): a scenario's result names its scenario.
  return files
    .sort()
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8'), (_k, v) => (v === null ? NaN : v)) as ScenarioResult)
    .filter((r) => typeof r.scenario === 'string' && typeof r.machine === 'object');
}
