/**
 * Crash safety of workflows: executions stand in Task (a slow function), Wait, Map and
 * Parallel states when the platform is killed with SIGKILL; after a restart on the same data
 * directory every execution finishes with the right output. Task invocations are counted
 * at a sink outside the platform by invocation id (derived from the step's idempotency
 * key): a step that completed before the kill never runs again, a step in flight at the
 * kill runs again with the same id (at least once, recognisably), and the journal holds
 * exactly one completion per step. The Wait timers are honoured across the restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { SINK_ALLOWED, startSink } from '../helpers/sink.ts';

const WORK = `
async function tell(url, body) {
  await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
export async function handler(event, context) {
  await tell(context.env.SINK, { id: context.invocationId, phase: 'start' });
  await new Promise((r) => setTimeout(r, event.ms ?? 0));
  await tell(context.env.SINK, { id: context.invocationId, phase: 'done' });
  return { tag: event.tag, v: (event.v ?? 0) * 10 };
}
`;

const work = (params: Record<string, unknown>) => ({ Type: 'Task', Resource: 'fn:work', Parameters: { 'tag.$': '$.tag', ...params } });
const DEFINITIONS: Record<string, unknown> = {
  task: { StartAt: 'T', States: { T: { ...work({ ms: 3000, v: 1 }), ResultPath: '$.r', Next: 'Done' }, Done: { Type: 'Pass', End: true } } },
  wait: { StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3, Next: 'T' }, T: { ...work({ ms: 10, v: 2 }), End: true } } },
  map: {
    StartAt: 'Fan',
    States: {
      Fan: {
        Type: 'Map',
        ItemsPath: '$.items',
        MaxConcurrency: 2,
        ItemSelector: { 'tag.$': '$.tag', 'v.$': '$$.Map.Item.Value' },
        ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Task', Resource: 'fn:work', Parameters: { 'tag.$': '$.tag', 'v.$': '$.v', ms: 1000 }, End: true } } },
        End: true,
      },
    },
  },
  parallel: {
    StartAt: 'Split',
    States: {
      Split: {
        Type: 'Parallel',
        Branches: [
          { StartAt: 'A', States: { A: { ...work({ ms: 2500, v: 3 }), End: true } } },
          { StartAt: 'B', States: { B: { Type: 'Wait', Seconds: 2, Next: 'C' }, C: { Type: 'Pass', Result: 'waited', End: true } } },
        ],
        End: true,
      },
    },
  },
};
const ITEMS = [1, 2, 3, 4, 5, 6];

function expected(kind: string, tag: string): unknown {
  switch (kind) {
    case 'task':
      return { tag, items: ITEMS, r: { tag, v: 10 } };
    case 'wait':
      return { tag, v: 20 };
    case 'map':
      return ITEMS.map((v) => ({ tag, v: v * 10 }));
    default:
      return [{ tag, v: 30 }, 'waited'];
  }
}

interface Seen {
  starts: number[];
  dones: number[];
}

test('kill -9 while executions stand in Task, Wait, Map and Parallel: all finish right after restart, no completed step runs again', { timeout: 90_000 }, async () => {
  const seen = new Map<string, Seen>();
  let phase = 0; // 0 before the kill, 1 after
  const sink = await startSink((report) => {
    const { id, phase: p } = report as { id: string; phase: 'start' | 'done' };
    const s = seen.get(id) ?? { starts: [], dones: [] };
    (p === 'start' ? s.starts : s.dones).push(phase);
    seen.set(id, s);
  });
  const sinkUrl = sink.url;

  let platform: RunningPlatform = await startPlatform({ args: SINK_ALLOWED });
  const dataDir = platform.dataDir;
  let second: RunningPlatform | null = null;
  try {
    await platform.deploy('work', WORK, { env: { SINK: sinkUrl }, concurrency: 50, maxInstances: 2, timeoutMs: 20_000 });
    await platform.api('/api/v1/functions/work/invoke', { method: 'POST', body: JSON.stringify({ tag: 'warm' }) }); // warm: no cold start in the timeline
    seen.clear();
    for (const [name, definition] of Object.entries(DEFINITIONS)) {
      const res = await platform.api(`/api/v1/workflows/${name}`, { method: 'PUT', body: JSON.stringify({ definition }) });
      assert.equal(res.status, 201, await res.text());
    }
    const executions: Array<{ id: string; kind: string; tag: string }> = [];
    for (let i = 0; i < 3; i++) {
      for (const kind of Object.keys(DEFINITIONS)) {
        const tag = `${kind}-${i}`;
        const res = await platform.api(`/api/v1/workflows/${kind}/executions`, { method: 'POST', body: JSON.stringify({ input: { tag, items: ITEMS }, name: tag }) });
        const text = await res.text();
        assert.equal(res.status, 201, text);
        executions.push({ id: (JSON.parse(text) as { executionId: string }).executionId, kind, tag });
      }
    }
    // Let them get into their states: tasks in flight, waits pending, Map iterations half done.
    // The kill comes once every Map has started its second pair of items (as the sink hears
    // it: the 6 long tasks, the 6 first items, done, and the 6 next ones started). A Map starts
    // an item only when a slot is free, i.e. once an earlier item's completion is journalled,
    // so every step the sink heard done is journalled too, and the next completions are ~1 s
    // away: no step is between its "done" and its journal entry at the kill.
    await eventually(async () => {
      const states = [...seen.values()];
      const starts = states.reduce((n, x) => n + x.starts.length, 0);
      const dones = states.reduce((n, x) => n + x.dones.length, 0);
      return starts >= 18 && dones >= 6;
    }, 20_000);
    const before = (await (await platform.api('/api/v1/executions?status=RUNNING&limit=100')).json()) as { items: Array<{ executionId: string }> };
    assert.equal(before.items.length, executions.length, 'every execution is still running at the kill');
    await platform.kill();
    phase = 1;
    const doneAtKill = new Set([...seen].filter(([, s]) => s.dones.length > 0).map(([id]) => id));
    const inFlightAtKill = [...seen].filter(([, s]) => s.dones.length === 0).map(([id]) => id);
    assert.ok(inFlightAtKill.length >= 6, `tasks in flight at the kill: ${inFlightAtKill.length}`);
    assert.ok(doneAtKill.size >= 1, 'some Map iterations completed before the kill');

    second = await startPlatform({ dataDir, args: SINK_ALLOWED });
    platform = second;
    const ends = await eventually(
      async () => {
        const out = [];
        for (const e of executions) {
          const x = (await (await second!.api(`/api/v1/executions/${e.id}`)).json()) as { status: string; output: unknown };
          if (x.status === 'RUNNING') return null;
          out.push({ ...e, ...x });
        }
        return out;
      },
      45_000,
      200,
    );
    for (const e of ends) {
      assert.equal(e.status, 'SUCCEEDED', `${e.tag}: ${JSON.stringify(e)}`);
      assert.deepEqual(e.output, expected(e.kind, e.tag), e.tag);
    }

    // No step completed before the kill ran again; every step in flight at the kill ran again with the same id.
    for (const id of doneAtKill) assert.deepEqual(seen.get(id)!.starts, [0], `completed step ${id} did not run again`);
    for (const id of inFlightAtKill) {
      const s = seen.get(id)!;
      assert.ok(s.starts.includes(1) && s.dones.includes(1), `in-flight step ${id} ran again after the restart with the same invocation id (${JSON.stringify(s)})`);
    }
    // The journal: exactly one TaskSucceeded per task step; Wait timers honoured across the restart.
    let taskSteps = 0;
    for (const e of executions) {
      const { events } = (await (await second.api(`/api/v1/executions/${e.id}/history`)).json()) as { events: Array<{ type: string; statePath?: string; timestamp: string }> };
      const succeeded = events.filter((h) => h.type === 'TaskSucceeded').map((h) => h.statePath);
      assert.equal(new Set(succeeded).size, succeeded.length, `${e.tag}: one completion per step`);
      taskSteps += succeeded.length;
      const entered = events.find((h) => h.type === 'WaitStateEntered');
      const exited = events.find((h) => h.type === 'WaitStateExited');
      if (entered && exited) {
        const waited = Date.parse(exited.timestamp) - Date.parse(entered.timestamp);
        assert.ok(waited >= (e.kind === 'wait' ? 3000 : 2000), `${e.tag}: waited ${waited} ms`);
      }
    }
    assert.equal(taskSteps, 3 * (1 + 1 + ITEMS.length + 1));
    const invocations = [...seen.values()].reduce((n, s) => n + s.starts.length, 0);
    process.stderr.write(
      `workflow-crash: ${executions.length} executions, ${doneAtKill.size} task steps done before kill -9, ${inFlightAtKill.length} in flight (re-run with the same id), ${taskSteps} steps, ${invocations} invocations in total\n`,
    );
  } finally {
    platform.cleanup();
    second?.cleanup();
    sink.close();
    const { rmSync } = await import('node:fs');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
