/**
 * The workflow engine and the SQLite store alone, no HTTP and no isolate: executions of 10
 * Task states, 10 at a time, the "function" answering at once. Prints executions/s,
 * transitions/s and the process's CPU per transition (what the journal and the interpreter
 * cost). `node --import tsx bench/micro/workflow-engine.ts [ms]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/core/clock.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { WorkflowEngine } from '../../src/workflow/engine/engine.ts';
import type { InvokeOutcome, InvokeRequest } from '../../src/dispatch/dispatcher.ts';
const dir = mkdtempSync(join(tmpdir(), 'wfmicro-'));
const store = openSqliteStore(join(dir, 'nimbus.db'));
const invoke = async (req: InvokeRequest): Promise<InvokeOutcome> => {
  const ev = (req.input as { event: { steps: number } }).event;
  return { ok: true, invocationId: req.invocationId!, record: { version: 1 } as never, value: { ...ev, steps: ev.steps + 1 } };
};
const engine = new WorkflowEngine({ clock: systemClock, repo: store.workflows, invoke, onError: (e, w) => console.error(w, e) });
const States: Record<string, unknown> = {};
for (let i = 1; i <= 10; i++) States[`S${i}`] = { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:step', ...(i < 10 ? { Next: `S${i + 1}` } : { End: true }) };
await engine.deploy('task', { StartAt: 'S1', States });
const ms = Number(process.argv[2] ?? 3000);
let done = 0;
const t0 = performance.now();
const cpu0 = process.cpuUsage();
await Promise.all(Array.from({ length: 10 }, async () => {
  while (performance.now() - t0 < ms) {
    const r = await engine.run('task', { order: 42, items: [1, 2, 3], steps: 0 }, 60_000);
    if (r.end?.status !== 'SUCCEEDED') throw new Error(JSON.stringify(r.end));
    done++;
  }
}));
const el = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(`${(done / el).toFixed(0)} executions/s, ${((done * 10) / el).toFixed(0)} transitions/s, ${((cpu.user + cpu.system) / (done * 10)).toFixed(0)} µs CPU per transition`);
await engine.close(1000);
await store.close();
rmSync(dir, { recursive: true, force: true });
