import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract, deployInput, sampleRecord } from '../contract.ts';
import { leaseContract } from '../lease-contract.ts';
import { openSqliteStore } from './sqlite-store.ts';

storeContract('sqlite (memory)', async () => openSqliteStore(':memory:'));
leaseContract('sqlite (memory)', async () => openSqliteStore(':memory:'));

storeContract('sqlite (file)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-store-'));
  const store = openSqliteStore(join(dir, 'nimbus.db'));
  return { ...store, close: async () => (await store.close(), rmSync(dir, { recursive: true, force: true })) };
});

test('data survives closing and reopening the file, and migrations do not rerun', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-store-'));
  try {
    const path = join(dir, 'nimbus.db');
    const first = openSqliteStore(path);
    await first.functions.deploy(deployInput('hello', 'A'));
    await first.invocations.insertMany([sampleRecord('01')]);
    await first.close();
    const second = openSqliteStore(path);
    assert.equal((await second.functions.get('hello'))?.currentVersion, 1);
    assert.equal((await second.invocations.get('01'))?.id, '01');
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
