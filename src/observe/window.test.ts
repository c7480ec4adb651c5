/** The recent window's error count: a client that went away is a request, not an error. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RecentWindow } from './window.ts';

describe('RecentWindow', () => {
  it('counts NIMBUS_ERR_CLIENT_CLOSED as a request but not as an error; other failures are errors', () => {
    const w = new RecentWindow();
    const now = 1_000_000;
    const rec = (status: 'success' | 'error', errorCode: string | null) => w.add({ functionName: 'f', status, durationMs: 3, coldStart: false, errorCode }, now);
    rec('success', null);
    rec('error', 'NIMBUS_ERR_CLIENT_CLOSED');
    rec('error', 'NIMBUS_ERR_FUNCTION_ERROR');
    rec('error', 'NIMBUS_ERR_CLIENT_CLOSED');
    const s = w.summary('f', 60_000, now);
    assert.equal(s.requests, 4);
    assert.equal(s.errorRate, 0.25);
  });
});
