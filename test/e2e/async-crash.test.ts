/**
 * Crash safety of async invocation: a burst of async submits, kill -9 of the platform
 * while thousands are queued and in flight, restart on the same data directory, and
 * proof — counted by invocation id at a sink outside the platform — that every accepted
 * (202) invocation completed at least once, re-runs carrying the same id and a higher
 * attempt number. And the platform's own books agree after the crash: every item the queue
 * shows as succeeded has its invocation record (a success and its record are committed
 * together), counted item against record. The records are flushed on a long interval here
 * so that a record left waiting in memory at the kill would be seen missing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asyncSubmitter, completeAfterRestart, noteReports, REPORTING_WORKER, type Seen } from '../helpers/async-crash.ts';
import { startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { SINK_ALLOWED, startSink } from '../helpers/sink.ts';

const TOTAL = 2_000;
const CLIENTS = 32;
/** Records wait in memory this long before the recorder writes them: the window a crash could lose. */
const ARGS = [...SINK_ALLOWED, '--record-flush', '2000'];


/** Every item of a paged list (`items`, `next`). */
async function pageAll(p: RunningPlatform, path: string): Promise<Array<{ id: string; status?: string }>> {
  const out: Array<{ id: string; status?: string }> = [];
  for (let before: string | null = ''; before !== null; ) {
    const res = await p.api(`${path}&limit=1000${before ? `&before=${before}` : ''}`);
    assert.equal(res.status, 200);
    const page = (await res.json()) as { items: Array<{ id: string; status?: string }>; next: string | null };
    out.push(...page.items);
    before = page.next;
  }
  return out;
}

test('kill -9 during a burst of async invocations loses none; every one completes after restart', { timeout: 120_000 }, async () => {
  const seen = new Map<string, Seen>();
  // Called at a 'start' report: the kill then lands while that invocation sleeps, in flight.
  let onStart: (() => void) | null = null;
  const sink = await startSink(noteReports(seen, () => onStart?.()));
  const sinkUrl = sink.url;

  let platform: RunningPlatform = await startPlatform({ args: ARGS });
  const dataDir = platform.dataDir;
  const second: RunningPlatform[] = [];
  try {
    await platform.deploy('work', REPORTING_WORKER, { env: { SINK: sinkUrl }, maxInstances: 1, concurrency: 8, timeoutMs: 10_000 });

    const accepted = new Map<number, string>(); // seq → invocation id (only 202s count)
    let next = 0;
    let killed = false;
    const submit = asyncSubmitter(accepted);
    const burst = async (p: RunningPlatform, stopWhen: () => boolean) => {
      await Promise.all(
        Array.from({ length: CLIENTS }, async () => {
          while (!stopWhen() && next < TOTAL) {
            if (!(await submit(p, next++))) return; // the platform died: the rest is submitted after the restart
          }
        }),
      );
    };

    // Kill once about 1 500 are accepted and some have completed, as one more starts (on a
    // loaded machine the first may not have started by then: wait for it, not for a time).
    const killer = (async () => {
      await new Promise<void>((resolve) => {
        onStart = () => {
          if (accepted.size < 1_500 || ![...seen.values()].some((s) => s.done.length > 0)) return;
          onStart = null;
          killed = true;
          platform.proc.kill('SIGKILL');
          resolve();
        };
      });
      await platform.kill();
    })();
    await burst(platform, () => killed);
    await killer;
    const acceptedAtKill = accepted.size;
    const completedAtKill = [...seen.values()].filter((s) => s.done.length > 0).length;
    const inFlightAtKill = [...seen.entries()].filter(([, s]) => s.done.length === 0).map(([id]) => id);
    assert.ok(acceptedAtKill - completedAtKill >= 300, `the kill should catch a backlog (accepted ${acceptedAtKill}, completed ${completedAtKill})`);
    assert.ok(inFlightAtKill.length > 0, `the kill should catch invocations in flight (accepted ${acceptedAtKill}, completed ${completedAtKill}, started ${seen.size})`);

    // Restart on the same data directory and submit the rest (idempotency keys make resubmits safe).
    platform = await startPlatform({ dataDir, args: ARGS });
    second.push(platform);
    const status = await completeAfterRestart(platform, { total: TOTAL, clients: CLIENTS, accepted, seen, inFlightAtKill, submit });
    const reruns = [...seen.values()].filter((s) => s.started.length > 1);
    // And the platform agrees: all succeeded, nothing dead, nothing left.
    assert.equal(status.dead, 0);
    assert.ok(status.succeeded >= TOTAL, `succeeded ${status.succeeded}`);
    // Every item done has its record: the queue's succeeded items, counted against the records.
    const done = await pageAll(platform, '/api/v1/async?function=work&state=succeeded');
    const records = new Map((await pageAll(platform, '/api/v1/invocations?function=work')).map((r) => [r.id, r]));
    const withoutRecord = done.filter((item) => records.get(item.id)?.status !== 'success').map((item) => item.id);
    assert.equal(done.length, status.succeeded);
    assert.deepEqual(withoutRecord, [], `${withoutRecord.length} of ${done.length} succeeded items have no success record`);
    process.stderr.write(
      `async-crash: accepted ${acceptedAtKill} before kill -9 (${completedAtKill} completed, ${inFlightAtKill.length} in flight), ${reruns.length} started twice, all ${TOTAL} completed\n`,
    );
  } finally {
    platform.cleanup();
    for (const p of second) p.cleanup();
    sink.close();
    const { rmSync } = await import('node:fs');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
