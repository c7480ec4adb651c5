import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../core/clock.ts';
import type { InvocationRecord } from '../core/types.ts';
import { sampleRecord } from '../store/contract.ts';
import type { InvocationRepo } from '../store/ports.ts';
import { Recorder } from './recorder.ts';

function memoryRepo() {
  const written: InvocationRecord[][] = [];
  const repo: InvocationRepo = {
    insertMany: async (records) => void written.push([...records]),
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
  recorder.push(first, new Promise((resolve) => (settle = resolve)));
  recorder.push(sampleRecord('plain'));
  assert.deepEqual(seen, ['bg', 'plain'], 'listeners count both now');
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
  recorder.push(sampleRecord('bg'), new Promise(() => {}));
  await recorder.stop();
  assert.deepEqual(written.map((b) => b.map((r) => r.id)), [['bg']]);
});

test('get answers the newest version of an id, from the buffer or from the batch being written, until the store has it', async () => {
  let commit!: () => void;
  const repo: InvocationRepo = {
    insertMany: () => new Promise<void>((resolve) => (commit = resolve)),
    get: async () => null,
    list: async () => [],
    prune: async () => 0,
  };
  const recorder = new Recorder(repo, new FakeClock(0), 100, (e) => assert.fail(String(e)));
  const attempt1 = sampleRecord('job', { attempt: 1 });
  recorder.push(attempt1);
  const flushed = recorder.flush();
  assert.equal(recorder.get('job'), attempt1, 'being written');
  const attempt2 = sampleRecord('job', { attempt: 2 });
  recorder.push(attempt2);
  assert.equal(recorder.get('job'), attempt2, 'the newer one, still buffered');
  commit();
  await flushed;
  assert.equal(recorder.get('job'), attempt2);
  assert.equal(recorder.get('nothing'), undefined);
});
