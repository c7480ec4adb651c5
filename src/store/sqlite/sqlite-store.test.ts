import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeContract, deployInput, sampleRecord } from '../contract.ts';
import Database from 'better-sqlite3';
import { NimbusError } from '../../core/errors.ts';
import { leaseContract } from '../lease-contract.ts';
import { nodeContract } from '../node-contract.ts';
import { awsContract } from '../aws-contract.ts';
import { MIGRATIONS } from './migrations.ts';
import { openSqliteStore } from './sqlite-store.ts';

storeContract('sqlite (memory)', async () => openSqliteStore(':memory:'));
leaseContract('sqlite (memory)', async () => openSqliteStore(':memory:'));
nodeContract('sqlite (memory)', async () => openSqliteStore(':memory:'));
awsContract('sqlite (memory)', async () => openSqliteStore(':memory:'));

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

test('a file written by a newer Nimbus is refused with NIMBUS_ERR_STORE_SCHEMA_NEWER', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-store-'));
  try {
    const path = join(dir, 'nimbus.db');
    await openSqliteStore(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    assert.throws(() => openSqliteStore(path), (e: unknown) => e instanceof NimbusError && e.code === 'NIMBUS_ERR_STORE_SCHEMA_NEWER' && /upgrade Nimbus/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
