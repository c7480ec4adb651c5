/**
 * A node function's `fetch` is the platform's, asked over the process's IPC channel, which
 * the function's own code can write to (process.send): forged requests are checked here
 * before the platform's outbound fetch sees them.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { FakeClock } from '../../core/clock.ts';
import { NimbusError } from '../../core/errors.ts';
import { baseConfig } from '../contract.ts';
import type { HttpRequestData } from '../port.ts';
import { NodeInstance } from './node-instance.ts';

class FakeChild extends EventEmitter {
  connected = true;
  exitCode = null;
  signalCode = null;
  readonly pid = 0;
  readonly sent: Array<Record<string, unknown>> = [];
  send(message: Record<string, unknown>, callback?: (e: Error | null) => void): boolean {
    this.sent.push(message);
    callback?.(null);
    if (this.waiting && message.t !== 'call') this.waiting();
    return true;
  }
  waiting: (() => void) | null = null;
  /** The next message the instance sends (its answer to a fetch). */
  next(): Promise<Record<string, unknown>> {
    return new Promise((resolve) => (this.waiting = () => ((this.waiting = null), resolve(this.sent.at(-1)!))));
  }
}

function setup() {
  const child = new FakeChild();
  const fetches: Array<{ request: HttpRequestData; invocationId: string }> = [];
  const instance = new NodeInstance(
    new FakeClock(),
    {
      instanceId: 'i', functionName: 'fn', version: 1, code: '', config: { ...baseConfig, runtime: 'node' }, onLog: () => {},
      fetch: async (request, invocationId) => {
        fetches.push({ request, invocationId });
        if (request.url.includes('127.0.0.1')) throw new NimbusError('NIMBUS_ERR_EGRESS_DENIED', 'fetch http://127.0.0.1: 127.0.0.1 is loopback, which user code may not reach');
        return { status: 200, statusText: 'OK', headers: [['content-type', 'text/plain']], body: new TextEncoder().encode('ok') };
      },
    },
    { child: child as unknown as ChildProcess, spawnedAt: 0, ready: Promise.resolve(), cgroup: null },
    null,
  );
  instance.exports = { fetch: true, handler: false };
  return { child, fetches, instance };
}

const get = (url: string) => ({ method: 'GET', url, headers: [['x', 'y']], body: null });

describe("a node function's fetch over the IPC channel", () => {
  it('goes through the platform with the id of a call in flight, and answers', async () => {
    const { child, fetches, instance } = setup();
    void instance.invoke({ mode: 'fetch', request: { method: 'GET', url: 'http://x/', headers: [], body: null }, meta: { invocationId: 'inv-7', functionName: 'fn', version: 1, deadline: new FakeClock().now() + 60_000, attempt: 1, memoryMb: 128 } } as never).catch(() => {});
    const answer = child.next();
    child.emit('message', { t: 'fetch', id: 1, invocationId: 'inv-7', request: get('https://example.com/') });
    assert.deepEqual(await answer, { t: 'fetched', id: 1, response: { status: 200, statusText: 'OK', headers: [['content-type', 'text/plain']], body: new TextEncoder().encode('ok') } });
    assert.equal(fetches[0].invocationId, 'inv-7');
  });

  it("another invocation's id counts as none; a refused address and a malformed request fail inside the function", async () => {
    const { child, fetches } = setup();
    let answer = child.next();
    child.emit('message', { t: 'fetch', id: 1, invocationId: 'someone-else', request: get('https://example.com/') });
    assert.equal((await answer).t, 'fetched');
    assert.equal(fetches[0].invocationId, '');

    answer = child.next();
    child.emit('message', { t: 'fetch', id: 2, invocationId: '', request: get('http://127.0.0.1:8080/api/v1/functions') });
    assert.deepEqual(await answer, { t: 'fetch-failed', id: 2, error: { message: 'fetch http://127.0.0.1: 127.0.0.1 is loopback, which user code may not reach', code: 'NIMBUS_ERR_EGRESS_DENIED' } });

    for (const request of [null, 'http://x/', { method: 'GET', url: 5, headers: [], body: null }, { method: 'GET', url: 'http://x/', headers: [['a']], body: null }, { method: 'GET', url: 'http://x/', headers: [], body: 'text' }]) {
      answer = child.next();
      child.emit('message', { t: 'fetch', id: 3, invocationId: '', request });
      const a = await answer;
      assert.equal(a.t, 'fetch-failed', JSON.stringify(request));
    }
    assert.equal(fetches.length, 2, 'malformed requests never reach the platform fetch');
  });
});
