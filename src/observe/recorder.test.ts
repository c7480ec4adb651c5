import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import type { InvocationRecord } from '../core/types.ts';
import { memoryPack, sampleRecord } from '../store/contract.ts';
import { recordsOf } from '../store/record-pack.ts';
import type { InvocationRepo } from '../store/ports.ts';
import { newId } from '../core/ids.ts';
import { Recorder } from './recorder.ts';

function memoryRepo() {
  const written: InvocationRecord[][] = [];
  const repo: InvocationRepo = {
    insertMany: async (records) => void (records.length > 0 && written.push([...records])),
    newPack: memoryPack,
    append: async (pack) => void (recordsOf(pack).length > 0 && written.push([...recordsOf(pack)])),
    get: async () => null,
    list: async () => [],
    prune: async () => 0,
  };
  return { repo, written };
}

test('a record with background work still to settle: read and counted at once, written once, in its final version', async () => {
  const clock = new FakeClock(0);
  const { repo, written } = memoryRepo();
  const recorder = new Recorder(repo, clock, 100, (e) => assert.fail(String(e)));
  const seen: string[] = [];
  recorder.subscribe((r) => seen.push(r.id));
  let settle!: (r: InvocationRecord) => void;
  const first = sampleRecord('bg', { logs: [{ t: 1, level: 'info', msg: 'before' }] });
  recorder.push(first, true, new Promise((resolve) => (settle = resolve)));
  recorder.push(sampleRecord('plain'), true);
  recorder.catchUp();
  assert.deepEqual(seen, ['bg', 'plain'], 'listeners count both once caught up');
  assert.equal(recorder.get('bg'), first);

  await recorder.flush();
  assert.deepEqual(written.map((b) => b.map((r) => r.id)), [['plain']], 'the unsettled one waits');

  const final = { ...first, logs: [...first.logs, { t: 2, level: 'info' as const, msg: 'after' }] };
  settle(final);
  await Promise.resolve();
  assert.equal(recorder.get('bg'), final);
  clock.advance(100); // the settle scheduled a flush
  await recorder.flush();
  assert.deepEqual(written.map((b) => b.map((r) => r.id)), [['plain'], ['bg']]);
  assert.deepEqual(written[1][0].logs.map((l) => l.msg), ['before', 'after']);
  assert.deepEqual(seen, ['bg', 'plain'], 'the final version is not counted again');
});

test('stopping writes records whose background work has not settled, as they are', async () => {
  const { repo, written } = memoryRepo();
  const recorder = new Recorder(repo, new FakeClock(0), 100, (e) => assert.fail(String(e)));
  recorder.push(sampleRecord('bg'), true, new Promise(() => {}));
  await recorder.stop();
  assert.deepEqual(written.map((b) => b.map((r) => r.id)), [['bg']]);
});

test('get answers the newest version of an id, from the buffer or from the batch being written, until the store has it', async () => {
  let commit!: () => void;
  let appended!: () => void;
  const repo: InvocationRepo = {
    insertMany: () => new Promise<void>((resolve) => (commit = resolve)),
    newPack: memoryPack,
    append: () => new Promise<void>((resolve) => (appended = resolve)),
    get: async () => null,
    list: async () => [],
    prune: async () => 0,
  };
  const recorder = new Recorder(repo, new FakeClock(0), 100, (e) => assert.fail(String(e)));
  const attempt1 = sampleRecord('job', { attempt: 1 });
  recorder.push(attempt1, false);
  const fresh = sampleRecord('fresh');
  recorder.push(fresh, true);
  assert.deepEqual(recorder.get('fresh'), fresh, 'buffered (in a pack)');
  const flushed = recorder.flush();
  assert.deepEqual(recorder.get('fresh'), fresh, 'being appended');
  appended();
  await Promise.resolve();
  assert.equal(recorder.get('job'), attempt1, 'being written');
  const attempt2 = sampleRecord('job', { attempt: 2 });
  recorder.push(attempt2, false);
  assert.equal(recorder.get('job'), attempt2, 'the newer one, still buffered');
  commit();
  await flushed;
  assert.equal(recorder.get('job'), attempt2);
  assert.equal(recorder.get('fresh'), undefined, 'in the store now');
  assert.equal(recorder.get('nothing'), undefined);
});

