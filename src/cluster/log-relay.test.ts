import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openLocalBus } from '../bus/local/local-bus.ts';
import { FakeClock } from '../core/clock.ts';
import { LogCollector } from '../observe/log-collector.ts';
import { LogRelay } from './log-relay.ts';

const settle = async () => {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

test('lines written on one node reach followers on another only while someone follows there', async () => {
  const clock = new FakeClock(0);
  const bus = openLocalBus();
  const logs = { a: new LogCollector(1024, clock), b: new LogCollector(1024, clock) };
  const relays = (['a', 'b'] as const).map((node) => new LogRelay({ clock, bus, namespace: 'nimbus.t', nodeId: node, logs: logs[node], onError: (e) => assert.fail(String(e)) }));
  const sent: unknown[] = [];
  bus.subscribe('nimbus.t.logs.lines', (m) => sent.push(m));
  for (const r of relays) r.start();
  const write = (msg: string) => {
    logs.a.open(`i-${msg}`, 'fn');
    logs.a.append(`i-${msg}`, 'info', msg);
    logs.a.close(`i-${msg}`);
  };
  write('nobody follows');
  await settle();
  assert.deepEqual(sent, [], 'no follower anywhere: nothing crosses the bus');

  const seenOnB: string[] = [];
  const unfollow = logs.b.subscribe((fn, id, line) => seenOnB.push(`${fn} ${id} ${line.msg}`));
  clock.advance(1_000); // b announces its interest
  await settle();
  write('hello');
  await settle();
  assert.deepEqual(seenOnB, ['fn i-hello hello']);
  const seenOnA: string[] = [];
  logs.a.subscribe((_fn, _id, line) => seenOnA.push(line.msg));
  write('local');
  await settle();
  assert.deepEqual(seenOnA, ['local'], 'a follower on a sees a’s own line once (not again relayed)');

  unfollow();
  for (let i = 0; i < 6; i++) {
    clock.advance(1_000);
    await settle();
  }
  const before = sent.length;
  (logs.a as unknown as { followers: Set<unknown> }).followers.clear(); // a's follower gone too
  for (let i = 0; i < 6; i++) {
    clock.advance(1_000);
    await settle();
  }
  write('after');
  await settle();
  assert.equal(sent.length, before, 'interest lapsed: forwarding stopped');
  for (const r of relays) r.stop();
});
