/**
 * Async throughput: invocations submitted as fast as the platform accepts them (202),
 * then how long until every accepted one has run. raw node: an in-memory array drained by
 * the same process (no persistence): the physical limit of "accept now, run later".
 */
import { stepSource } from '../lib/functions.ts';
import { request } from '../lib/http.ts';
import { sleep } from '../lib/proc.ts';
import { interleavedLoad, type LoadTarget } from '../lib/rounds.ts';
import type { Recorder } from '../lib/results.ts';
import type { Scenario, Settings } from '../lib/scenario.ts';
import { startRaw } from '../targets/raw-node.ts';
import { NIMBUS, RAW, type HttpTarget } from '../targets/types.ts';
import { attempt, nimbusWith, stopAll } from './common.ts';
import { nimbusAsync } from './nimbus-async.ts';

const CONNECTIONS = 50;
const DRAIN_TIMEOUT_MS = 120_000;
const BODY = JSON.stringify({ order: 42, items: [1, 2, 3] });

/**
 * After a submit round: waits (bounded) until `completed()` has grown by `accepted`, then
 * records the drain time and the end-to-end rate (accepted / time from first submit to
 * last completion).
 */
function drainHook(
  s: Settings,
  rec: Recorder,
  target: string,
  completed: () => Promise<number>,
  pending: () => Promise<number>,
  onDrained?: () => Promise<void>,
) {
  let base = 0;
  return {
    // Start each round with an empty backlog (the warm-up's or the previous round's).
    before: async () => {
      const t0 = performance.now();
      while ((await pending()) > 0) {
        if (performance.now() - t0 > DRAIN_TIMEOUT_MS) throw new Error(`${target}: backlog not empty ${DRAIN_TIMEOUT_MS / 1000} s before a round`);
        await sleep(10);
      }
      base = await completed();
    },
    after: async (round: number, r: { ok: number }, startedAt: number) => {
      const loadEnd = performance.now();
      let done = 0;
      while (performance.now() - loadEnd < DRAIN_TIMEOUT_MS) {
        done = (await completed()) - base;
        if (done >= r.ok) break;
        await sleep(10);
      }
      if (done < r.ok) {
        rec.skip(target, `drain, round ${round}`, `${r.ok - done} of ${r.ok} accepted invocations had not run ${DRAIN_TIMEOUT_MS / 1000} s after the last submit`);
        return;
      }
      const end = performance.now();
      rec.round('drain-after', target, end - loadEnd);
      rec.round('end-to-end', target, r.ok / ((end - startedAt) / 1000));
      s.log(`    drained ${r.ok} in ${(end - loadEnd).toFixed(0)} ms after the last submit`);
      await onDrained?.();
    },
  };
}

export const asyncThroughput: Scenario = {
  id: 'async-throughput',
  title: 'Async throughput',
  description:
    `Asynchronous invocations of the step handler (a ${BODY.length}-byte JSON event) submitted by autocannon with ` +
    `${CONNECTIONS} connections: accepted per second (202 answers) and submit latency; then, with submits stopped, the time ` +
    'until every accepted invocation has run, and the end-to-end rate (accepted ÷ time from the first submit to the last ' +
    'completion), and for Nimbus the enqueue-to-start delay of each invocation (queue item enqueuedAt to its first ' +
    "attempt's record startedAt, ms resolution). raw node keeps the queue in memory (nothing survives a crash); Nimbus " +
    'persists every submit first.',
  async run(s, rec) {
    rec.metric({ id: 'end-to-end', label: 'Invocations run per second, end to end', unit: 'inv/s', better: 'higher', kind: 'rate' });
    rec.metric({ id: 'drain-after', label: 'Backlog drain after the last submit', unit: 'ms', better: 'lower', kind: 'time' });
    rec.metric({ id: 'enqueue-to-start', label: 'Enqueue to start, per invocation (newest 1,000 of each round)', unit: 'ms', better: 'lower', kind: 'latency' });
    const started: Array<HttpTarget | null> = [];
    const targets: LoadTarget[] = [];
    try {
      const raw = await attempt(s, rec, RAW, 'all figures', () => startRaw());
      started.push(raw);
      if (raw) {
        const stats = async () => JSON.parse((await request(`${raw.baseUrl}/async-stats`)).body) as { accepted: number; completed: number };
        const completed = async () => (await stats()).completed;
        const pending = async () => {
          const st = await stats();
          return st.accepted - st.completed;
        };
        targets.push({
          info: raw.info,
          baseUrl: raw.baseUrl,
          requests: [{ path: '/async/step', method: 'POST', body: BODY }],
          memory: () => raw.memory(),
          ...drainHook(s, rec, RAW.id, completed, pending),
        });
      }
      const nb = await nimbusWith(s, rec, 'all figures', { step: stepSource() });
      started.push(nb);
      if (nb) {
        const api = await attempt(s, rec, NIMBUS, 'all figures', () => nimbusAsync(nb));
        if (api) {
          targets.push({
            info: nb.info,
            baseUrl: nb.baseUrl,
            requests: [{ path: api.submitPath('step'), method: 'POST', body: BODY, headers: api.headers }],
            memory: () => nb.memory(),
            ...drainHook(s, rec, NIMBUS.id, () => api.completed('step'), () => api.pending('step'), async () => {
              for (const ms of await api.startDelays('step', 1000)) rec.sample('enqueue-to-start', NIMBUS.id, ms);
            }),
          });
        }
      }
      await interleavedLoad(s, rec, targets, { connections: CONNECTIONS, prefix: 'submit-', suffix: ' (submits, 202)' });
      return { targets: targets.map((t) => t.info), settings: { connections: CONNECTIONS, eventBytes: BODY.length } };
    } finally {
      await stopAll(started);
    }
  },
};