test('get prefers the later attempt of an id, even when an earlier one still waits for its background work', async () => {
  const { repo } = memoryRepo();
  const recorder = new Recorder(repo, new FakeClock(0), 100, (e) => assert.fail(String(e)));
  const attempt1 = sampleRecord('job', { attempt: 1, startedAt: 1 });
  recorder.push(attempt1, false, new Promise(() => {}));
  const attempt2 = sampleRecord('job', { attempt: 2, startedAt: 2 });
  recorder.push(attempt2, false);
  assert.equal(recorder.get('job'), attempt2);
  const flushing = recorder.flush(); // attempt 2 is written, attempt 1 stays buffered
  assert.equal(recorder.get('job'), attempt2);
  await flushing;
});

test('a batch of records with ids made for them that failed is written again exactly as it was', async () => {
  const appended: string[][] = [];
  let fail = true;
  const repo: InvocationRepo = {
    insertMany: async () => {},
    newPack: memoryPack,
    append: async (pack) => {
      if (fail) {
        fail = false;
        throw new Error('disk full');
      }
      appended.push(recordsOf(pack).map((r) => r.id));
    },
    get: async () => null,
    list: async () => [],
    prune: async () => 0,
  };
  const errors: number[] = [];
  const clock = new FakeClock(0);
  const recorder = new Recorder(repo, clock, 100, (_e, n) => errors.push(n));
  recorder.push(sampleRecord('a'), true);
  recorder.push(sampleRecord('b'), true);
  await recorder.flush();
  assert.deepEqual(errors, [2]);
  assert.equal(recorder.get('a')?.id, 'a', 'still readable while waiting to be written again');
  assert.deepEqual(recorder.pending().map((r) => r.id), ['a', 'b'], 'and still listed');
  recorder.push(sampleRecord('c'), true);
  await recorder.flush();
  assert.deepEqual(appended, [['a', 'b'], ['c']], 'the failed batch again on its own, then the new one');
  assert.equal(recorder.get('a'), undefined);
});

test('while the store fails, a flush stops at the first failed write (each can take the busy timeout) and loses nothing', async () => {
  let calls = 0;
  let failing = true;
  const appended: string[][] = [];
  const inserted: string[][] = [];
  const repo: InvocationRepo = {
    insertMany: async (records) => void (records.length > 0 && inserted.push(records.map((r) => r.id))),
    newPack: memoryPack,
    append: async (pack) => {
      calls++;
      if (failing) throw new Error('database is locked');
      appended.push(recordsOf(pack).map((r) => r.id));
    },
    get: async () => null,
    list: async () => [],
    prune: async () => 0,
  };
  const recorder = new Recorder(repo, new FakeClock(0), 100, () => {});
  recorder.push(sampleRecord('a'), true);
  await recorder.flush();
  recorder.push(sampleRecord('b'), true);
  recorder.push(sampleRecord('job'), false);
  calls = 0;
  await recorder.flush();
  assert.equal(calls, 1, 'the second batch was not tried after the first failed');
  assert.deepEqual(inserted, [], 'nor the keyed records');
  assert.deepEqual(recorder.pending().map((r) => r.id).sort(), ['a', 'b', 'job']);
  failing = false;
  await recorder.flush();
  assert.deepEqual(appended, [['a'], ['b']]);
  assert.deepEqual(inserted, [['job']]);
  assert.deepEqual(recorder.pending(), []);
});

