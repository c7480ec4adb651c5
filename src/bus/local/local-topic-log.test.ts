import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock, systemClock } from '../../core/clock.ts';
import { topicLogContract } from '../topic-contract.ts';
import type { TopicDelivery } from '../topic-port.ts';
import { openLocalTopicLog } from './local-topic-log.ts';

topicLogContract('in-process', async () => openLocalTopicLog(systemClock), { sharedInstance: true, ackWaitMs: 200 });

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

test('on a fake clock: an unacked delivery comes again exactly when its ack wait runs out, a retry after its delay', async () => {
  const clock = new FakeClock(1_000);
  const log = openLocalTopicLog(clock);
  const got: TopicDelivery[] = [];
  await log.consume('t', 's', { since: 0, ackWaitMs: 1_000, maxInFlight: 1 }, (d) => got.push(d));
  await log.publish('t', [{ id: 'a', data: 'a' }]);
  await settle();
  assert.deepEqual(got.map((d) => d.attempt), [1]);
  clock.advance(999);
  await settle();
  assert.equal(got.length, 1, 'not before the ack wait');
  clock.advance(1);
  await settle();
  assert.deepEqual(got.map((d) => d.attempt), [1, 2]);
  got[0].ack(); // a late ack of the first attempt changes nothing
  got[1].retry(5_000);
  clock.advance(4_999);
  await settle();
  assert.equal(got.length, 2);
  clock.advance(1);
  await settle();
  assert.deepEqual(got.map((d) => d.attempt), [1, 2, 3]);
  got[2].ack();
  clock.advance(60_000);
  await settle();
  assert.equal(got.length, 3, 'acked: never again');
  await log.close();
});
