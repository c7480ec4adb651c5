/**
 * Many functions: N deployed, W of them warm. What each costs in memory, what deploying
 * costs, and what routing among W warm functions costs compared with hammering one.
 */
import { namedSource } from '../lib/functions.ts';
import { request } from '../lib/http.ts';
import { interleavedLoad, type LoadTarget } from '../lib/rounds.ts';
import type { Scenario } from '../lib/scenario.ts';
import { startRaw } from '../targets/raw-node.ts';
import { NIMBUS, RAW, WORKERD, type HttpTarget } from '../targets/types.ts';
import { startWorkerd } from '../targets/workerd.ts';
import { BENCH_CONFIG, attempt, nimbusWith, stopAll } from './common.ts';

/** Long enough that the warm functions stay warm through every round. */
const KEEP_WARM_MS = 30 * 60 * 1000;
const names = (n: number) => Array.from({ length: n }, (_, i) => `f${i}`);

/** GETs each function once and checks it answers with its own name. */
async function warmAll(t: HttpTarget, fns: readonly string[]): Promise<void> {
  for (const name of fns) {
    const r = await request(t.baseUrl + t.fnPath(name));
    if (r.status !== 200 || r.body !== `hello from ${name}`) {
      throw new Error(`${t.info.id}: GET ${t.fnPath(name)} answered ${r.status} "${r.body.slice(0, 80)}", expected "hello from ${name}"`);
    }
  }
}

export const manyFunctions: Scenario = {
  id: 'many-functions',
  title: 'Many functions (1,000 deployed, 100 warm)',
  description:
    'Nimbus: 1,000 functions deployed one after another through the API, then 100 of them called once (warm). ' +
    'Reported: the deploy call, resident memory per deployed and per warm function (RSS deltas of the server process), ' +
    'then load spread round-robin over the 100 warm functions versus load on a single one (50 connections each), ' +
    'which isolates the cost of routing among many live functions. raw node: one process with 1,000 route handlers in a Map. ' +
    'workerd: 100 workers behind a router worker with service bindings (workerd loads every configured worker at start: ' +
    'it has no "deployed but cold"); memory per worker = RSS(100 workers) − RSS(1 worker), divided by 99.',
  async run(s, rec) {
    const N = s.quick ? 100 : 1000;
    const W = s.quick ? 20 : 100;
    const warm = names(W);
    rec.metric({ id: 'deploy', label: 'Deploy call, one function among many', unit: 'ms', better: 'lower', kind: 'latency' });
    rec.metric({ id: 'mem-deployed', label: 'Memory per deployed (cold) function', unit: 'KB', better: 'lower', kind: 'size' });
    rec.metric({ id: 'mem-warm', label: 'Memory per warm function', unit: 'KB', better: 'lower', kind: 'size' });
    const started: Array<HttpTarget | null> = [];
    const loadTargets: LoadTarget[] = [];
    try {
      const raw = await attempt(s, rec, RAW, 'all figures', async () => {
        const t = await startRaw({ many: N });
        await warmAll(t, warm);
        return t;
      });
      started.push(raw);

      const wd = await attempt(s, rec, WORKERD, 'all figures', async () => {
        const one = await startWorkerd({ workers: [{ name: 'f0', source: namedSource('f0') }], router: true });
        await warmAll(one, ['f0']);
        const oneKb = one.memory().rssKb;
        await one.stop();
        const t = await startWorkerd({ workers: warm.map((name) => ({ name, source: namedSource(name) })) });
        await warmAll(t, warm);
        rec.round('mem-warm', WORKERD.id, (t.memory().rssKb - oneKb) / (W - 1));
        s.log(`  workerd: 1 worker ${(oneKb / 1024).toFixed(1)} MB, ${W} workers ${(t.memory().rssKb / 1024).toFixed(1)} MB`);
        return t;
      });
      started.push(wd);

      const nb = await nimbusWith(s, rec, 'all figures', {});
      started.push(nb);
      if (nb) {
        const ok = await attempt(s, rec, NIMBUS, 'all figures', async () => {
          const kb0 = nb.memory().rssKb;
          const t0 = performance.now();
          for (const name of names(N)) {
            const d0 = performance.now();
            await nb.deploy(name, namedSource(name), { ...BENCH_CONFIG, idleTimeoutMs: KEEP_WARM_MS });
            rec.sample('deploy', NIMBUS.id, performance.now() - d0);
          }
          const kbDeployed = nb.memory().rssKb;
          s.log(`  nimbus: ${N} deploys in ${((performance.now() - t0) / 1000).toFixed(1)} s, RSS ${(kb0 / 1024).toFixed(1)} → ${(kbDeployed / 1024).toFixed(1)} MB`);
          await warmAll(nb, warm);
          const kbWarm = nb.memory().rssKb;
          s.log(`  nimbus: ${W} warm, RSS ${(kbWarm / 1024).toFixed(1)} MB`);
          rec.round('mem-deployed', NIMBUS.id, (kbDeployed - kb0) / N);
          rec.round('mem-warm', NIMBUS.id, (kbWarm - kbDeployed) / W);
          return true;
        });
        if (!ok) {
          await nb.stop();
          started.pop();
        }
      }
      for (const t of started) {
        if (!t) continue;
        if (t === nb && rec.notMeasured.some((n) => n.target === NIMBUS.id)) continue;
        const mem = () => t.memory();
        loadTargets.push({
          info: t.info,
          baseUrl: t.baseUrl,
          requests: [{ path: t.fnPath('f0') }],
          memory: mem,
          group: { prefix: 'one-', suffix: ', one function' },
        });
        loadTargets.push({
          info: t.info,
          baseUrl: t.baseUrl,
          requests: warm.map((name) => ({ path: t.fnPath(name) })),
          memory: mem,
          group: { prefix: 'many-', suffix: `, spread over ${W} functions` },
        });
      }
      await interleavedLoad(s, rec, loadTargets, { connections: 50 });
      rec.note('Memory per function is one measurement (n=1) of RSS deltas; RSS also moves with garbage collection, so small values are within noise.');
      rec.note('raw node has no per-function memory worth measuring: a route is one closure in a Map.');
      return {
        targets: [...new Map(loadTargets.map((t) => [t.info.id, t.info])).values()],
        settings: { deployed: N, warm: W, connections: 50, nimbusConfig: JSON.stringify({ ...BENCH_CONFIG, idleTimeoutMs: KEEP_WARM_MS }) },
        headline: 'many-throughput',
      };
    } finally {
      await stopAll(started);
    }
  },
};
