import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { FakeClock } from '../core/clock.ts';
import { BodyBudget, readBody, type BodyPolicy } from './body.ts';

/** A request stream the test feeds by hand. */
function request(headers: Record<string, string>, method = 'POST'): PassThrough & IncomingMessage {
  return Object.assign(new PassThrough(), { headers, method }) as unknown as PassThrough & IncomingMessage;
}

function policy(budgetBytes = 1000, timeoutMs = 5000): BodyPolicy & { clock: FakeClock } {
  return { clock: new FakeClock(), timeoutMs, budget: new BodyBudget(budgetBytes) };
}

describe('readBody', () => {
  it('reads a body and gives its share of the budget back', async () => {
    const p = policy();
    const req = request({ 'content-length': '5' });
    const body = readBody(req, 100, p);
    assert.equal(p.budget.usedBytes, 5, 'a declared length is held from the start');
    req.end('hello');
    assert.equal((await body)?.toString(), 'hello');
    assert.equal(p.budget.usedBytes, 0);
    assert.equal(p.clock.pendingTimers(), 0);
  });

  it('a body that has not arrived by the deadline is a 408, and its bytes and budget are let go', async () => {
    const p = policy(1000, 200);
    const req = request({ 'transfer-encoding': 'chunked' });
    const body = readBody(req, 100, p);
    req.write('abc');
    await new Promise((r) => setImmediate(r));
    assert.equal(p.budget.usedBytes, 3, 'a chunked body holds what it has sent');
    p.clock.advance(199);
    req.write('d');
    p.clock.advance(1);
    await assert.rejects(body, { code: 'NIMBUS_ERR_REQUEST_TIMEOUT', status: 408 });
    assert.equal(p.budget.usedBytes, 0);
  });

  it('past the budget a request is a 503 before its body is read; the budget is shared across requests', async () => {
    const p = policy(100);
    const a = request({ 'content-length': '60' });
    const first = readBody(a, 100, p);
    await assert.rejects(readBody(request({ 'content-length': '60' }), 100, p), { code: 'NIMBUS_ERR_BODY_BUDGET', status: 503 });
    const chunked = request({ 'transfer-encoding': 'chunked' });
    const third = readBody(chunked, 100, p);
    chunked.write(Buffer.alloc(30));
    chunked.write(Buffer.alloc(20));
    await assert.rejects(third, { code: 'NIMBUS_ERR_BODY_BUDGET' });
    assert.equal(p.budget.usedBytes, 60, 'the refused chunked body gave back its share');
    a.end(Buffer.alloc(60));
    assert.equal((await first)?.length, 60);
    assert.equal(p.budget.usedBytes, 0);
  });

  it('a client that goes away mid-body settles the read and gives its share back', async () => {
    const p = policy();
    const req = request({ 'content-length': '50' });
    const body = readBody(req, 100, p);
    req.write('partial');
    req.destroy();
    await assert.rejects(body, { code: 'NIMBUS_ERR_BAD_REQUEST' });
    assert.equal(p.budget.usedBytes, 0);
  });

  it('keeps the byte limit: declared or streamed past it is a 413', async () => {
    const p = policy();
    await assert.rejects(readBody(request({ 'content-length': '101' }), 100, p), { code: 'NIMBUS_ERR_PAYLOAD_TOO_LARGE' });
    const req = request({ 'transfer-encoding': 'chunked' });
    const body = readBody(req, 100, p);
    req.write(Buffer.alloc(101));
    await assert.rejects(body, { code: 'NIMBUS_ERR_PAYLOAD_TOO_LARGE' });
    assert.equal(p.budget.usedBytes, 0);
  });
});
