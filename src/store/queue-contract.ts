/**
 * The contract of the async ports (queue, triggers, topics, policies) every Store
 * implementation must pass; see sqlite/queue-store.test.ts.
 */
import { describe, it, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { sampleRecord } from './contract.ts';
import type { Store } from './ports.ts';
import { claimedItem, type EnqueueInput, type TriggerInput } from './queue-ports.ts';

const DAY = 86_400_000;

export function item(id: string, overrides: Partial<EnqueueInput> = {}): EnqueueInput {
  return { id, kind: 'invoke', target: 'fn', trigger: 'async', source: 'test', payload: JSON.stringify({ id }), ...overrides };
}

export function timer(id: string, overrides: Partial<TriggerInput> = {}): TriggerInput {
  return { id, functionName: 'fn', kind: 'timer', origin: 'api', schedule: '*/5 * * * *', timezone: null, missed: 'skip', createdAt: 1_000, ...overrides };
}

export function queueContract(name: string, open: () => Promise<Store>): void {
  describe(`Queue contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('enqueues, claims due items oldest first with a lease, and completes them', async () => {
      const q = store.queue;
      const out = await q.enqueue([item('a', { dueAt: 200 }), item('b', { dueAt: 100 }), item('c', { dueAt: 5_000 })], 100, DAY);
      assert.deepEqual(out, [{ id: 'a', created: true }, { id: 'b', created: true }, { id: 'c', created: true }]);
      assert.deepEqual(await q.dueTargets(300), [{ kind: 'invoke', target: 'fn', count: 2 }]);
      assert.equal(await q.nextDueAt(), 100);
      const claimed = await q.claim('fn', 10, 300, 1_000);
      assert.deepEqual(claimed.map((i) => [i.id, i.state, i.attempts, i.dueAt]), [['b', 'running', 1, 1_300], ['a', 'running', 1, 1_300]]);
      assert.deepEqual(await q.claim('fn', 10, 300, 1_000), [], 'leased items are not claimed twice');
      assert.equal(await q.complete('b', 1, 400), true);
      const b = await q.get('b');
      assert.equal(b?.state, 'succeeded');
      assert.equal(b?.finishedAt, 400);
      assert.equal(b?.enqueuedAt, 100);
      assert.deepEqual(JSON.parse(b!.payload), { id: 'b' });
      assert.deepEqual(await q.counts(), { queued: 1, running: 1, succeeded: 1, dead: 0 });
      assert.deepEqual(await q.counts('other'), { queued: 0, running: 0, succeeded: 0, dead: 0 });
    });

    it('an expired lease makes the item claimable again with the next attempt; the stale attempt is fenced out', async () => {
      const q = store.queue;
      await q.enqueue([item('a')], 0, DAY);
      const [first] = await q.claim('fn', 1, 0, 1_000);
      assert.equal(first.attempts, 1);
      assert.deepEqual(await q.dueTargets(999), []);
      assert.equal((await q.dueTargets(1_000)).length, 1);
      const [second] = await q.claim('fn', 1, 1_000, 1_000);
      assert.equal(second.attempts, 2);
      assert.equal(await q.complete('a', 1, 1_100), false, 'attempt 1 lost its lease');
      assert.equal(await q.complete('a', 2, 1_100), true);
    });

    it('recover() makes every running item due at once (the previous process died)', async () => {
      const q = store.queue;
      await q.enqueue([item('a'), item('b')], 0, DAY);
      await q.claim('fn', 2, 0, 60_000);
      assert.equal(await q.recover(10), 2);
      const again = await q.claim('fn', 5, 10, 60_000);
      assert.deepEqual(again.map((i) => i.attempts), [2, 2]);
    });

    it('recover(now, alive) re-queues only the running items of owners not alive (a node that died)', async () => {
      const q = store.queue;
      await q.enqueue([item('a'), item('b'), item('c'), item('d')], 0, DAY);
      await q.claim('fn', 1, 0, 60_000, 'node-live');
      await q.claim('fn', 2, 0, 60_000, 'node-dead');
      await q.claim('fn', 1, 0, 60_000);
      assert.equal(await q.recover(10, ['node-live', 'node-other']), 3, 'node-dead’s two and the one claimed by nobody');
      assert.deepEqual([(await q.get('a'))?.state, (await q.get('b'))?.state, (await q.get('c'))?.state, (await q.get('d'))?.state], ['running', 'queued', 'queued', 'queued']);
      const again = await q.claim('fn', 5, 10, 60_000, 'node-live');
      assert.deepEqual(again.map((i) => [i.id, i.attempts]), [['b', 2], ['c', 2], ['d', 2]]);
      assert.equal(await q.recover(20, ['node-live']), 0, 'all of it is a live node’s');
      assert.equal(await q.complete('b', 1, 30), false, 'the dead node’s attempt is fenced out');
      assert.equal(await q.complete('b', 2, 30), true);
    });

    it('retry and release put the item back; release does not count the attempt but counts the throttle', async () => {
      const q = store.queue;
      await q.enqueue([item('a')], 0, DAY);
      await q.claim('fn', 1, 0, 1_000);
      assert.equal(await q.retry('a', 1, 500, { code: 'NIMBUS_ERR_FUNCTION_ERROR', message: 'boom' }, 10), true);
      let a = await q.get('a');
      assert.deepEqual([a?.state, a?.dueAt, a?.attempts, a?.lastError?.message], ['queued', 500, 1, 'boom']);
      assert.deepEqual(await q.claim('fn', 1, 499, 1_000), []);
      await q.claim('fn', 1, 500, 1_000);
      assert.equal(await q.release('a', 2, 900, 600, true), true);
      a = await q.get('a');
      assert.deepEqual([a?.state, a?.dueAt, a?.attempts, a?.throttles], ['queued', 900, 1, 1]);
      await q.claim('fn', 1, 900, 1_000);
      assert.equal(await q.release('a', 2, 900, 900, false), true);
      assert.equal((await q.get('a'))?.throttles, 1);
    });

    it('idempotency keys return the first id while live, per target, and not after the TTL', async () => {
      const q = store.queue;
      const [first] = await q.enqueue([item('a', { idempotencyKey: 'k' })], 0, DAY);
      const [again] = await q.enqueue([item('b', { idempotencyKey: 'k' })], 10, DAY);
      assert.deepEqual(again, { id: 'a', created: false });
      assert.equal(first.created, true);
      const [other] = await q.enqueue([item('c', { idempotencyKey: 'k', target: 'other' })], 10, DAY);
      assert.deepEqual(other, { id: 'c', created: true });
      const [late] = await q.enqueue([item('d', { idempotencyKey: 'k' })], DAY, DAY);
      assert.deepEqual(late, { id: 'd', created: true });
      const [repeat] = await q.enqueue([item('d')], DAY + 1, DAY);
      assert.deepEqual(repeat, { id: 'd', created: false }, 'the same id is never queued twice');
    });

    it('dead letters keep reason and error; redrive starts afresh; purge deletes', async () => {
      const q = store.queue;
      await q.enqueue([item('a'), item('b', { target: 'g' })], 0, DAY);
      await q.claim('fn', 1, 0, 1_000);
      await q.claim('g', 1, 0, 1_000);
      assert.equal(await q.deadLetter('a', 1, 'max-attempts', { code: 'X', message: 'bad' }, 50), true);
      assert.equal(await q.deadLetter('b', 1, 'max-age', null, 50), true);
      const a = await q.get('a');
      assert.deepEqual([a?.state, a?.deadReason, a?.lastError?.code, a?.finishedAt], ['dead', 'max-attempts', 'X', 50]);
      assert.deepEqual((await q.list({ state: 'dead', limit: 10 })).map((i) => i.id), ['b', 'a']);
      assert.deepEqual((await q.list({ state: 'dead', target: 'g', limit: 10 })).map((i) => i.id), ['b']);
      assert.equal(await q.redrive('a', 1_000), true);
      assert.equal(await q.redrive('a', 1_000), false, 'only dead items are redriven');
      const r = await q.get('a');
      assert.deepEqual([r?.state, r?.attempts, r?.throttles, r?.enqueuedAt, r?.dueAt, r?.acceptedAt, r?.deadReason], ['queued', 0, 0, 1_000, 1_000, 0, null]);
      assert.equal(await q.redriveAll('fn', 1_000), 0);
      assert.equal(await q.redriveAll(undefined, 1_000), 1);
      await q.claim('g', 1, 1_000, 10);
      await q.deadLetter('b', 1, 'max-age', null, 1_001);
      assert.equal(await q.purge('a'), false, 'a queued item is not purged');
      assert.equal(await q.purge('b'), true);
      assert.equal(await q.get('b'), null);
    });

    it('follow-ups are enqueued with the completion or dead-lettering, not without it', async () => {
      const q = store.queue;
      await q.enqueue([item('a'), item('b')], 0, DAY);
      await q.claim('fn', 2, 0, 1_000);
      await q.complete('a', 1, 10, [item('a-done', { target: 'audit' })]);
      assert.equal(await q.complete('a', 1, 10, [item('a-twice', { target: 'audit' })]), false);
      await q.deadLetter('b', 1, 'non-retryable', null, 10, [item('b-failed', { target: 'audit' })]);
      assert.deepEqual((await q.list({ target: 'audit', limit: 10 })).map((i) => i.id).sort(), ['a-done', 'b-failed']);
    });

    it("an attempt's record is committed with its outcome (complete, retry, dead-letter), not without it", async () => {
      const q = store.queue;
      const rec = (id: string, attempt: number, status: 'success' | 'error') =>
        sampleRecord(id, { functionName: 'fn', trigger: 'async', attempt, status, startedAt: 100 * attempt });
      await q.enqueue([item('a'), item('b'), item('c')], 0, DAY);
      await q.claim('fn', 3, 0, 1_000);
      assert.equal(await q.complete('a', 1, 10, [], rec('a', 1, 'success')), true);
      assert.deepEqual(await store.invocations.get('a'), rec('a', 1, 'success'));
      assert.equal(await q.retry('b', 1, 20, { code: 'X', message: 'bad' }, 10, rec('b', 1, 'error')), true);
      assert.deepEqual(await store.invocations.get('b'), rec('b', 1, 'error'));
      assert.equal(await q.deadLetter('c', 1, 'max-attempts', null, 10, [], rec('c', 1, 'error')), true);
      assert.deepEqual(await store.invocations.get('c'), rec('c', 1, 'error'));
      // A finishing call fenced out (a stale attempt) writes no record either.
      assert.equal(await q.complete('b', 1, 30, [], rec('b', 9, 'success')), false);
      assert.equal((await store.invocations.get('b'))?.attempt, 1);
      // The recorder's later write of the same run with more logs (waitUntil) replaces it; a plain repeat does not.
      const first = rec('a', 1, 'success');
      const final = { ...first, logs: [...first.logs, { t: 150, level: 'info' as const, msg: 'after the response' }] };
      await store.invocations.insertMany([final]);
      await store.invocations.insertMany([first]);
      assert.deepEqual(await store.invocations.get('a'), final);
    });

    it('completions asked for together each count once, in usage and in counts; a fenced-out one counts nothing', async () => {
      const q = store.queue;
      const H = 3_600_000;
      const rec = (id: string, startedAt: number) => sampleRecord(id, { functionName: 'fn', trigger: 'async', attempt: 1, startedAt });
      await q.enqueue([item('a'), item('b'), item('c'), item('d'), item('e', { target: 'g' })], 0, DAY);
      await q.claim('fn', 4, 0, 1_000);
      await q.claim('g', 1, 0, 1_000);
      const done = await Promise.all([
        q.complete('a', 1, 10, [], rec('a', H + 1)),
        q.complete('b', 1, 10, [], rec('b', H + 2)),
        q.complete('c', 7, 10, [], rec('c', H + 3)),
        q.complete('d', 1, 10, [], rec('d', 2 * H + 1)),
        q.complete('e', 1, 10),
      ]);
      assert.deepEqual(done, [true, true, false, true, true]);
      const usage = await store.usage.list({ functionName: 'fn' });
      assert.deepEqual(usage.map((u) => [u.hour, u.requests, u.billedMs]), [[H, 2, 2 * rec('a', 0).billedMs], [2 * H, 1, rec('d', 0).billedMs]]);
      assert.equal(await store.invocations.get('c'), null);
      assert.deepEqual(await q.counts('fn'), { queued: 0, running: 1, succeeded: 3, dead: 0 });
      assert.deepEqual(await q.counts('g'), { queued: 0, running: 0, succeeded: 1, dead: 0 });
      // dead-lettered ones and those finished later add to the same counts
      assert.equal(await q.deadLetter('c', 1, 'non-retryable', null, 20), true);
      assert.equal(await q.deadLetter('c', 1, 'non-retryable', null, 20), false);
      assert.deepEqual(await q.counts(), { queued: 0, running: 0, succeeded: 4, dead: 1 });
    });

    it('addDead writes work that ran elsewhere as a dead letter with its follow-ups, once; redrive and purge treat it as any', async () => {
      const q = store.queue;
      const dead = { ...item('t1', { trigger: 'event', source: 'event:orders:s1', idempotencyKey: 'ce:s1:src\n1' }), acceptedAt: 100, attempts: 3, reason: 'max-attempts' };
      assert.equal(await q.addDead({ ...dead, error: { code: 'NIMBUS_ERR_FUNCTION_ERROR', message: 'Error: no' } }, 500, [item('t1-failed', { target: 'audit' })]), true);
      const t1 = await q.get('t1');
      assert.deepEqual(
        [t1?.state, t1?.deadReason, t1?.lastError, t1?.attempts, t1?.acceptedAt, t1?.enqueuedAt, t1?.finishedAt, t1?.trigger, t1?.source, t1?.idempotencyKey],
        ['dead', 'max-attempts', { code: 'NIMBUS_ERR_FUNCTION_ERROR', message: 'Error: no' }, 3, 100, 100, 500, 'event', 'event:orders:s1', 'ce:s1:src\n1'],
      );
      assert.deepEqual((await q.list({ target: 'audit', limit: 10 })).map((i) => i.id), ['t1-failed']);
      assert.deepEqual(await q.dueTargets(10_000), [{ kind: 'invoke', target: 'audit', count: 1 }], 'a dead letter is not claimable');
      // The log delivered it again (a crash before its ack): nothing new is written.
      assert.equal(await q.addDead({ ...dead, reason: 'max-age', error: null }, 600, [item('t1-again', { target: 'audit' })]), false);
      assert.equal((await q.get('t1'))?.deadReason, 'max-attempts');
      assert.equal(await q.get('t1-again'), null);
      // A key another item holds moves to the dead letter (as an expired key does on enqueue).
      await q.enqueue([item('holder', { target: 'g', idempotencyKey: 'k' })], 0, DAY);
      assert.equal(await q.addDead({ ...item('t2', { target: 'g', idempotencyKey: 'k' }), acceptedAt: 50, attempts: 1, reason: 'max-age', error: null }, 700), true);
      assert.equal((await q.get('holder'))?.idempotencyKey, null);
      assert.equal((await q.get('t2'))?.idempotencyKey, 'k');
      assert.deepEqual((await q.list({ state: 'dead', limit: 10 })).map((i) => i.id), ['t2', 't1']);
      assert.equal(await q.redrive('t1', 1_000), true);
      const r = await q.get('t1');
      assert.deepEqual([r?.state, r?.attempts, r?.enqueuedAt, r?.dueAt, r?.deadReason], ['queued', 0, 1_000, 1_000, null]);
      const [claimed] = await q.claim('fn', 1, 1_000, 1_000);
      assert.deepEqual([claimed?.id, claimed?.attempts, claimed?.trigger], ['t1', 1, 'event']);
      assert.equal(await q.purge('t2'), true);
    });

    it('prune drops succeeded items finished before a time, never dead ones', async () => {
      const q = store.queue;
      await q.enqueue([item('a'), item('b')], 0, DAY);
      await q.claim('fn', 2, 0, 1_000);
      await q.complete('a', 1, 10);
      await q.deadLetter('b', 1, 'max-age', null, 10);
      assert.equal(await q.prune(100), 1);
      assert.equal(await q.get('a'), null);
      assert.equal((await q.get('b'))?.state, 'dead');
    });

    it('an enqueue may claim its item: written as claim() returns it, leased, fenced and recovered as any claimed item', async () => {
      const q = store.queue;
      const input = { ...item('a', { idempotencyKey: 'k', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }), claim: { owner: 'n1', leaseUntil: 1_100 } };
      assert.deepEqual(await q.enqueue([input, item('b')], 100, DAY), [{ id: 'a', created: true }, { id: 'b', created: true }]);
      assert.deepEqual(await q.get('a'), claimedItem(input, 100));
      assert.deepEqual(await q.counts(), { queued: 1, running: 1, succeeded: 0, dead: 0 });
      assert.deepEqual((await q.claim('fn', 10, 200, 1_000)).map((i) => i.id), ['b'], 'a claimed item is not claimed again while leased');
      // A repeat of the key claims nothing: the first item stays as it was.
      const again = { ...item('a2', { idempotencyKey: 'k' }), claim: { owner: 'n1', leaseUntil: 5_000 } };
      assert.deepEqual(await q.enqueue([again], 300, DAY), [{ id: 'a', created: false }]);
      assert.equal(await q.get('a2'), null);
      assert.equal((await q.get('a'))?.dueAt, 1_100);
      // Its lease runs out like a claim's: the next claim is attempt 2 and attempt 1 is fenced out.
      assert.deepEqual(await q.dueTargets(1_100), [{ kind: 'invoke', target: 'fn', count: 1 }]);
      const [second] = await q.claim('fn', 1, 1_100, 1_000);
      assert.deepEqual([second.id, second.attempts], ['a', 2]);
      assert.equal(await q.complete('a', 1, 1_200), false);
      assert.equal(await q.complete('a', 2, 1_200), true);
      // recover(now, alive) takes back the claimed items of owners not alive only.
      await q.enqueue([{ ...item('c'), claim: { owner: 'n1', leaseUntil: 9_000 } }, { ...item('d'), claim: { owner: 'n2', leaseUntil: 9_000 } }], 2_000, DAY);
      assert.equal(await q.recover(2_100, ['n1']), 2, 'd and b (claimed with no owner)');
      assert.equal((await q.get('c'))?.state, 'running');
      assert.equal((await q.get('d'))?.state, 'queued');
    });

    it('counts and lists by state follow every change of state, per target and in all', async () => {
      const q = store.queue;
      const STATES = ['queued', 'running', 'succeeded', 'dead'] as const;
      // What the items say, read one by one, against counts() and list({ state }).
      const check = async (step: string) => {
        const ids = ['a', 'b', 'c', 'd', 'e', 'g1', 'g2', 'x', 'x-done'];
        const items = (await Promise.all(ids.map((id) => q.get(id)))).filter((i) => i !== null);
        for (const target of [undefined, 'fn', 'g', 'audit']) {
          const mine = items.filter((i) => target === undefined || i.target === target);
          const expected = Object.fromEntries(STATES.map((s) => [s, mine.filter((i) => i.state === s).length]));
          assert.deepEqual(await q.counts(target), expected, `${step}: counts(${target ?? ''})`);
          for (const state of STATES) {
            const listed = (await q.list({ state, ...(target === undefined ? {} : { target }), limit: 100 })).map((i) => i.id);
            const want = mine.filter((i) => i.state === state).map((i) => i.id).sort().reverse();
            assert.deepEqual(listed, want, `${step}: list(${state}, ${target ?? ''})`);
          }
        }
      };
      await q.enqueue([item('a'), item('b'), item('c'), item('d'), item('e'), item('g1', { target: 'g' }), item('g2', { target: 'g' })], 0, DAY);
      await check('enqueued');
      await q.claim('fn', 5, 0, 1_000);
      await q.claim('g', 2, 0, 1_000);
      await check('claimed');
      await q.complete('a', 1, 10, [item('x-done', { target: 'audit' })]);
      await q.retry('b', 1, 20, { code: 'X', message: 'bad' }, 10);
      await q.release('c', 1, 20, 10, true);
      await q.deadLetter('d', 1, 'max-attempts', null, 10);
      await q.deadLetter('g1', 1, 'max-age', null, 10);
      await q.addDead({ ...item('x', { target: 'audit' }), acceptedAt: 5, attempts: 2, reason: 'max-attempts', error: null }, 10);
      await check('finished');
      assert.equal(await q.complete('a', 1, 11), false, 'a repeat changes nothing');
      assert.equal(await q.addDead({ ...item('x', { target: 'audit' }), acceptedAt: 5, attempts: 2, reason: 'max-attempts', error: null }, 11), false);
      await check('repeats');
      await q.redrive('d', 100);
      await q.redriveAll('g', 100);
      await check('redriven');
      await q.claim('fn', 10, 100, 1_000);
      await q.deadLetter('d', 1, 'max-attempts', null, 110);
      await q.complete('b', 2, 110);
      await q.recover(120);
      await check('recovered');
      assert.equal(await q.purge('d'), true);
      assert.equal(await q.purge('x'), true);
      assert.equal(await q.prune(200), 2);
      await check('purged and pruned');
    });

    it('triggers: create, list with filters, lastFiredAt never moves back, delete', async () => {
      const t = store.triggers;
      const created = await t.create(timer('t1', { input: { hello: 1 } }));
      assert.deepEqual(created, { ...timer('t1'), input: { hello: 1 }, workflow: null, topic: null, filter: null, lastFiredAt: null });
      await t.create(timer('t2', { functionName: 'g', kind: 'event', schedule: null, missed: null, topic: 'orders', filter: { type: { exact: 'x' } } }));
      assert.deepEqual((await t.list()).map((r) => r.id), ['t1', 't2']);
      assert.deepEqual((await t.list({ topic: 'orders' })).map((r) => r.id), ['t2']);
      assert.deepEqual((await t.list({ kind: 'timer', functionName: 'fn' })).map((r) => r.id), ['t1']);
      assert.deepEqual((await t.get('t2'))?.filter, { type: { exact: 'x' } });
      await t.setLastFiredAt('t1', 5_000);
      await t.setLastFiredAt('t1', 4_000);
      assert.equal((await t.get('t1'))?.lastFiredAt, 5_000);
      assert.equal(await t.delete('t1'), true);
      assert.equal(await t.delete('t1'), false);
      assert.equal(await t.deleteForFunction('g'), 1);
      assert.deepEqual(await t.list(), []);
    });

    it('triggers may target a workflow: stored, listed by workflow, untouched by function deletes', async () => {
      const t = store.triggers;
      await t.create(timer('w1', { functionName: '', workflow: 'orders' }));
      await t.create(timer('f1'));
      assert.equal((await t.get('w1'))?.workflow, 'orders');
      assert.equal((await t.get('f1'))?.workflow, null);
      assert.deepEqual((await t.list({ workflow: 'orders' })).map((r) => r.id), ['w1']);
      assert.deepEqual((await t.list({ functionName: 'fn' })).map((r) => r.id), ['f1']);
      assert.equal(await t.deleteForFunction('fn'), 1);
      assert.deepEqual((await t.list()).map((r) => r.id), ['w1']);
    });

    it('start-workflow items: claimed by their target, deduped by key, fenced like any item', async () => {
      const q = store.queue;
      const item = { kind: 'start-workflow' as const, target: 'workflow:orders', trigger: 'cron' as const, source: 'timer:t1', payload: '{"a":1}', idempotencyKey: 'timer:t1:60000' };
      const [a] = await q.enqueue([{ id: 'w-a', ...item }], 1_000, 60_000);
      const [b] = await q.enqueue([{ id: 'w-b', ...item }], 1_001, 60_000);
      assert.deepEqual([a, b], [{ id: 'w-a', created: true }, { id: 'w-a', created: false }]);
      // A function of the same name is another target.
      await q.enqueue([{ id: 'f-a', kind: 'invoke', target: 'orders', trigger: 'cron', source: 's', payload: '{}', idempotencyKey: 'timer:t1:60000' }], 1_002, 60_000);
      assert.deepEqual((await q.dueTargets(2_000)).map((d) => `${d.kind} ${d.target} ${d.count}`).sort(), ['invoke orders 1', 'start-workflow workflow:orders 1']);
      const [claimed] = await q.claim('workflow:orders', 10, 2_000, 5_000);
      assert.deepEqual([claimed.id, claimed.kind, claimed.attempts], ['w-a', 'start-workflow', 1]);
      // The lease runs out: claimed again (attempt 2); the first attempt can no longer finish it.
      const [again] = await q.claim('workflow:orders', 10, 7_001, 5_000);
      assert.equal(again.attempts, 2);
      assert.equal(await q.complete('w-a', 1, 7_002), false);
      assert.equal(await q.complete('w-a', 2, 7_003), true);
      assert.equal((await q.get('w-a'))?.state, 'succeeded');
    });

    it('replaceDeclared keeps unchanged declarations (and their lastFiredAt), drops the rest, leaves API ones', async () => {
      const t = store.triggers;
      await t.create(timer('api1'));
      await t.replaceDeclared('fn', [timer('d1', { origin: 'deploy' }), timer('d2', { origin: 'deploy', schedule: '@hourly' })]);
      await t.setLastFiredAt('d1', 9_000);
      const next = await t.replaceDeclared('fn', [timer('d3', { origin: 'deploy' }), timer('d4', { origin: 'deploy', schedule: '@daily' })]);
      assert.deepEqual(next.map((r) => r.id), ['d1', 'd4']);
      assert.equal(next[0].lastFiredAt, 9_000);
      assert.deepEqual((await t.list()).map((r) => r.id).sort(), ['api1', 'd1', 'd4']);
      await t.replaceDeclared('fn', []);
      assert.deepEqual((await t.list()).map((r) => r.id), ['api1']);
    });

    it('topics and async policies', async () => {
      assert.equal(await store.topics.create('orders', 5), true);
      assert.equal(await store.topics.create('orders', 6), false);
      assert.deepEqual(await store.topics.get('orders'), { name: 'orders', createdAt: 5 });
      assert.deepEqual(await store.topics.list(), [{ name: 'orders', createdAt: 5 }]);
      assert.equal(await store.topics.delete('orders'), true);
      assert.equal(await store.topics.get('orders'), null);
      assert.equal(await store.asyncPolicies.get('fn'), null);
      await store.asyncPolicies.put('fn', { maxAttempts: 5 }, 10);
      await store.asyncPolicies.put('fn', { maxAttempts: 7 }, 20);
      assert.deepEqual(await store.asyncPolicies.get('fn'), { functionName: 'fn', policy: { maxAttempts: 7 }, updatedAt: 20 });
      assert.equal(await store.asyncPolicies.delete('fn'), true);
    });
  });
}
