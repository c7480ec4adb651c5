/**
 * The burst scenario (200 requests at once, each on a new connection, at a function with
 * nothing running) against several builds of the platform and workerd, alternated round
 * by round, with what each Nimbus burst did: the server's CPU during the burst and 50 ms
 * after (all threads and the main thread, from each thread's schedstat), instances started and the requests each
 * served (from the burst's records), cold starts, and the autoscaler's decisions.
 *
 *   node --no-node-snapshot --import tsx bench/micro/burst-ab.ts [--rounds 7] [--burst 200] \
 *     workerd=WORKERD base=/tmp/base this=.
 *
 * `label=DIR[:flag,flag]` starts `bin/nimbus.mjs up` of that tree (its dist/: build it first)
 * with the flags; `label=WORKERD` is a fresh workerd process per round, fired at once its
 * port accepts, as the burst scenario does.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { burst } from '../lib/burst.ts';
import { helloSource } from '../lib/functions.ts';
import { processTree, sleep } from '../lib/proc.ts';
import { startNimbus, type NimbusTarget } from '../targets/nimbus.ts';
import { startWorkerd } from '../targets/workerd.ts';
import { arg } from './common.ts';

const ROUNDS = arg('rounds', 7);
const BURST = arg('burst', 200);
const CONFIG = { memoryMb: 128, timeoutMs: 10000, concurrency: 16, targetConcurrency: 10, minInstances: 0, maxInstances: 50, idleTimeoutMs: 60000 };

interface Row {
  makespan: number;
  first: number;
  p50: number;
  cpuAll: number;
  cpuMain: number;
  started: number;
  perInstance: string;
  cold: number;
  decisions: string;
}

interface Target {
  readonly label: string;
  readonly nimbus: NimbusTarget | null;
  readonly rows: Row[];
}

/** CPU ms of the process tree, all threads and the main threads, from schedstat (ns): ticks are too coarse for one burst. */
function cpuMs(pid: number): { all: number; main: number } {
  let all = 0;
  let main = 0;
  for (const p of processTree(pid)) {
    try {
      for (const tid of readdirSync(`/proc/${p}/task`)) {
        const ns = Number(readFileSync(`/proc/${p}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
        all += ns / 1e6;
        if (tid === String(p)) main += ns / 1e6;
      }
    } catch {
      /* exited */
    }
  }
  return { all, main };
}

async function start(spec: string): Promise<Target> {
  const [label, rest = ''] = spec.split('=');
  const [dir, flagList = ''] = rest.split(':');
  if (dir === 'WORKERD') return { label, nimbus: null, rows: [] };
  const nimbus = await startNimbus({ root: resolve(dir), extraArgs: ['--log-level', 'warn', ...flagList.split(',').filter(Boolean)] });
  return { label, nimbus, rows: [] };
}

async function roundOf(t: Target, round: number): Promise<Row> {
  if (t.nimbus === null) {
    const w = await startWorkerd({ workers: [{ name: 'hello', source: helloSource() }], readiness: 'port' });
    try {
      const before = cpuMs(w.pid);
      const o = await burst(w.baseUrl + w.fnPath('hello'), BURST);
      await sleep(50);
      const after = cpuMs(w.pid);
      return { makespan: o.makespanMs, first: o.okMs[0] ?? NaN, p50: o.okMs[o.okMs.length >> 1] ?? NaN, cpuAll: after.all - before.all, cpuMain: after.main - before.main, started: 1, perInstance: '', cold: 0, decisions: '' };
    } finally {
      await w.stop();
    }
  }
  const n = t.nimbus;
  const name = `burst-${round}`;
  await n.deploy(name, helloSource(), CONFIG);
  await sleep(300); // spares refilled after the deploy's check, as between the scenario's rounds
  const before = cpuMs(n.pid);
  const o = await burst(n.baseUrl + n.fnPath(name), BURST);
  await sleep(50);
  const after = cpuMs(n.pid);
  const failed = Object.entries(o.failures);
  if (failed.length > 0) console.log(`  ${t.label}: failures ${JSON.stringify(o.failures)}`);
  const recs = JSON.parse((await n.api('GET', `/api/v1/invocations?function=${name}&limit=1000`)).body).items as Array<{ instanceId: string | null; coldStart: boolean; initMs: number }>;
  const per = new Map<string, number>();
  for (const r of recs) if (r.instanceId) per.set(r.instanceId, (per.get(r.instanceId) ?? 0) + 1);
  const scale = JSON.parse((await n.api('GET', `/api/v1/functions/${name}/scale`)).body) as { decisions?: Array<{ at: number; trigger: string; desired: number; started: number; boundBy: string; current: number; currentConcurrency: number }> };
  const list = [...(scale.decisions ?? [])].reverse();
  const decisions = list.map((d) => `${d.trigger}@${(d.at - list[0]!.at).toFixed(0)}ms:${d.currentConcurrency}req ${d.current}→${d.desired}(+${d.started},${d.boundBy})`).join(' ');
  return {
    makespan: o.makespanMs,
    first: o.okMs[0] ?? NaN,
    p50: o.okMs[o.okMs.length >> 1] ?? NaN,
    cpuAll: after.all - before.all,
    cpuMain: after.main - before.main,
    started: per.size,
    perInstance: [...per.values()].sort((a, b) => b - a).join('/'),
    cold: recs.filter((r) => r.coldStart).length,
    decisions,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const specs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && !all[i - 1]?.startsWith('--'));
const targets: Target[] = [];
try {
  for (const spec of specs) targets.push(await start(spec));
  for (let round = 1; round <= ROUNDS; round++) {
    for (const t of round % 2 === 1 ? targets : [...targets].reverse()) {
      const row = await roundOf(t, round);
      t.rows.push(row);
      const loadAvg = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      console.log(
        `round ${round} ${t.label.padEnd(10)} makespan ${row.makespan.toFixed(1).padStart(6)} ms  first ${row.first.toFixed(1)}  p50 ${row.p50.toFixed(1)}  CPU ${row.cpuAll.toFixed(0)} ms (main ${row.cpuMain.toFixed(0)})` +
          (t.nimbus ? `  instances ${row.started} [${row.perInstance}] cold ${row.cold}  ${row.decisions}` : '') +
          `  load ${loadAvg}`,
      );
    }
  }
} finally {
  for (const t of targets) await t.nimbus?.stop();
}
console.log(`\nmedians of ${ROUNDS} rounds, burst of ${BURST}\n`);
console.log('| target | makespan ms | first ms | p50 ms | server CPU ms, all threads | main thread | instances |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const t of targets) {
  const m = (f: (r: Row) => number) => median(t.rows.map(f));
  console.log(`| ${t.label} | ${m((r) => r.makespan).toFixed(1)} | ${m((r) => r.first).toFixed(1)} | ${m((r) => r.p50).toFixed(1)} | ${m((r) => r.cpuAll).toFixed(0)} | ${m((r) => r.cpuMain).toFixed(0)} | ${m((r) => r.started)} |`);
}
