import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../core/clock.ts';
import { harness } from '../../dispatch/async/testing.ts';

// 2024-01-01T00:00:00Z, a whole minute.
const START = Date.UTC(2024, 0, 1);

describe('cron runner (fake clock)', () => {
  it('fires each tick of a rate once, as a cron-triggered async invocation with a tick CloudEvent', async () => {
    const h = await harness([{ name: 'fn' }], { clock: new FakeClock(START) });
    const t = await h.system.triggers.create('fn', { schedule: 'rate(1 minute)', input: { report: 'daily' } });
    await h.step(3 * 60_000 + 1_000, 1_000);
    assert.equal(h.calls.length, 3);
    const ev = (h.calls[0].req.input as { event: Record<string, any> }).event;
    assert.equal(h.calls[0].req.trigger, 'cron');
    assert.equal(ev.type, 'dev.nimbus.timer.tick');
    assert.equal(ev.time, new Date(START + 60_000).toISOString());
    assert.deepEqual(ev.data.input, { report: 'daily' });
    assert.equal((await h.store.triggers.get(t.id))?.lastFiredAt, START + 3 * 60_000);
    await h.close();
  });

  it('two nodes on one store, the cron lease deciding which fires: each tick fires once, and the other takes over when the holder stops renewing', async () => {
    const clock = new FakeClock(START);
    const { LeaseKeeper } = await import('../../cluster/lease-keeper.ts');
    const first = await harness([{ name: 'fn' }], { clock });
    const keeper = (owner: string, reload: () => Promise<void>) =>
      new LeaseKeeper({ clock, leases: first.store.leases, name: 'cron', owner, ttlMs: 9_000, onGained: () => void reload() });
    const a = keeper('a', () => first.system.cron.reload());
    await first.system.stop(0);
    const nodeA = await harness([{ name: 'fn' }], { clock, store: first.store, firesTimers: () => a.held() });
    let nodeB: Awaited<ReturnType<typeof harness>> | null = null;
    const b = keeper('b', async () => nodeB?.system.cron.reload());
    nodeB = await harness([{ name: 'fn' }], { clock, store: first.store, firesTimers: () => b.held() });
    await a.start();
    await b.start();
    await nodeA.system.triggers.create('fn', { schedule: 'rate(1 second)' });
    await nodeB.system.cron.reload(); // what a deploy's invalidation does on the other node
    await nodeA.step(10_500, 500);
    assert.equal(nodeA.calls.length + nodeB.calls.length, 10, 'ten ticks in 10 s, not twenty');
    assert.equal(nodeB.calls.length, 0, 'b does not hold the lease');
    // a dies: no more renewals, no more ticks from it
    await nodeA.system.stop(0);
    (a as unknown as { periodic: { stop(): void } }).periodic.stop();
    await nodeB.step(20_000, 500);
    const ticks = [...nodeA.calls, ...nodeB.calls].map((c) => (c.req.input as { event: { time: string } }).event.time);
    assert.equal(new Set(ticks).size, ticks.length, 'no tick fired twice');
    assert.ok(nodeB.calls.length >= 10, `b took over and fired the ticks from then on (${nodeB.calls.length})`);
    assert.equal(ticks.length, 30, 'and, within the 60 s grace, the ticks missed while no node held the lease (every one of 30 s)');
    await b.stop();
    await nodeB.close();
  });

  it('a 6-field cron with seconds in a time zone fires at the right instants', async () => {
    const h = await harness([{ name: 'fn' }], { clock: new FakeClock(START) });
    await h.system.triggers.create('fn', { schedule: '*/20 * * * * *', timezone: 'Asia/Kolkata' });
    await h.step(62_000, 1_000);
    const times = h.calls.map((c) => Date.parse((c.req.input as { event: { time: string } }).event.time) - START);
    assert.deepEqual(times, [20_000, 40_000, 60_000]);
    await h.close();
  });

  it('does not fire a tick twice across a restart, and run-once fires one missed tick after downtime', async () => {
    const clock = new FakeClock(START);
    const tickOf = (c: { req: { input: unknown } }) => Date.parse((c.req.input as { event: { time: string } }).event.time) - START;
    const first = await harness([{ name: 'fn' }], { clock });
    await first.system.triggers.create('fn', { schedule: '*/5 * * * *', missed: 'run-once' });
    await first.step(10 * 60_000 + 2_000, 1_000);
    assert.deepEqual(first.calls.map(tickOf), [300_000, 600_000]);
    await first.system.stop(0);
    // Restart at once: nothing fires again.
    const second = await harness([{ name: 'fn' }], { clock, store: first.store });
    await second.step(1_000);
    assert.equal(second.calls.length, 0);
    await second.system.stop(0);
    // Down until 32 min: ticks 15, 20, 25, 30 were missed; run-once fires the latest once.
    clock.advance(START + 32 * 60_000 - clock.now());
    const third = await harness([{ name: 'fn' }], { clock, store: first.store });
    await third.step(1_000);
    assert.deepEqual(third.calls.map(tickOf), [30 * 60_000]);
    await third.step(4 * 60_000, 1_000);
    assert.deepEqual(third.calls.map(tickOf), [30 * 60_000, 35 * 60_000]);
    await third.close();
  });

  it('skip drops missed ticks (a tick within the 60 s grace is late, not missed); removing a trigger stops it', async () => {
    const clock = new FakeClock(START);
    const first = await harness([{ name: 'fn' }], { clock });
    const t = await first.system.triggers.create('fn', { schedule: 'rate(5 minutes)' });
    await first.system.stop(0);
    clock.advance(32 * 60_000);
    const second = await harness([{ name: 'fn' }], { clock, store: first.store });
    await second.step(1_000);
    assert.equal(second.calls.length, 0, 'the 6 missed ticks are skipped');
    await second.step(3 * 60_000 + 1_000, 1_000);
    assert.equal(second.calls.length, 1, 'the tick at 35 min fires');
    await second.system.triggers.remove(t.id);
    await second.step(10 * 60_000, 5_000);
    assert.equal(second.calls.length, 1);
    await second.close();
  });

  it('refuses a trigger for a missing function and an invalid cron, naming the field', async () => {
    const h = await harness();
    await assert.rejects(h.system.triggers.create('nope', { schedule: '@hourly' }), { code: 'NIMBUS_ERR_FUNCTION_NOT_FOUND' });
    await assert.rejects(h.system.triggers.create('fn', { schedule: '61 * * * *' }), (e: any) => {
      assert.equal(e.code, 'NIMBUS_ERR_VALIDATION');
      assert.equal(e.extra.field, 'schedule');
      assert.match(e.message, /minute field "61"/);
      return true;
    });
    await assert.rejects(h.system.triggers.create('fn', { schedule: '@hourly', missed: 'sometimes' }), { code: 'NIMBUS_ERR_VALIDATION' });
    await h.close();
  });
});
