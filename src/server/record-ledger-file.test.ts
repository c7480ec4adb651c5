import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openFileRecordLedger } from './record-ledger-file.ts';

test('the ledger file tells the next run what the previous one issued and never committed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-ledger-'));
  try {
    const path = join(dir, 'records.ledger');
    const first = openFileRecordLedger(path);
    assert.deepEqual(first.previous, { issued: 0, committed: 0, lost: 0 }, 'no file: no previous run');
    first.noteIssued(120);
    first.noteCommitted(100);
    first.noteIssued(130);
    // no close: as after kill -9, what was written is what the next run reads
    const second = openFileRecordLedger(path);
    assert.deepEqual(second.previous, { issued: 130, committed: 100, lost: 30 });
    assert.equal(statSync(path).size, 16);
    second.noteIssued(5);
    second.noteCommitted(5);
    second.close();
    first.close();
    const third = openFileRecordLedger(path);
    assert.deepEqual(third.previous, { issued: 5, committed: 5, lost: 0 }, 'a run that wrote everything lost nothing');
    third.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
