import { test } from 'node:test';
import assert from 'node:assert/strict';
import { busContract } from '../contract.ts';
import { openNatsBus } from './nats-bus.ts';
import { natsSkipReason, TEST_NATS } from './test-server.ts';

const skip = await natsSkipReason();

if (skip !== null) test('NATS bus contract suite', { skip }, () => {});
else busContract('nats', () => openNatsBus(TEST_NATS));

test('a NATS server that does not answer is NIMBUS_ERR_BUS_UNAVAILABLE, without the password', async () => {
  await assert.rejects(openNatsBus('nats://nimbus:hunter2@127.0.0.1:1', 1_000), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'NIMBUS_ERR_BUS_UNAVAILABLE');
    assert.match(e.message, /127\.0\.0\.1:1/);
    assert.doesNotMatch(e.message, /hunter2/);
    return true;
  });
});
