/**
 * Observability's own work per invocation, without HTTP or an isolate: what the dispatcher
 * asks of it around each call (the trace span, the log collector's open and close, the
 * meter's begin and end on a stand-in instance, the record built and pushed; an invocation
 * begun in one turn ends in the next, so many are open at once), with the real
 * Recorder, the metrics and recent-window listeners, and the SQLite store with its record
 * writer thread. Invocations come as the server sees them under load: `--batch` of them a
 * turn of the event loop (setImmediate between turns) over five instances, or with `--rate`,
 * that many a second (each turn does those due, then waits for a 1 ms timer: a server's
 * pace, so a flush holds as many records as in a server at that load). CPU of the main
 * thread (/proc/self/task/<pid>/schedstat) and of the whole process (getrusage) around
 * each round, ÷ invocations; a round ends once every record is written. `--off`: the same
 * calls with observability switched off (the stand-ins server/observability.ts uses), the
 * floor the dispatcher pays either way (it builds the record in both).
 *
 *   node --no-node-snapshot --import tsx bench/micro/observe-path.ts [--root <checkout>] [--off 1] [--rounds 8] [--per-round 60000] [--batch 25] [--rate 15000] [--flags "--record-flush 100ms"]
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { arg } from './common.ts';

const strArg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const ROOT = resolve(strArg('root', new URL('../../', import.meta.url).pathname));
const OFF = arg('off', 0) === 1;
const ROUNDS = arg('rounds', 8);
const PER_ROUND = arg('per-round', 60_000);
const BATCH = arg('batch', 25);
const RATE = arg('rate', 0);
/** More `up` flags for the config (e.g. "--record-flush 100ms"). */
const FLAGS = strArg('flags', '').split(' ').filter((f) => f !== '');
const INSTANCES = 5;

const from = (p: string) => import(join(ROOT, p));
const { systemClock: clock } = await from('src/core/clock.ts');
const { newId } = await from('src/core/ids.ts');
const { openSqliteStore } = await from('src/store/sqlite/sqlite-store.ts');
const { observabilityParts, buildObservability } = await from('src/server/observability.ts');
const { loadConfig } = await from('src/config/config.ts');

const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-observe-path-'));
const config = loadConfig({}, ['--data', dataDir, ...(OFF ? ['--no-observability'] : []), ...FLAGS], process.cwd());
const store = openSqliteStore(join(dataDir, 'nimbus.db'));
const logger = { info() {}, warn() {}, error() {}, debug() {}, child() { return logger; } };
const parts = observabilityParts(config, clock, store, logger);
const observability = buildObservability(config, parts, { clock, store, pools: { all: () => [] }, logger });
await observability?.start();
const { logs, recorder, observer } = parts;

/** A stand-in instance: its CPU reading moves as an isolate's would under load. */
function instance(i: number) {
  let cpu = 0;
  return {
    id: newId(clock.now()) + i,
    initMs: 2,
    cpuMs: () => (cpu += 0.01),
    stats: () => ({ heapUsedBytes: 1_500_000, cpuMs: (cpu += 0.01) }),
  };
}
const instances = Array.from({ length: INSTANCES }, (_, i) => instance(i));
const headers: Array<[string, string]> = [['host', '127.0.0.1:3000'], ['user-agent', 'autocannon'], ['connection', 'keep-alive']];
const req = { input: { kind: 'http' as const, request: { method: 'GET', url: '/fn/hello/', headers, body: undefined } } };

let n = 0;
interface Open {
  readonly id: string;
  readonly startedAt: number;
  readonly t0: number;
  readonly execStart: number;
  readonly inst: (typeof instances)[number];
  readonly trace: { traceId: string; spanId: string; parentSpanId: string | null } | undefined;
  readonly measuring: unknown;
}

/** The start of an invocation, as Dispatcher.invoke calls observability (dispatcher.ts) before the instance answers. */
function begin(): Open {
  const startedAt = clock.now();
  const t0 = clock.monotonic();
  const id = newId(startedAt);
  const trace = observer?.open(req);
  logs.open(id, 'hello', null);
  const inst = instances[n++ % INSTANCES];
  const execStart = clock.monotonic();
  const measuring = observer?.begin(inst, execStart) ?? null;
  return { id, startedAt, t0, execStart, inst, trace, measuring };
}

/** Its end, once the instance answered: the figures, the logs and the record. */
function end(o: Open): void {
  const endedAt = clock.monotonic();
  const figures = observer?.end(o.measuring, endedAt);
  const durationMs = Math.round((clock.monotonic() - o.t0) * 1000) / 1000;
  const collected = logs.close(o.id);
  const { id, startedAt, trace, inst } = o;
  recorder.push(
    {
      id, functionName: 'hello', version: 1, alias: null, trigger: 'http', triggerSource: 'GET /fn/hello/', startedAt, durationMs,
      billedMs: Math.max(1, Math.ceil(endedAt - o.execStart)), memoryMb: 128, status: 'success', statusCode: 200, errorCode: null, errorName: null,
      errorMessage: null, coldStart: false, initMs: 0, instanceId: inst.id, requestBytes: 0, responseBytes: 5, attempt: 1, logs: collected.logs,
      logsTruncated: collected.truncated, cpuMs: figures?.cpuMs ?? 0, peakMemoryBytes: figures?.peakMemoryBytes ?? 0, occupancyMs: figures?.occupancyMs ?? 0,
      traceId: trace?.traceId ?? null, spanId: trace?.spanId ?? null, parentSpanId: trace?.parentSpanId ?? null,
    },
    true,
  );
}

const turn = () => new Promise<void>((r) => setImmediate(r));
const tick = () => new Promise<void>((r) => setTimeout(r, 1));
const mainNs = () => Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'latin1').split(' ', 1)[0]);
const allUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function round(count: number): Promise<{ main: number; all: number }> {
  await recorder.flush();
  const m0 = mainNs();
  const a0 = allUs();
  const start = performance.now();
  // Invocations begun in one turn end in the next: as in a server, many are open at once on each instance.
  let open: Open[] = [];
  for (let done = 0; done < count; ) {
    const due = RATE > 0 ? Math.min(count, Math.floor(((performance.now() - start) * RATE) / 1000)) - done : BATCH;
    for (const o of open) end(o);
    open = [];
    for (let i = 0; i < due; i++) open.push(begin());
    done += Math.max(0, due);
    await (RATE > 0 ? tick() : turn());
  }
  for (const o of open) end(o);
  await recorder.flush();
  return { main: (mainNs() - m0) / 1000 / count, all: (allUs() - a0) / count };
}

await round(PER_ROUND / 2); // warm-up: JIT, the writer thread started
const rows: Array<{ main: number; all: number }> = [];
for (let r = 0; r < ROUNDS; r++) rows.push(await round(PER_ROUND));
const main = median(rows.map((r) => r.main));
const all = median(rows.map((r) => r.all));
console.log(
  JSON.stringify({ root: ROOT, off: OFF, rounds: ROUNDS, perRound: PER_ROUND, batch: BATCH, rate: RATE, mainUs: +main.toFixed(2), otherUs: +(all - main).toFixed(2), allUs: +all.toFixed(2), load: readFileSync('/proc/loadavg', 'utf8').split(' ')[0] }),
);
observability?.stop();
await recorder.stop();
await store.close();
rmSync(dataDir, { recursive: true, force: true });
