/**
 * HTTP invocation records wait in memory up to the flush interval before they are written;
 * a kill -9 in that time loses them. The next start says how many: the platform's ledger
 * (records.ledger in the data directory) counts records taken in and records committed,
 * and nimbus_records_lost_previous_run shows the difference.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const metric = async (p: RunningPlatform, name: string): Promise<number> => {
  const text = await (await p.api('/metrics')).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  assert.ok(m, `${name} is in /metrics`);
  return Number(m[1]);
};

const recorded = async (p: RunningPlatform, fn: string): Promise<number> => {
  const res = await p.api(`/api/v1/invocations?function=${fn}&limit=1000`);
  return ((await res.json()) as { items: unknown[] }).items.length;
};

test('after kill -9, the restart counts the HTTP records the crash lost, exactly those missing from the store', { timeout: 90_000 }, async () => {
  // A long flush interval: the records of the calls below are in memory when the platform is killed.
  let p = await startPlatform({ args: ['--record-flush', '60s'] });
  const first = p;
  try {
    await p.deploy('hello', `export default { fetch: () => new Response('hi') };`);
    const calls = 25;
    for (let i = 0; i < calls; i++) assert.equal((await fetch(`${p.url}/fn/hello/`)).status, 200);
    // /metrics takes the records in (the ledger notes them) and shows them waiting.
    assert.equal(await metric(p, 'nimbus_records_unwritten'), calls);
    assert.equal(await metric(p, 'nimbus_records_lost_previous_run'), 0);
    await p.kill();

    p = await startPlatform({ dataDir: p.dataDir });
    const lost = await metric(p, 'nimbus_records_lost_previous_run');
    assert.equal(lost, calls - (await recorded(p, 'hello')), 'the count is what the store is missing');
    assert.equal(lost, calls);
    assert.match(p.output(), /the previous run stopped before 25 invocation records were written/);

    for (let i = 0; i < 3; i++) assert.equal((await fetch(`${p.url}/fn/hello/`)).status, 200);
    assert.equal(await p.stop(), 0);
    p = await startPlatform({ dataDir: p.dataDir });
    assert.equal(await metric(p, 'nimbus_records_lost_previous_run'), 0, 'a clean stop writes every record: nothing lost');
    assert.equal(await recorded(p, 'hello'), 3);
  } finally {
    await p.stop().catch(() => {});
    first.cleanup(); // the data directory all three runs used
  }
});
