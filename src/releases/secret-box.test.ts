import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isNimbusError } from '../core/errors.ts';
import { loadSecretsKey, parseSecretsKey, SECRETS_KEY_FILE, SecretBox } from './secret-box.ts';

const key = Buffer.alloc(32, 7);

test('a sealed value opens to itself and does not show it', () => {
  const box = new SecretBox(key);
  const sealed = box.seal('api', 'DB_PASSWORD', 'hunter2-very-secret');
  assert.ok(!sealed.includes('hunter2'));
  assert.ok(!Buffer.from(sealed).toString('base64').includes(Buffer.from('hunter2').toString('base64')));
  assert.equal(box.open('api', 'DB_PASSWORD', sealed), 'hunter2-very-secret');
});

test('two seals of one value differ (a fresh IV each)', () => {
  const box = new SecretBox(key);
  assert.notEqual(box.seal('api', 'A', 'same'), box.seal('api', 'A', 'same'));
});

test('a sealed value does not open under another function, name or key, nor when altered', () => {
  const box = new SecretBox(key);
  const sealed = box.seal('api', 'A', 'value-1');
  const refused = (f: () => unknown) => assert.throws(f, (e) => isNimbusError(e) && e.code === 'NIMBUS_ERR_SECRET_UNREADABLE');
  refused(() => box.open('other', 'A', sealed));
  refused(() => box.open('api', 'B', sealed));
  refused(() => new SecretBox(Buffer.alloc(32, 8)).open('api', 'A', sealed));
  const parts = sealed.split('.');
  const flipped = Buffer.from(parts[3], 'base64url');
  flipped[0] ^= 1;
  refused(() => box.open('api', 'A', [parts[0], parts[1], parts[2], flipped.toString('base64url')].join('.')));
  refused(() => box.open('api', 'A', 'plain'));
});

test('a sealed value with its tag cut short does not open (GCM takes only the full 16-byte tag)', () => {
  const box = new SecretBox(key);
  const [prefix, iv, tag, body] = box.seal('api', 'A', 'value-1').split('.');
  for (const bytes of [4, 8, 12, 15]) {
    const short = Buffer.from(tag, 'base64url').subarray(0, bytes).toString('base64url');
    assert.throws(
      () => box.open('api', 'A', [prefix, iv, short, body].join('.')),
      (e) => isNimbusError(e) && e.code === 'NIMBUS_ERR_SECRET_UNREADABLE',
      `a ${bytes}-byte tag`,
    );
  }
});

test('the key file is made once with mode 0600 and read back', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-key-'));
  const first = loadSecretsKey(dir, '');
  const path = join(dir, SECRETS_KEY_FILE);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(loadSecretsKey(dir, ''), first);
  assert.deepEqual(parseSecretsKey(readFileSync(path, 'utf8')), first);
});

test('a configured key wins and must be 32 bytes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-key-'));
  const hex = 'ab'.repeat(32);
  assert.deepEqual(loadSecretsKey(dir, hex), Buffer.from(hex, 'hex'));
  assert.deepEqual(loadSecretsKey(dir, Buffer.alloc(32, 3).toString('base64')), Buffer.alloc(32, 3));
  assert.throws(() => loadSecretsKey(dir, 'short'), (e) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION');
});
