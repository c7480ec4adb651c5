/**
 * Workflow transitions and async invocations, two checkouts of Nimbus taking turns in one
 * run (A/B), each measured as server CPU per transition / per invocation (utime + stime of
 * the server's process tree from /proc, all threads: exact for the server however busy the
 * machine is) next to the rate (which is not).
 *
 *   node --no-node-snapshot --import tsx bench/micro/flows-ab.ts --a <checkout> --b <checkout> [--rounds 5] [--seconds 3]
 *
 * --a and --b default to this checkout. Each checkout runs from its src/ when it has no
 * dist/. Per round and checkout: "workflow", 10 clients each running executions of 10 Task
 * states (the step function) to completion (POST /api/v1/workflows/task/run); then "async",
 * 50 clients submitting the step function with `Prefer: respond-async` for the same time,
 * then waiting until every accepted one has run (end to end: accepted ÷ first submit to
 * last completion; CPU over submit and drain, ÷ accepted). --only workflow|async runs one;
 * --prof <dir> profiles side A (--cpu-prof).
 */
import http from 'node:http';
import { stepSource } from '../lib/functions.ts';
import { readFileSync } from 'node:fs';
import { cpuMsOf, sleep } from '../lib/proc.ts';
import { startNimbus, type NimbusTarget } from '../targets/nimbus.ts';

