/**
 * Observability on vs off: the warm hello load against two Nimbus servers, one as
 * shipped (a record per invocation, logs, metrics) and one with observability switched
 * off, plus raw node as the floor. The switch is found in the flags `nimbus up` knows,
 * or given explicitly as NIMBUS_BENCH_OBS_OFF="--flag value …".
 *
 * The two differ by a few per cent, less than one round of a shared machine swings, so the
 * figure is paired (lib/paired.ts): each round loads on and off back to back, in swapped
 * order every round, and the ratio is taken per round, for req/s and for the servers' CPU
 * per response; the median of those ratios is the result. Fresh servers settle at
 * different speeds, so the rounds are spread over two pairs of fresh servers.
 */
import { execFileSync } from 'node:child_process';
import { helloSource } from '../lib/functions.ts';
import { describeRatios, pairOrder, pairRatios, splitRounds } from '../lib/paired.ts';
import { load } from '../lib/load.ts';
import { declareCpuMetric, declareLoadMetrics, measureRound, type LoadTarget } from '../lib/rounds.ts';
import type { TargetInfo } from '../lib/results.ts';
import type { Scenario } from '../lib/scenario.ts';
import { nimbusMissing, type NimbusTarget } from '../targets/nimbus.ts';
import { startRaw } from '../targets/raw-node.ts';
import { RAW, type HttpTarget } from '../targets/types.ts';
import { attempt, nimbusWith, sameAnswers, stopAll } from './common.ts';

const CONNECTIONS = 50;
/** Fresh pairs of on/off servers the rounds are spread over. */
const PAIRS = 2;

const ON: TargetInfo = { id: 'nimbus-obs-on', label: 'Nimbus, observability on (default)', description: 'Nimbus as shipped: one invocation record per call, logs, metrics.' };
const OFF: TargetInfo = { id: 'nimbus-obs-off', label: 'Nimbus, observability off', description: 'Nimbus started with its observability switch off.' };
const root = new URL('../../', import.meta.url).pathname;

/** The arguments that turn observability off, or the reason none could be found. */
export function observabilityOffArgs(): string[] | string {
  const explicit = process.env.NIMBUS_BENCH_OBS_OFF;
  if (explicit) return explicit.split(/\s+/).filter(Boolean);
  let text = '';
  try {
    text = execFileSync(process.execPath, ['bin/nimbus.mjs', 'up', '--help'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000 });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    text = `${err.stdout ?? ''}\n${err.stderr ?? ''}`;
  }
  const flags = [...new Set(text.match(/--[a-z][a-z-]*/g) ?? [])];
  const flag = flags.find((f) => /observ|telemetry|records?$/.test(f));
  if (!flag) return '`nimbus up` has no flag to switch observability off yet (none matching observ/telemetry/records among its flags); set NIMBUS_BENCH_OBS_OFF to name one';
  return flag.startsWith('--no-') ? [flag] : [`--no-${flag.slice(2)}`];
}

