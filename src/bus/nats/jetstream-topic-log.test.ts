import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { topicLogContract } from '../topic-contract.ts';
import type { TopicDelivery } from '../topic-port.ts';
import { openJetStreamTopicLog, topicStreamName } from './jetstream-topic-log.ts';
import { natsSkipReason, TEST_NATS } from './test-server.ts';

const skip = await natsSkipReason();
// A namespace (so a stream) of this run's own: parallel runs do not share it.
const namespace = `nimbustest.t${process.pid}x${Date.now().toString(36)}`;

if (skip !== null) test('JetStream topic log contract suite', { skip }, () => {});
else {
  topicLogContract('NATS JetStream', () => openJetStreamTopicLog(TEST_NATS, { namespace, duplicateWindowMs: 60_000, maxAgeMs: 600_000 }), { ackWaitMs: 1_000 });
  test('a delivery settled after its log closed (a node stopping mid-invocation) does not throw: it comes again after the ack wait', async () => {
    const log = await openJetStreamTopicLog(TEST_NATS, { namespace, duplicateWindowMs: 60_000, maxAgeMs: 600_000 });
    let got!: (d: TopicDelivery) => void;
    const delivered = new Promise<TopicDelivery>((r) => (got = r));
    await log.consume('closing', 'sub', { since: 0, ackWaitMs: 1_000, maxInFlight: 1 }, got);
    await log.publish('closing', [{ id: 'x', data: 1 }]);
    const d = await delivered;
    await log.close();
    d.extend();
    d.ack();
    d.retry(0);
  });
  after(async () => {
    const nc = await connect({ servers: new URL(TEST_NATS.split(',')[0]).host });
    await (await nc.jetstreamManager()).streams.delete(topicStreamName(namespace)).catch(() => false);
    await nc.close();
  });
}

test('a NATS server that does not answer is NIMBUS_ERR_BUS_UNAVAILABLE for the topic log too', async () => {
  await assert.rejects(openJetStreamTopicLog('nats://127.0.0.1:1', { namespace: 'x', duplicateWindowMs: 1_000, maxAgeMs: 1_000, timeoutMs: 1_000 }), { code: 'NIMBUS_ERR_BUS_UNAVAILABLE' });
});