test('pending(query): the unwritten records it selects, one version an id (the latest attempt), newest first, at most limit', async () => {
  const clock = new FakeClock(0);
  const { repo } = memoryRepo();
  const recorder = new Recorder(repo, clock, 100, (e) => assert.fail(String(e)));
  const T = Date.UTC(2026, 10, 27);
  const fresh = [3, 1, 2].map((dt) => sampleRecord(newId(T + dt), { startedAt: T + dt, functionName: dt === 2 ? 'b' : 'a' }));
  for (const r of fresh) recorder.push(r, true);
  const jobId = newId(T + 4);
  recorder.push(sampleRecord(jobId, { startedAt: T + 4, attempt: 1, status: 'error', trigger: 'async', functionName: 'a' }), false);
  recorder.push(sampleRecord(jobId, { startedAt: T + 9, attempt: 2, trigger: 'async', functionName: 'a' }), false);
  const ids = (q: Parameters<Recorder['pending']>[0]) => recorder.pending(q).map((r) => `${r.id === jobId ? 'job' : r.startedAt - T}${r.attempt > 1 ? '#2' : ''}`);
  assert.deepEqual(ids({ limit: 10 }), ['job#2', '3', '2', '1']);
  assert.deepEqual(ids({ limit: 2 }), ['job#2', '3']);
  assert.deepEqual(ids({ functionName: 'a', limit: 10 }), ['job#2', '3', '1']);
  assert.deepEqual(ids({ status: 'error', limit: 10 }), [], 'attempt 1 failed, but attempt 2 is what the job is now');
  assert.deepEqual(ids({ status: 'success', limit: 1 }), ['job#2']);
  assert.deepEqual(ids({ before: fresh[0].id, since: T + 2, limit: 10 }), ['2']);
  assert.equal(recorder.pending().length, 5, 'without a query: everything, as it is');
  await recorder.stop();
});

test('listeners see records once the recorder catches up, in the order pushed, with the time each was pushed; every read catches up', async () => {
  const clock = new FakeClock(1000);
  const { repo, written } = memoryRepo();
  const recorder = new Recorder(repo, clock, 100, (e) => assert.fail(String(e)));
  const seen: string[] = [];
  recorder.subscribe((r, at) => seen.push(`${r.id}@${at}`));
  recorder.push(sampleRecord('a'), true);
  clock.advance(5);
  recorder.push(sampleRecord('b'), true);
  assert.deepEqual(seen, [], 'not yet: taken in one loop later');
  clock.advance(5);
  recorder.push(sampleRecord('job'), false); // keyed: taken at once, after those before it
  assert.deepEqual(seen, ['a@1000', 'b@1005', 'job@1010']);
  recorder.push(sampleRecord('c'), true);
  assert.equal(recorder.get('c')?.id, 'c', 'get catches up');
  assert.deepEqual(seen.at(-1), 'c@1010');
  recorder.push(sampleRecord('d'), true);
  assert.deepEqual(recorder.pending({ limit: 10 }).map((r) => r.id).sort(), ['a', 'b', 'c', 'd', 'job'], 'so does pending');
  recorder.push(sampleRecord('e'), true);
  clock.advance(100); // the flush timer catches up and writes
  await recorder.flush();
  assert.deepEqual(written.flat().map((r) => r.id).sort(), ['a', 'b', 'c', 'd', 'e', 'job']);
  assert.equal(seen.length, 6);
});

test('a store outage does not grow memory without bound: past 100,000 records waiting, new ones are dropped and counted (listeners still see them)', async () => {
  const clock = new FakeClock(0);
  let failing = true;
  const written: string[] = [];
  const repo: InvocationRepo = {
    insertMany: async () => {},
    // No pack of its own: the recorder gathers records in a plain one (store/record-pack.ts).
    append: async (batch) => {
      if (failing) throw new Error('disk full');
      for (const r of recordsOf(batch)) written.push(r.id);
    },
    get: async () => null,
    list: async () => [],
    prune: async () => 0,
  };
  let errors = 0;
  const recorder = new Recorder(repo, clock, 100, () => errors++);
  let seen = 0;
  recorder.subscribe(() => seen++);
  const base = sampleRecord('x');
  for (let i = 0; i < 60_000; i++) recorder.push({ ...base, id: `a${i}` }, true);
  await recorder.flush(); // fails: kept to be written again
  assert.equal(errors, 1);
  for (let i = 0; i < 60_000; i++) recorder.push({ ...base, id: `b${i}` }, true);
  assert.equal(recorder.pending().length, 100_000);
  assert.equal(recorder.dropped, 20_000);
  assert.equal(seen, 120_000);
  failing = false;
  await recorder.stop();
  assert.equal(written.length, 100_000);
  assert.equal(written.at(-1), 'b39999', 'the newest ones past the limit were dropped');
});

