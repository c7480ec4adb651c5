import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { SecretBox } from '../../releases/secret-box.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { AWS_KEY_SEAL_DOMAIN, AwsKeyStore } from './keys.ts';

describe('AwsKeyStore', () => {
  const clock = new FakeClock(1_700_000_000_000);
  const box = new SecretBox(randomBytes(32));

  it('issues a key whose secret is in the store only sealed, readable by another instance on the same store', async () => {
    const store = await openSqliteStore(':memory:');
    const keys = new AwsKeyStore(store.awsKeys, box, clock);
    const k = await keys.create('ci');
    assert.match(k.accessKeyId, /^NKIA[A-Z2-7]{16}$/);
    assert.equal(await keys.secretOf(k.accessKeyId), k.secretAccessKey);
    const row = await store.awsKeys.get(k.accessKeyId);
    assert.ok(row && !row.sealedSecret.includes(k.secretAccessKey), 'the secret is not in the store in clear');
    assert.equal(box.open(AWS_KEY_SEAL_DOMAIN, k.accessKeyId, row.sealedSecret), k.secretAccessKey);
    const other = new AwsKeyStore(store.awsKeys, box, clock);
    assert.equal(await other.secretOf(k.accessKeyId), k.secretAccessKey);
    assert.deepEqual(await other.list(), [{ accessKeyId: k.accessKeyId, createdAt: clock.now(), description: 'ci' }]);
    await store.close();
  });

  it('a removed key is gone; removing an unknown or malformed one says so', async () => {
    const store = await openSqliteStore(':memory:');
    const keys = new AwsKeyStore(store.awsKeys, box, clock);
    const k = await keys.create();
    await keys.remove(k.accessKeyId);
    assert.equal(await keys.secretOf(k.accessKeyId), undefined);
    await assert.rejects(keys.remove(k.accessKeyId), /no access key/);
    await assert.rejects(keys.remove('NKIA\u0000%'), /no access key/);
    assert.equal(await keys.secretOf("x' OR 1=1 --"), undefined);
    await store.close();
  });

  it('a sealed secret moved to another key id, or opened under another platform key, does not open', async () => {
    const store = await openSqliteStore(':memory:');
    const keys = new AwsKeyStore(store.awsKeys, box, clock);
    const a = await keys.create('a');
    const row = (await store.awsKeys.get(a.accessKeyId))!;
    const forged = 'NKIA' + 'B'.repeat(16);
    await store.awsKeys.insert({ ...row, accessKeyId: forged });
    await assert.rejects(keys.secretOf(forged), /NIMBUS_ERR_SECRET_UNREADABLE|does not open/);
    await assert.rejects(new AwsKeyStore(store.awsKeys, new SecretBox(randomBytes(32)), clock).secretOf(a.accessKeyId), /does not open/);
    await store.close();
  });
});
