import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { SecretBox } from '../../releases/secret-box.ts';
import { openSqliteStore } from '../../store/sqlite/sqlite-store.ts';
import { AwsKeyStore } from './keys.ts';
import { importLegacyAwsFiles } from './legacy-import.ts';
import { LambdaMetaStore } from './lambda-meta.ts';

/** The files as the file-based AwsKeyStore and LambdaMetaStore wrote them. */
function writeLegacy(dir: string, keys: { id: string; secret: string; description: string }[], facts: Record<string, unknown>): void {
  const master = randomBytes(32);
  writeFileSync(join(dir, 'aws-keys.key'), master, { mode: 0o600 });
  const seal = (secret: string): string => {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', master, iv);
    const ct = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64');
  };
  writeFileSync(join(dir, 'aws-keys.json'), JSON.stringify(keys.map((k, i) => ({ accessKeyId: k.id, createdAt: 1_000 + i, description: k.description, secret: seal(k.secret) }))));
  writeFileSync(join(dir, 'aws-lambda.json'), JSON.stringify(facts));
}

describe('importing the AWS layer\'s old JSON files', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const fresh = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'nimbus-awsimport-'));
    dirs.push(d);
    return d;
  };
  const box = new SecretBox(randomBytes(32));
  const clock = new FakeClock(5_000);
  const K1 = 'NKIA' + 'A'.repeat(16);
  const K2 = 'NKIA' + 'B'.repeat(16);
  const facts = { hello: { runtime: 'nodejs18.x', handler: 'app.main', role: 'r', description: 'd', codeSha256: 'x', codeSize: 10, published: [1], reservedConcurrency: 3 } };

  it('imports keys (secrets sealed again) and facts once, and renames the files', async () => {
    const dir = fresh();
    writeLegacy(dir, [{ id: K1, secret: 'secret-one', description: 'ci' }, { id: K2, secret: 'secret-two', description: '' }], facts);
    const store = await openSqliteStore(':memory:');
    assert.deepEqual(await importLegacyAwsFiles(dir, store, box), { keys: { imported: 2, kept: 0 }, facts: { imported: 1, kept: 0 } });
    const keys = new AwsKeyStore(store.awsKeys, box, clock);
    assert.equal(await keys.secretOf(K1), 'secret-one');
    assert.equal(await keys.secretOf(K2), 'secret-two');
    assert.deepEqual((await keys.list()).map((k) => [k.accessKeyId, k.createdAt, k.description]), [[K1, 1_000, 'ci'], [K2, 1_001, '']]);
    assert.ok(!JSON.stringify(await store.awsKeys.list()).includes('secret-one'), 'not in clear in the store');
    assert.equal((await new LambdaMetaStore(store.lambdaFacts).metaOf('hello')).handler, 'app.main');
    for (const f of ['aws-keys.json', 'aws-keys.key', 'aws-lambda.json']) {
      assert.equal(existsSync(join(dir, f)), false, `${f} renamed`);
      assert.equal(existsSync(join(dir, f + '.imported')), true, `${f}.imported there`);
    }
    assert.deepEqual(await importLegacyAwsFiles(dir, store, box), { keys: null, facts: null }, 'the next start finds nothing to do');
    await store.close();
  });

  it('a second node importing its own copy keeps what the store already has', async () => {
    const store = await openSqliteStore(':memory:');
    const first = fresh();
    writeLegacy(first, [{ id: K1, secret: 'secret-one', description: 'first' }], facts);
    await importLegacyAwsFiles(first, store, box);
    const second = fresh();
    writeLegacy(second, [{ id: K1, secret: 'secret-one', description: 'second' }, { id: K2, secret: 'two', description: '' }], { hello: { runtime: 'other' }, bye: { runtime: 'python3.12' } });
    assert.deepEqual(await importLegacyAwsFiles(second, store, box), { keys: { imported: 1, kept: 1 }, facts: { imported: 1, kept: 1 } });
    assert.equal((await store.awsKeys.get(K1))?.description, 'first');
    assert.equal((await new LambdaMetaStore(store.lambdaFacts).metaOf('hello')).runtime, 'nodejs18.x');
    await store.close();
  });

  it('keys without their master key are refused, and the files are left alone', async () => {
    const dir = fresh();
    writeLegacy(dir, [{ id: K1, secret: 's', description: '' }], {});
    rmSync(join(dir, 'aws-keys.key'));
    const store = await openSqliteStore(':memory:');
    await assert.rejects(importLegacyAwsFiles(dir, store, box), /aws-keys\.key is missing/);
    assert.equal(existsSync(join(dir, 'aws-keys.json')), true);
    assert.deepEqual(await store.awsKeys.list(), []);
    await store.close();
  });

  it('a data directory with only the master key (no key was ever made) retires it', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'aws-keys.key'), randomBytes(32));
    const store = await openSqliteStore(':memory:');
    assert.deepEqual(await importLegacyAwsFiles(dir, store, box), { keys: null, facts: null });
    assert.equal(existsSync(join(dir, 'aws-keys.key')), false);
    await store.close();
  });
});