test('records being written count toward the limit: a slow write that fails, again and again, does not let memory grow past it', async () => {
  const clock = new FakeClock(0);
  let fail!: (e: Error) => void;
  const repo: InvocationRepo = {
    insertMany: async () => {},
    newPack: memoryPack,
    append: () => new Promise<void>((_, reject) => (fail = reject)),
    get: async () => null,
    list: async () => [],
    prune: async () => 0,
  };
  const recorder = new Recorder(repo, clock, 100, () => {});
  const base = sampleRecord('x');
  let n = 0;
  const pushMany = (count: number) => {
    for (let i = 0; i < count; i++) recorder.push({ ...base, id: `r${n++}` }, true);
  };
  for (let cycle = 0; cycle < 3; cycle++) {
    pushMany(90_000);
    const flushed = recorder.flush(); // hangs in the store…
    await Promise.resolve();
    pushMany(90_000); // …while more come
    assert.ok(recorder.pending().length <= 100_000, `cycle ${cycle}: ${recorder.pending().length} held`);
    fail(new Error('disk full'));
    await flushed;
  }
  assert.equal(recorder.pending().length, 100_000);
  assert.equal(recorder.dropped, 540_000 - 100_000);
});

test('a listener that unsubscribes still sees every record pushed while it listened', () => {
  const { repo } = memoryRepo();
  const recorder = new Recorder(repo, new FakeClock(0), 100, (e) => assert.fail(String(e)));
  const seen: string[] = [];
  const stop = recorder.subscribe((r) => seen.push(r.id));
  recorder.push(sampleRecord('a'), true);
  stop();
  recorder.push(sampleRecord('b'), true);
  recorder.catchUp();
  assert.deepEqual(seen, ['a']);
});

test('unwritten counts the records a crash would lose: pushed, taken, being written, until the store has them', async () => {
  const clock = new FakeClock(0);
  const { repo } = memoryRepo();
  let commit!: () => void;
  const slow: InvocationRepo = { ...repo, append: () => new Promise<void>((resolve) => (commit = resolve)) };
  const recorder = new Recorder(slow, clock, 100, (e) => assert.fail(String(e)));
  assert.equal(recorder.unwritten(), 0);
  recorder.push(sampleRecord(newId(1)), true);
  recorder.push(sampleRecord(newId(2)), true);
  assert.equal(recorder.unwritten(), 2);
  recorder.catchUp();
  assert.equal(recorder.unwritten(), 2);
  const writing = recorder.flush();
  await Promise.resolve();
  assert.equal(recorder.unwritten(), 2, 'being written is not written');
  commit();
  await writing;
  assert.equal(recorder.unwritten(), 0);
});

