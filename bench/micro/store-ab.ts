/**
 * The SQLite store alone, two checkouts taking turns in one process: CPU per workflow step
 * and per async queue item, with what the engine and the consumer ask of it and nothing
 * else (no HTTP, no isolate, no interpreter), so the figures move little with the load of
 * the machine.
 *
 *   node --no-node-snapshot --import tsx bench/micro/store-ab.ts --a <checkout> --b <checkout> [--rounds 16]
 *
 * "workflow": 10 executions at a time, each started then given 10 steps (a task result each:
 * the step row, 4 history events of ~270 bytes, a 631-byte snapshot), the 10 steps of a
 * round asked for in one turn, as the engine does under 10 concurrent executions. "async":
 * 50 items a turn enqueued, claimed, then completed each with its invocation record (a group
 * held ~50 writes under the async scenario's load). Each checkout's own store, in a fresh
 * data directory; process.cpuUsage() around each round, ÷ steps or items.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Store } from '../../src/store/ports.ts';
import { sampleRecord } from '../../src/store/contract.ts';
import { arg } from './common.ts';

const strArg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const here = new URL('../../', import.meta.url).pathname;
const ROOTS = { A: resolve(strArg('a', here)), B: resolve(strArg('b', here)) };
const ROUNDS = arg('rounds', 16);

const payload = JSON.stringify({ order: 42, items: [1, 2, 3], steps: 3 });
const snapshot = 'x'.repeat(631);
const commands = 'c'.repeat(360);
const hist = (id: number) => ({
  id,
  json: `{"id":${id},"previousEventId":${id - 1},"timestamp":"2026-12-06T21:26:02.922Z","type":"TaskStateEntered","statePath":"S2#1","stateEnteredEventDetails":{"name":"S2","input":${payload}}}${' '.repeat(100)}`,
});

interface Side {
  readonly store: Store;
  n: number;
}

async function open(root: string): Promise<Side> {
  const mod = (await import(join(root, 'src/store/sqlite/sqlite-store.ts'))) as { openSqliteStore(path: string): Store };
  const store = mod.openSqliteStore(join(mkdtempSync(join(tmpdir(), 'nimbus-store-ab-')), 'nimbus.db'));
  await store.workflows.deployMachine({ name: 'm', hash: 'h', definition: '{}', now: 1 });
  return { store, n: 0 };
}

async function workflowRound(s: Side, executions: number): Promise<number> {
  const w = s.store.workflows;
  const cpu0 = process.cpuUsage();
  let steps = 0;
  for (let e = 0; e < executions / 10; e++) {
    const ids = Array.from({ length: 10 }, () => `e${String(++s.n).padStart(12, '0')}`);
    const base = { commands, snapshot, output: null, error: null, cause: null, transitions: 1, redriveCount: 0, timersStarted: [], timersCancelled: [] };
    await Promise.all(
      ids.map((id) =>
        w.startExecution({ ...base, executionId: id, name: id, machine: 'm', version: 1, input: payload, source: 'bench', event: '{"type":"Start"}', history: [hist(1), hist(2), hist(3)], status: 'RUNNING', now: 1 }),
      ),
    );
    for (let seq = 0; seq < 10; seq++) {
      const last = seq === 9;
      await Promise.all(
        ids.map(async (id) => {
          const ok = await w.appendStep({
            ...base,
            executionId: id,
            expectedSeq: seq,
            event: `{"type":"TaskSucceeded","taskId":"t${seq}","output":${payload}}`,
            history: [0, 1, 2, 3].map((i) => hist(4 + seq * 4 + i)),
            status: last ? 'SUCCEEDED' : 'RUNNING',
            output: last ? payload : null,
            tasksCompleted: [`t${seq}`],
            now: 2,
          });
          if (!ok) throw new Error(`step ${seq} of ${id} was fenced off`);
        }),
      );
      steps += 10;
    }
  }
  const c = process.cpuUsage(cpu0);
  return (c.user + c.system) / steps;
}

async function asyncRound(s: Side, items: number): Promise<number> {
  const q = s.store.queue;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < items / 50; i++) {
    const ids = Array.from({ length: 50 }, () => `q${String(++s.n).padStart(20, '0')}`);
    await Promise.all(
      ids.map((id) => q.enqueue([{ id, kind: 'invoke', target: 'step', trigger: 'async', source: 'bench', payload, idempotencyKey: null }], 1_000 + s.n, 86_400_000)),
    );
    const claimed = await q.claim('step', 50, 2_000 + s.n, 60_000, 'bench');
    if (claimed.length !== 50) throw new Error(`claimed ${claimed.length} of 50`);
    await Promise.all(claimed.map((it) => q.complete(it.id, it.attempts, 3_000 + s.n, [], { ...sampleRecord(it.id), functionName: 'step', trigger: 'async', attempt: 1 })));
  }
  const c = process.cpuUsage(cpu0);
  return (c.user + c.system) / items;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const sides = { A: await open(ROOTS.A), B: await open(ROOTS.B) };
const out = { workflow: { A: [] as number[], B: [] as number[] }, async: { A: [] as number[], B: [] as number[] } };
for (const k of ['A', 'B'] as const) {
  await workflowRound(sides[k], 200); // warm-up
  await asyncRound(sides[k], 1000);
}
for (let r = 0; r < ROUNDS; r++) {
  for (const k of (r % 2 === 0 ? ['A', 'B'] : ['B', 'A']) as Array<'A' | 'B'>) {
    out.workflow[k].push(await workflowRound(sides[k], 300));
    out.async[k].push(await asyncRound(sides[k], 2000));
  }
}
for (const [what, unit] of [['workflow', 'step'], ['async', 'item']] as const) {
  for (const k of ['A', 'B'] as const) {
    const xs = out[what][k];
    console.log(`${what} ${k} (${ROOTS[k]}): ${median(xs).toFixed(1)} µs CPU per ${unit} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`);
  }
}
for (const k of ['A', 'B'] as const) await sides[k].store.close();