const strArg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const here = new URL('../../', import.meta.url).pathname;
const ROOTS = { A: strArg('a', here), B: strArg('b', here) };
const ROUNDS = Number(strArg('rounds', '5'));
const SECONDS = Number(strArg('seconds', '3'));
const ONLY = strArg('only', 'workflow,async').split(',');
/** --prof <dir>: side A runs with --cpu-prof into <dir> (written when it stops). */
const PROF = strArg('prof', '');
/** --env-a K=V,K2=V2: environment for side A only (experiments behind a variable). */
const ENV_A = Object.fromEntries(strArg('env-a', '').split(',').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
const TASK_STATES = 10;
const States: Record<string, unknown> = {};
for (let i = 1; i <= TASK_STATES; i++) {
  States[`S${i}`] = { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:step', ...(i < TASK_STATES ? { Next: `S${i + 1}` } : { End: true }) };
}
const INPUT = { order: 42, items: [1, 2, 3], steps: 0 };
const BODY = JSON.stringify({ order: 42, items: [1, 2, 3] });

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** CPU ms of the server's main thread alone (where its JavaScript and SQLite run). */
function mainCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

interface Side {
  readonly label: string;
  readonly n: NimbusTarget;
}

async function setUp(label: string, root: string): Promise<Side> {
  const n = await startNimbus({ root, ...(label === 'A' ? { env: ENV_A } : {}), ...(PROF && label === 'A' ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROF}`] } : {}) });
  await n.deploy('step', stepSource(), { concurrency: 64, targetConcurrency: 32, maxInstances: 4, minInstances: 1 });
  const r = await n.api('PUT', '/api/v1/workflows/task', { definition: { StartAt: 'S1', States } });
  if (r.status >= 300) throw new Error(`${label}: deploy workflow: ${r.status} ${r.body}`);
  return { label, n };
}

async function workflowRound(side: Side): Promise<{ rate: number; cpuUs: number; mainUs: number }> {
  const url = side.n.baseUrl + '/api/v1/workflows/task/run';
  const headers = { authorization: `Bearer ${side.n.token}` };
  const body = JSON.stringify({ input: INPUT });
  let done = 0;
  const cpu0 = cpuMsOf(side.n.pid);
  const main0 = mainCpuMs(side.n.pid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (performance.now() - t0 < SECONDS * 1000) {
        const r = await post(url, body, headers);
        if (r.status !== 200) throw new Error(`${side.label}: run answered ${r.status}: ${r.body.slice(0, 300)}`);
        const out = (JSON.parse(r.body) as { output?: { steps?: number } }).output;
        if (out?.steps !== TASK_STATES) throw new Error(`${side.label}: output ${r.body.slice(0, 300)}`);
        done++;
      }
    }),
  );
  const el = (performance.now() - t0) / 1000;
  const cpuMs = cpuMsOf(side.n.pid) - cpu0;
  const mainMs = mainCpuMs(side.n.pid) - main0;
  return { rate: (done * TASK_STATES) / el, cpuUs: (cpuMs * 1000) / (done * TASK_STATES), mainUs: (mainMs * 1000) / (done * TASK_STATES) };
}

async function counts(side: Side): Promise<{ done: number; pending: number }> {
  const r = await side.n.api('GET', '/api/v1/async?function=step&limit=1');
  const c = (JSON.parse(r.body) as { counts: Record<string, number> }).counts;
  return { done: c.succeeded + (c.dead ?? 0), pending: (c.queued ?? 0) + (c.running ?? 0) };
}

async function asyncRound(side: Side): Promise<{ rate: number; accepted: number; cpuUs: number; mainUs: number }> {
  while ((await counts(side)).pending > 0) await sleep(20);
  const base = (await counts(side)).done;
  const url = side.n.baseUrl + '/api/v1/functions/step/invoke';
  const headers = { authorization: `Bearer ${side.n.token}`, prefer: 'respond-async' };
  let accepted = 0;
  const cpu0 = cpuMsOf(side.n.pid);
  const main0 = mainCpuMs(side.n.pid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (performance.now() - t0 < SECONDS * 1000) {
        const r = await post(url, BODY, headers);
        if (r.status !== 202) throw new Error(`${side.label}: submit answered ${r.status}: ${r.body.slice(0, 300)}`);
        accepted++;
      }
    }),
  );
  while ((await counts(side)).done - base < accepted) await sleep(5);
  const el = (performance.now() - t0) / 1000;
  const cpuMs = cpuMsOf(side.n.pid) - cpu0;
  const mainMs = mainCpuMs(side.n.pid) - main0;
  return { rate: accepted / el, accepted, cpuUs: (cpuMs * 1000) / accepted, mainUs: (mainMs * 1000) / accepted };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) => `${median(xs).toFixed(0)} (${Math.min(...xs).toFixed(0)}-${Math.max(...xs).toFixed(0)})`;

const sides = [await setUp('A', ROOTS.A), await setUp('B', ROOTS.B)];
const out: Record<string, Record<string, number[]>> = {};
const put = (side: string, key: string, v: number) => ((out[side] ??= {})[key] ??= []).push(v);
try {
  // warm-up: instances started, JIT warm
  for (const s of sides) {
    if (ONLY.includes('workflow')) await workflowRound(s);
    if (ONLY.includes('async')) await asyncRound(s);
  }
  console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const s of order) {
      if (ONLY.includes('workflow')) {
        const w = await workflowRound(s);
        put(s.label, 'wf transitions/s', w.rate);
        put(s.label, 'wf CPU µs/transition', w.cpuUs);
        put(s.label, 'main thread', w.mainUs);
        console.log(`round ${round} ${s.label} workflow: ${w.rate.toFixed(0)} transitions/s, ${w.cpuUs.toFixed(1)} µs CPU/transition (main thread ${w.mainUs.toFixed(1)})`);
      }
      if (ONLY.includes('async')) {
        const a = await asyncRound(s);
        put(s.label, 'async inv/s', a.rate);
        put(s.label, 'async CPU µs/inv', a.cpuUs);
        put(s.label, 'main thread ', a.mainUs);
        console.log(`round ${round} ${s.label} async: ${a.rate.toFixed(0)} inv/s end to end (${a.accepted}), ${a.cpuUs.toFixed(1)} µs CPU/invocation (main thread ${a.mainUs.toFixed(1)})`);
      }
    }
  }
  console.log(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  for (const [side, m] of Object.entries(out)) {
    console.log(`${side} (${side === 'A' ? ROOTS.A : ROOTS.B}): ${Object.entries(m).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
  }
} finally {
  for (const s of sides) await s.n.stop();
  agent.destroy();
}