test('the ledger: records taken in and records committed, of ids made for their invocation; an async attempt (keyed) is not counted', async () => {
  let fail = false;
  const repo: InvocationRepo = {
    ...memoryRepo().repo,
    append: async () => {
      if (fail) throw new Error('disk full');
    },
  };
  const notes = { issued: 0, committed: 0 };
  const ledger = { noteIssued: (n: number) => (notes.issued = n), noteCommitted: (n: number) => (notes.committed = n) };
  const recorder = new Recorder(repo, new FakeClock(0), 100, () => {}, ledger);
  recorder.push(sampleRecord('a'), true);
  recorder.push(sampleRecord('b'), true);
  assert.deepEqual(notes, { issued: 0, committed: 0 }, 'pushed, not yet taken in: nothing noted (a crash now loses them uncounted)');
  recorder.catchUp();
  assert.deepEqual(notes, { issued: 2, committed: 0 }, 'a crash now would lose 2, and the next start can say so');
  await recorder.flush();
  assert.deepEqual(notes, { issued: 2, committed: 2 });
  recorder.push(sampleRecord('async-attempt'), false);
  let settle!: (r: InvocationRecord) => void;
  recorder.push(sampleRecord('with-waitUntil'), true, new Promise((resolve) => (settle = resolve)));
  assert.deepEqual(notes, { issued: 3, committed: 2 }, 'the keyed record is committed with its queue outcome: not counted');
  fail = true;
  settle(sampleRecord('with-waitUntil'));
  await Promise.resolve();
  await recorder.flush();
  assert.deepEqual(notes, { issued: 3, committed: 2 }, 'a failed write commits nothing');
  fail = false;
  await recorder.flush();
  assert.deepEqual(notes, { issued: 3, committed: 3 });
});

test('an async attempt whose record the queue committed with its outcome: readable until the flush, not written again; its final version still is', async () => {
  const clock = new FakeClock(0);
  const { repo, written } = memoryRepo();
  const recorder = new Recorder(repo, clock, 100, (e) => assert.fail(String(e)));
  const done = sampleRecord('done-job', { trigger: 'async' });
  const other = sampleRecord('other-job', { trigger: 'async' });
  let settle!: (r: InvocationRecord) => void;
  const first = sampleRecord('bg-job', { trigger: 'async', logs: [{ t: 1, level: 'info', msg: 'before' }] });
  recorder.push(done, false);
  recorder.push(other, false);
  recorder.push(first, false, new Promise((resolve) => (settle = resolve)));
  recorder.committedByItsCaller(done);
  recorder.committedByItsCaller(first);
  recorder.committedByItsCaller(sampleRecord('fresh')); // not keyed: nothing to skip
  assert.equal(recorder.get('done-job'), done, 'read from memory until the flush');

  await recorder.flush();
  assert.deepEqual(written.map((b) => b.map((r) => r.id)), [['other-job']], 'the committed one is not written again');
  assert.equal(recorder.get('done-job'), undefined, 'the store answers for it now');

  const final = { ...first, logs: [...first.logs, { t: 2, level: 'info' as const, msg: 'after' }] };
  settle(final);
  await Promise.resolve();
  clock.advance(100);
  await recorder.flush();
  assert.deepEqual(written.map((b) => b.map((r) => r.id)), [['other-job'], ['bg-job']], 'the final version, with the later logs, is written');
});

test('the flush of the interval leaves a keyed record its caller commits to the next one, so that the commit in between saves the second write; other keyed records are written at once', async () => {
  const clock = new FakeClock(0);
  const { repo, written } = memoryRepo();
  const recorder = new Recorder(repo, clock, 100, (e) => assert.fail(String(e)));
  const settleWrites = async () => {
    for (let i = 0; i < 10; i++) await Promise.resolve();
  };
  const committed = sampleRecord('committed-job', { trigger: 'async' });
  const throttled = sampleRecord('throttled-job', { trigger: 'async' });
  recorder.push(committed, false, undefined, true);
  recorder.push(throttled, false, undefined, true);
  recorder.push(sampleRecord('workflow-task', { trigger: 'workflow' }), false); // keyed, nobody else commits it
  recorder.push(sampleRecord('fresh'), true);
  clock.advance(100);
  await settleWrites();
  assert.deepEqual(written.map((b) => b.map((r) => r.id)), [['fresh'], ['workflow-task']], 'those their caller commits wait one interval');
  recorder.committedByItsCaller(committed);
  clock.advance(100);
  await settleWrites();
  assert.deepEqual(written.map((b) => b.map((r) => r.id)), [['fresh'], ['workflow-task'], ['throttled-job']], 'the one its caller did not commit is written at the next');
});
