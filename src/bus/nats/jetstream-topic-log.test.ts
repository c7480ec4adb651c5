import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'nats';
import { topicLogContract } from '../topic-contract.ts';
import { openJetStreamTopicLog, topicStreamName } from './jetstream-topic-log.ts';
import { natsSkipReason, TEST_NATS } from './test-server.ts';

const skip = await natsSkipReason();
// A namespace (so a stream) of this run's own: parallel runs do not share it.
const namespace = `nimbustest.t${process.pid}x${Date.now().toString(36)}`;

if (skip !== null) test('JetStream topic log contract suite', { skip }, () => {});
else {
  topicLogContract('NATS JetStream', () => openJetStreamTopicLog(TEST_NATS, { namespace, duplicateWindowMs: 60_000, maxAgeMs: 600_000 }), { ackWaitMs: 1_000 });
  after(async () => {
    const nc = await connect({ servers: new URL(TEST_NATS.split(',')[0]).host });
    await (await nc.jetstreamManager()).streams.delete(topicStreamName(namespace)).catch(() => false);
    await nc.close();
  });
}

test('a NATS server that does not answer is NIMBUS_ERR_BUS_UNAVAILABLE for the topic log too', async () => {
  await assert.rejects(openJetStreamTopicLog('nats://127.0.0.1:1', { namespace: 'x', duplicateWindowMs: 1_000, maxAgeMs: 1_000, timeoutMs: 1_000 }), { code: 'NIMBUS_ERR_BUS_UNAVAILABLE' });
});