export const observability: Scenario = {
  id: 'observability',
  title: 'Observability on vs off',
  description:
    'The warm hello load (GET, 50 connections) against two Nimbus servers started side by side: one as shipped ' +
    '(an invocation record per call, batched off the hot path), one with observability switched off; raw node:http ' +
    'as the floor. The ratio column here is against "observability off": it is the price of observability. ' +
    `Paired: every round loads on and off back to back, in swapped order each round, over ${PAIRS} pairs of fresh servers; ` +
    'the per-round ratios of req/s and of server CPU per response, and their medians, are the figures to read.',
  async run(s, rec) {
    const started: Array<HttpTarget | null> = [];
    declareLoadMetrics(rec);
    declareCpuMetric(rec, '', '');
    rec.metric({ id: 'pair-throughput', label: 'On ÷ off throughput, per round (paired)', unit: 'x', better: 'higher', kind: 'rate' });
    rec.metric({ id: 'pair-cpu', label: 'On ÷ off server CPU per response, per round (paired)', unit: 'x', better: 'lower', kind: 'time' });
    const asLoad = (t: HttpTarget): LoadTarget => ({ info: t.info, baseUrl: t.baseUrl, requests: [{ path: t.fnPath('hello') }], memory: () => t.memory(), pid: t.pid });
    const measured = new Set<string>();
    const pairs = { rps: [[], []] as [number[], number[]], cpu: [[], []] as [Array<number | null>, Array<number | null>] };
    try {
      const raw = await attempt(s, rec, RAW, 'all figures', () => startRaw());
      started.push(raw);
      const offArgs = nimbusMissing() ? nimbusMissing()! : observabilityOffArgs();
      if (typeof offArgs === 'string') {
        rec.skip(OFF.id, 'all figures', offArgs);
        s.log(`  ${OFF.id}: not measured: ${offArgs}`);
      }
      let round = 0;
      for (const [pair, rounds] of splitRounds(s.rounds, PAIRS).entries()) {
        const on = await nimbusWith(s, rec, 'all figures', { hello: helloSource() });
        const onT: NimbusTarget | null = on ? { ...on, info: ON } : null;
        if (!on) rec.skip(ON.id, 'all figures', 'Nimbus did not start (see the nimbus line)');
        started.push(onT);
        let offT: NimbusTarget | null = null;
        if (typeof offArgs !== 'string') {
          const off = await nimbusWith(s, rec, 'observability off', { hello: helloSource() }, undefined, { extraArgs: offArgs });
          offT = off ? { ...off, info: OFF } : null;
          started.push(offT);
        }
        const candidates = [raw, onT, offT].filter((t): t is HttpTarget => t !== null);
        const running = await sameAnswers(s, rec, 'all figures', candidates, { name: 'hello' });
        const runs = (t: HttpTarget | null) => t !== null && running.includes(t);
        for (const t of running) {
          s.log(`  warm-up ${t.info.id}, pair ${pair + 1} (${s.warmupSec}s, ${CONNECTIONS} connections)`);
          await load({ url: t.baseUrl, connections: CONNECTIONS, durationSec: s.warmupSec, requests: [{ path: t.fnPath('hello') }] });
        }
        for (let i = 0; i < rounds; i++) {
          round++;
          if (raw && runs(raw)) {
            await measureRound(s, rec, asLoad(raw), { connections: CONNECTIONS }, round);
            measured.add(RAW.id);
          }
          const both = onT && offT && runs(onT) && runs(offT);
          const order = both ? pairOrder(round, onT, offT) : [onT, offT].filter(runs);
          const got = new Map<string, { rps: number; cpuUs: number | null }>();
          for (const t of order) {
            if (!t) continue;
            const r = await measureRound(s, rec, asLoad(t), { connections: CONNECTIONS }, round);
            got.set(t.info.id, { rps: r.result.rps, cpuUs: r.cpuUs });
            measured.add(t.info.id);
          }
          const a = got.get(ON.id);
          const b = got.get(OFF.id);
          if (a && b) {
            pairs.rps[0].push(a.rps);
            pairs.rps[1].push(b.rps);
            pairs.cpu[0].push(a.cpuUs);
            pairs.cpu[1].push(b.cpuUs);
            if (b.rps > 0) rec.round('pair-throughput', ON.id, a.rps / b.rps);
            if (a.cpuUs !== null && b.cpuUs !== null && b.cpuUs > 0) rec.round('pair-cpu', ON.id, a.cpuUs / b.cpuUs);
            s.log(`  round ${round}: on ÷ off ${(a.rps / b.rps).toFixed(2)}x req/s, ${a.cpuUs !== null && b.cpuUs ? (a.cpuUs / b.cpuUs).toFixed(2) : '?'}x CPU per response`);
          }
        }
        await stopAll([onT, offT]);
        for (const t of [onT, offT]) if (t && started.includes(t)) started.splice(started.indexOf(t), 1);
      }
      const rps = pairRatios(...pairs.rps);
      const cpu = pairRatios(...pairs.cpu);
      if (rps.length > 0) {
        rec.note(`Paired on ÷ off (median of per-round ratios, range, count): throughput ${describeRatios(rps)}; server CPU per response ${describeRatios(cpu)}.`);
      } else {
        rec.note('With observability off not measured, ratios in this table are against raw node:http instead.');
      }
      const targets = [RAW, ON, OFF].filter((t) => measured.has(t.id));
      return {
        targets,
        settings: { connections: CONNECTIONS, pairs: PAIRS, offArgs: typeof offArgs === 'string' ? 'none found' : offArgs.join(' ') },
        baseline: measured.has(OFF.id) ? OFF.id : RAW.id,
      };
    } finally {
      await stopAll(started);
    }
  },
};
