/**
 * Cluster mode end to end, async work: 2,000 async invocations submitted across three real
 * nodes (PostgreSQL and NATS) while one is killed with kill -9: every one succeeds, none is
 * lost. Skipped with one line where PostgreSQL or NATS is unreachable.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterSkipReason, startCluster } from '../helpers/cluster.ts';
import { eventually } from '../helpers/platform.ts';
import { startSink } from '../helpers/sink.ts';
import { asyncSubmitter, noteReports, REPORTING_WORKER, type Seen } from '../helpers/async-crash.ts';

const skip = (await clusterSkipReason()) ?? false;

test('2,000 async invocations submitted across three nodes while one is killed with kill -9: every one succeeds, none is lost', { skip, timeout: 240_000 }, async () => {
  const TOTAL = 2_000;
  const seen = new Map<string, Seen>();
  let started = 0;
  const sink = await startSink(noteReports(seen, () => started++));
  const cluster = await startCluster(3);
  try {
    const [a] = cluster.nodes;
    await a.deploy('work', REPORTING_WORKER, { env: { SINK: sink.url }, maxInstances: 2, concurrency: 8, timeoutMs: 10_000 });
    await eventually(async () => (await Promise.all(cluster.nodes.map((n) => n.api('/api/v1/functions/work')))).every((r) => r.ok));
    const accepted = new Map<number, string>();
    const submit = asyncSubmitter(accepted);
    const victim = cluster.nodes[2];
    let next = 0;
    let killed = false;
    const killer = (async () => {
      await eventually(async () => accepted.size >= TOTAL / 3 && [...seen.values()].some((s) => s.done.length === 0), 120_000, 5);
      killed = true;
      await victim.kill();
    })();
    // 24 clients round-robin over the nodes; after the kill, the victim's share goes to the others
    await Promise.all(
      Array.from({ length: 24 }, async (_, client) => {
        for (let seq = next++; seq < TOTAL; seq = next++) {
          const live = cluster.nodes.filter((n) => !(killed && n === victim));
          let ok = await submit(live[(client + seq) % live.length], seq);
          while (!ok) ok = await submit(cluster.nodes[seq % 2], seq); // the victim died under this one: another node, same idempotency key
        }
      }),
    );
    await killer;
    assert.equal(accepted.size, TOTAL);
    const ids = new Set(accepted.values());
    const completed = (id: string) => (seen.get(id)?.done.length ?? 0) > 0;
    await eventually(async () => [...ids].every(completed), 150_000, 200).catch(() => {
      const lost = [...ids].filter((id) => !completed(id));
      assert.fail(`${lost.length} accepted invocations never completed, e.g. ${lost.slice(0, 3).join(', ')}`);
    });
    for (const [seq, id] of accepted) assert.equal(seen.get(id)!.seq, seq);
    const rerun = [...seen.values()].filter((s) => s.done.some((n) => n >= 2)).length;
    process.stdout.write(`# ${TOTAL} accepted, all completed; ${rerun} ran again after the kill (${started} attempts started)\n`);
    const counts = await eventually(async () => {
      const body = (await (await cluster.nodes[0].api('/api/v1/async?function=work&limit=1')).json()) as { counts: Record<string, number> };
      return body.counts.queued + body.counts.running === 0 ? body.counts : null;
    }, 30_000);
    assert.deepEqual([counts.succeeded, counts.dead], [TOTAL, 0]);
  } finally {
    await cluster.close();
    sink.close();
  }
});
