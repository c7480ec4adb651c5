import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { AwsKeyStore } from './keys.ts';

describe('AwsKeyStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-awskeys-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = new FakeClock(1_700_000_000_000);

  it('issues a key whose secret is stored encrypted, readable again after a reload', () => {
    const store = new AwsKeyStore(dir, clock);
    const k = store.create('ci');
    assert.match(k.accessKeyId, /^NKIA[A-Z2-7]{16}$/);
    assert.equal(store.secretOf(k.accessKeyId), k.secretAccessKey);
    const onDisk = readFileSync(join(dir, 'aws-keys.json'), 'utf8');
    assert.ok(onDisk.includes(k.accessKeyId));
    assert.ok(!onDisk.includes(k.secretAccessKey), 'the secret is not on disk in clear');
    assert.equal(statSync(join(dir, 'aws-keys.key')).mode & 0o777, 0o600);
    const again = new AwsKeyStore(dir, clock);
    assert.equal(again.secretOf(k.accessKeyId), k.secretAccessKey);
    assert.deepEqual(again.list(), [{ accessKeyId: k.accessKeyId, createdAt: clock.now(), description: 'ci' }]);
  });

  it('a removed key is gone; removing an unknown one says so', () => {
    const store = new AwsKeyStore(dir, clock);
    const k = store.create();
    store.remove(k.accessKeyId);
    assert.equal(store.secretOf(k.accessKeyId), undefined);
    assert.equal(new AwsKeyStore(dir, clock).secretOf(k.accessKeyId), undefined);
    assert.throws(() => store.remove(k.accessKeyId), /NIMBUS_ERR_AWS_KEY_NOT_FOUND|no access key/);
  });
});
