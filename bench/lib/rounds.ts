/**
 * Interleaved load rounds: warm every target up, then for each round run the load against
 * target A, B, C, … in turn, so drift on a shared machine hits every target alike.
 */
import { load, type LoadRequest, type LoadResult } from './load.ts';
import { cpuMsOf, type Memory } from './proc.ts';
import type { Recorder, TargetInfo } from './results.ts';
import type { Settings } from './scenario.ts';

export interface LoadTarget {
  readonly info: TargetInfo;
  readonly baseUrl: string;
  readonly requests: readonly LoadRequest[];
  readonly memory?: () => Memory;
  /** The server's process: its CPU (all threads and children) per response is recorded too. */
  readonly pid?: number;
  /** Record into metrics with this id prefix / label suffix instead of the run's own. */
  readonly group?: { readonly prefix: string; readonly suffix: string };
  /** Runs just before / just after each measured round of this target (not for warm-up). */
  readonly before?: (round: number) => Promise<void>;
  readonly after?: (round: number, result: LoadResult, startedAt: number) => Promise<void>;
}

export interface RoundOptions {
  readonly connections: number;
  /** Metric ids get this prefix (for scenarios that run more than one load shape). */
  readonly prefix?: string;
  /** Label suffix, e.g. " (100 functions)". */
  readonly suffix?: string;
}

export function declareLoadMetrics(rec: Recorder, prefix = '', suffix = ''): void {
  rec.metric({ id: `${prefix}throughput`, label: `Throughput${suffix}`, unit: 'req/s', better: 'higher', kind: 'rate' });
  rec.metric({ id: `${prefix}latency`, label: `Latency${suffix}`, unit: 'ms', better: 'lower', kind: 'latency' });
  rec.metric({ id: `${prefix}rss`, label: `Server memory (RSS after each round)${suffix}`, unit: 'MB', better: 'lower', kind: 'size' });
}

/** Server CPU per response: on a machine the load generator shares, steadier than req/s. */
export function declareCpuMetric(rec: Recorder, prefix: string, suffix: string): void {
  rec.metric({ id: `${prefix}cpu`, label: `Server CPU per response, all threads${suffix}`, unit: 'µs', better: 'lower', kind: 'time' });
}

export async function interleavedLoad(s: Settings, rec: Recorder, targets: readonly LoadTarget[], o: RoundOptions): Promise<void> {
  declareLoadMetrics(rec, o.prefix ?? '', o.suffix ?? '');
  for (const t of targets) if (t.group) declareLoadMetrics(rec, t.group.prefix, t.group.suffix);
  if (targets.some((t) => t.pid !== undefined && !t.group)) declareCpuMetric(rec, o.prefix ?? '', o.suffix ?? '');
  for (const t of targets) if (t.pid !== undefined && t.group) declareCpuMetric(rec, t.group.prefix, t.group.suffix);
  for (const t of targets) {
    s.log(`  warm-up ${t.info.id}${t.group ? ` [${t.group.prefix.replace(/-$/, "")}]` : ""} (${s.warmupSec}s, ${o.connections} connections)`);
    await load({ url: t.baseUrl, connections: o.connections, durationSec: s.warmupSec, requests: t.requests });
  }
  for (let round = 1; round <= s.rounds; round++) {
    for (const t of targets) await measureRound(s, rec, t, o, round);
  }
}

/** One measured round of load against `t`, recorded; its result and the server's CPU µs per response (null without a pid). */
export async function measureRound(s: Settings, rec: Recorder, t: LoadTarget, o: RoundOptions, round: number): Promise<{ result: LoadResult; cpuUs: number | null }> {
  const prefix = t.group?.prefix ?? o.prefix ?? '';
  await t.before?.(round);
  const startedAt = performance.now();
  const cpuBefore = t.pid === undefined ? 0 : cpuMsOf(t.pid);
  const r = await load({ url: t.baseUrl, connections: o.connections, durationSec: s.durationSec, requests: t.requests });
  const failed = r.non2xx + r.errors;
  const responses = r.ok + r.non2xx;
  const cpuUs = t.pid !== undefined && responses > 0 ? ((cpuMsOf(t.pid) - cpuBefore) * 1000) / responses : null;
  if (cpuUs !== null) rec.round(`${prefix}cpu`, t.info.id, cpuUs);
  rec.round(`${prefix}throughput`, t.info.id, r.rps);
  rec.latencyRound(`${prefix}latency`, t.info.id, r.hist, failed);
  if (failed > 0) rec.failure(`${prefix}throughput`, t.info.id, failed);
  if (t.memory) rec.round(`${prefix}rss`, t.info.id, t.memory().rssKb / 1024);
  s.log(
    `  round ${round}/${s.rounds} ${(t.info.id + (t.group ? ` [${t.group.prefix.replace(/-$/, "")}]` : "")).padEnd(16)} ${r.rps.toFixed(0).padStart(7)} req/s  p50 ${r.hist.percentileMs(50).toFixed(2)} ms  p99 ${r.hist.percentileMs(99).toFixed(2)} ms${cpuUs !== null ? `  cpu ${cpuUs.toFixed(0)} µs/resp` : ''}${failed ? `  FAILED ${failed} (${JSON.stringify(r.statusCodes)})` : ''}`,
  );
  await t.after?.(round, r, startedAt);
  return { result: r, cpuUs };
}
