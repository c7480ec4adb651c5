/**
 * The parts of the async kill -9 tests (SQLite and PostgreSQL) that are the same: a worker
 * that reports each attempt's start and end to a sink, the sink's bookkeeping, the submit
 * with an idempotency key, and what must hold once the platform is back.
 */
import assert from 'node:assert/strict';
import { eventually, type RunningPlatform } from './platform.ts';

/** Reports `start`, sleeps 20–50 ms, reports `done`: each attempt visible at the sink. */
export const REPORTING_WORKER = `
async function tell(url, body) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error('sink said ' + res.status);
}
export async function handler(event, context) {
  const me = { seq: event.seq, id: context.invocationId, attempt: context.attempt };
  await tell(context.env.SINK, { ...me, phase: 'start' });
  await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 30)));
  await tell(context.env.SINK, { ...me, phase: 'done' });
  return { seq: event.seq };
}
`;

export interface Seen {
  seq: number;
  /** Attempt numbers that started, and that finished. */
  started: number[];
  done: number[];
}

/** The sink's handler: each report into `seen` by invocation id; `onStart` after a start is noted. */
export function noteReports(seen: Map<string, Seen>, onStart: () => void = () => {}): (report: unknown) => void {
  return (report) => {
    const { seq, id, attempt, phase } = report as { seq: number; id: string; attempt: number; phase: 'start' | 'done' };
    const s = seen.get(id) ?? { seq, started: [], done: [] };
    (phase === 'start' ? s.started : s.done).push(attempt);
    seen.set(id, s);
    if (phase === 'start') onStart();
  };
}

/** Submits `{seq}` to `work` async with an idempotency key; true (and noted in `accepted`) on a 202. */
export function asyncSubmitter(accepted: Map<number, string>): (p: RunningPlatform, seq: number) => Promise<boolean> {
  return async (p, seq) => {
    try {
      const res = await p.api('/api/v1/functions/work/invoke', {
        method: 'POST',
        headers: { prefer: 'respond-async', 'idempotency-key': `seq-${seq}` },
        body: JSON.stringify({ seq }),
      });
      if (res.status !== 202) return false;
      accepted.set(seq, ((await res.json()) as { invocationId: string }).invocationId);
      return true;
    } catch {
      return false; // the platform died under us: not accepted
    }
  };
}

/**
 * After the restart: submits what was never accepted (idempotency keys make resubmits safe),
 * waits until every accepted invocation completed at the sink with its own seq, checks that
 * what the kill interrupted ran again with a higher attempt, and returns the queue's counts
 * once nothing is queued or running.
 */
export async function completeAfterRestart(
  platform: RunningPlatform,
  o: {
    readonly total: number;
    readonly clients: number;
    readonly accepted: Map<number, string>;
    readonly seen: Map<string, Seen>;
    readonly inFlightAtKill: readonly string[];
    readonly submit: (p: RunningPlatform, seq: number) => Promise<boolean>;
  },
): Promise<Record<string, number>> {
  const { accepted, seen } = o;
  const missing = Array.from({ length: o.total }, (_, i) => i).filter((seq) => !accepted.has(seq));
  await Promise.all(
    Array.from({ length: o.clients }, async () => {
      for (let seq = missing.shift(); seq !== undefined; seq = missing.shift()) assert.ok(await o.submit(platform, seq), `resubmit ${seq}`);
    }),
  );
  assert.equal(accepted.size, o.total);
  const ids = new Set(accepted.values());
  const completed = (id: string) => (seen.get(id)?.done.length ?? 0) > 0;
  await eventually(async () => [...ids].every(completed), 90_000, 200).catch(() => {
    const lost = [...ids].filter((id) => !completed(id));
    assert.fail(`${lost.length} accepted invocations never completed, e.g. ${lost.slice(0, 3).join(', ')}`);
  });
  // Counted by id at the sink: every accepted one at least once, with its own seq.
  for (const [seq, id] of accepted) assert.equal(seen.get(id)!.seq, seq);
  // What the kill interrupted ran again: same id, a higher attempt number.
  for (const id of o.inFlightAtKill) {
    const s = seen.get(id)!;
    assert.ok(s.done.some((a) => a >= 2), `interrupted ${id} finished with attempt ≥ 2 (started ${s.started}, done ${s.done})`);
  }
  return eventually(async () => {
    const body = (await (await platform.api('/api/v1/async?function=work&limit=1')).json()) as { counts: Record<string, number> };
    return body.counts.queued + body.counts.running === 0 ? body.counts : null;
  }, 30_000);
}
