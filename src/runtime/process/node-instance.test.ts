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
import type { HttpRequestData, InstanceCall } from '../port.ts';
import type { InstanceCgroup } from './instance-cgroup.ts';
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

function setup(cgroup: InstanceCgroup | null = null, clock = new FakeClock()) {
  const child = new FakeChild();
  const fetches: Array<{ request: HttpRequestData; invocationId: string }> = [];
  const logs: Array<[string, string, unknown]> = [];
  const instance = new NodeInstance(
    clock,
    {
      instanceId: 'i', functionName: 'fn', version: 1, code: '', config: { ...baseConfig, runtime: 'node' }, onLog: (id, level, msg) => logs.push([id, level, msg]),
      fetch: async (request, invocationId) => {
        fetches.push({ request, invocationId });
        if (request.url.includes('127.0.0.1')) throw new NimbusError('NIMBUS_ERR_EGRESS_DENIED', 'fetch http://127.0.0.1: 127.0.0.1 is loopback, which user code may not reach');
        return { status: 200, statusText: 'OK', headers: [['content-type', 'text/plain']], body: new TextEncoder().encode('ok') };
      },
    },
    { child: child as unknown as ChildProcess, spawnedAt: 0, ready: Promise.resolve(), cgroup },
    cgroup,
  );
  instance.exports = { fetch: true, handler: false };
  return { child, fetches, instance, logs };
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

const oomCgroup = (oom: boolean): InstanceCgroup => ({ procsFiles: [], oomKilled: () => oom, memoryBytes: () => 0, setMemoryLimit: () => {}, cpuMs: () => null, remove: () => true });

function call(clock: FakeClock, invocationId: string, timeoutMs = 60_000): InstanceCall {
  return { mode: 'handler', event: null, meta: { invocationId, functionName: 'fn', version: 1, deadline: clock.now() + timeoutMs, attempt: 1, memoryMb: 128 } };
}

const codeOf = (p: Promise<unknown>) => p.then(() => 'resolved', (e: NimbusError) => e.code);

describe('which call a node instance\'s death is charged to', () => {
  it('an OOM kill with one call in flight is its MEMORY_LIMIT', async () => {
    const clock = new FakeClock();
    const { child, instance } = setup(oomCgroup(true), clock);
    instance.exports = { fetch: false, handler: true };
    const only = codeOf(instance.invoke(call(clock, 'a')));
    child.emit('exit', null, 'SIGKILL');
    assert.equal(await only, 'NIMBUS_ERR_MEMORY_LIMIT');
    assert.equal(instance.deathReason(), 'memory_limit');
  });

  it('an OOM kill with several in flight cannot be charged to one: all get MEMORY_LIMIT', async () => {
    const clock = new FakeClock();
    const { child, instance } = setup(oomCgroup(true), clock);
    instance.exports = { fetch: false, handler: true };
    const calls = [codeOf(instance.invoke(call(clock, 'a'))), codeOf(instance.invoke(call(clock, 'b')))];
    child.emit('exit', null, 'SIGKILL');
    assert.deepEqual(await Promise.all(calls), ['NIMBUS_ERR_MEMORY_LIMIT', 'NIMBUS_ERR_MEMORY_LIMIT']);
  });

  it('a timeout is the late call\'s; the others in flight are INSTANCE_CRASHED; a crash is everyone\'s', async () => {
    const clock = new FakeClock();
    const { child, instance } = setup(oomCgroup(false), clock);
    instance.exports = { fetch: false, handler: true };
    const late = codeOf(instance.invoke(call(clock, 'late', 100)));
    const other = codeOf(instance.invoke(call(clock, 'other', 10_000)));
    clock.advance(100);
    assert.equal(instance.deathReason(), 'timeout');
    child.emit('exit', null, 'SIGKILL');
    assert.deepEqual([await late, await other], ['NIMBUS_ERR_TIMEOUT', 'NIMBUS_ERR_INSTANCE_CRASHED']);

    const second = setup(oomCgroup(false), clock);
    second.instance.exports = { fetch: false, handler: true };
    const both = [codeOf(second.instance.invoke(call(clock, 'a'))), codeOf(second.instance.invoke(call(clock, 'b')))];
    second.child.emit('exit', 1, null);
    assert.deepEqual(await Promise.all(both), ['NIMBUS_ERR_INSTANCE_CRASHED', 'NIMBUS_ERR_INSTANCE_CRASHED']);
    assert.equal(second.instance.deathReason(), 'crashed');
  });
});

function upgrade(clock: FakeClock, invocationId: string, timeoutMs = 60_000): InstanceCall {
  return { mode: 'fetch', request: { method: 'GET', url: 'http://x/ws', headers: [['upgrade', 'websocket']], body: null }, meta: { invocationId, functionName: 'fn', version: 1, deadline: clock.now() + timeoutMs, attempt: 1, memoryMb: 128 } };
}

/** A client's end of the gateway, as a SocketSink that records what reaches it. */
function clientSink() {
  const got: unknown[] = [];
  return { got, sink: { message: (m: string | Uint8Array) => got.push(m) > 0, close: (code: number, reason: string) => void got.push(['close', code, reason]) } };
}

const head = { status: 101, statusText: 'Switching Protocols', headers: [['x-a', 'b']], body: new Uint8Array(0) };

describe('a WebSocket a node function accepted, over the IPC channel', () => {
  it('relays text and bytes both ways; refuses what is neither; the call ends once the worker has run the close listeners', async () => {
    const clock = new FakeClock();
    const { child, instance } = setup(oomCgroup(false), clock);
    const pending = instance.invoke(upgrade(clock, 'ws-1'));
    child.emit('message', { t: 'result', id: 1, mode: 'fetch', response: head, background: false, socket: 5 });
    const result = await pending;
    assert.ok(result.mode === 'fetch' && result.response.webSocket !== undefined && result.streamEnd !== undefined);
    const peer = result.response.webSocket!;
    const { got, sink } = clientSink();
    peer.attach(sink);
    assert.equal(peer.send('hi'), true);
    assert.equal(peer.send(new Uint8Array([1, 2])), true);
    assert.deepEqual(child.sent.slice(-2), [{ t: 'ws-message', id: 5, data: 'hi' }, { t: 'ws-message', id: 5, data: new Uint8Array([1, 2]) }]);
    child.emit('message', { t: 'ws-send', id: 5, data: 'back' });
    child.emit('message', { t: 'ws-send', id: 5, data: new Uint8Array([9]) });
    // a number no socket has, and a socket of no call, count as none
    child.emit('message', { t: 'ws-send', id: 6, data: 'forged' });
    child.emit('message', { t: 'ws-closed', id: 5 });
    assert.deepEqual(got, ['back', new Uint8Array([9])]);
    assert.equal(peer.bytesIn, 4);
    assert.equal(peer.bytesOut, 5);
    child.emit('message', { t: 'ws-send', id: 5, data: 42 });
    assert.deepEqual(got.at(-1), ['close', 1011, 'the function sent a message that is not text or bytes']);

    // backpressure: past 8 client messages not yet handled the gateway is told to stop reading; an ack frees a place
    let drained = 0;
    peer.onDrain = () => drained++;
    const answers = Array.from({ length: 6 }, () => peer.send('m'));
    assert.deepEqual(answers, [true, true, true, true, true, false]);
    child.emit('message', { t: 'ws-ack', id: 5 });
    assert.equal(drained, 1);

    let ended: unknown = null;
    void result.streamEnd.then((end) => (ended = end));
    peer.close(4001, 'bye');
    assert.deepEqual(child.sent.at(-1), { t: 'ws-close', id: 5, code: 4001, reason: 'bye' });
    await Promise.resolve();
    assert.equal(ended, null, 'the close listeners have not run yet');
    child.emit('message', { t: 'ws-closed', id: 5 });
    await Promise.resolve();
    assert.deepEqual(ended, { error: null });
    assert.equal(instance.deathReason(), null);
  });

  it("a socket open at its call's deadline is closed with 1011 and the call fails with TIMEOUT; the process serves on", async () => {
    const clock = new FakeClock();
    const { child, instance } = setup(oomCgroup(false), clock);
    const pending = instance.invoke(upgrade(clock, 'ws-2', 500));
    child.emit('message', { t: 'result', id: 1, mode: 'fetch', response: head, background: false, socket: 3 });
    const result = await pending;
    assert.ok(result.mode === 'fetch' && result.streamEnd !== undefined);
    const { got, sink } = clientSink();
    result.response.webSocket!.attach(sink);
    clock.advance(500);
    assert.equal((await result.streamEnd).error?.code, 'NIMBUS_ERR_TIMEOUT');
    assert.deepEqual(got, [['close', 1011, 'the invocation timed out']]);
    assert.deepEqual(child.sent.at(-1), { t: 'ws-close', id: 3, code: 1011, reason: 'the invocation timed out' });
    assert.equal(instance.deathReason(), null);
  });

  it("the process's exit ends the socket's call with its death and closes the client with 1011; an unusable answer is BAD_RESPONSE", async () => {
    const clock = new FakeClock();
    const { child, instance } = setup(oomCgroup(false), clock);
    const bad = codeOf(instance.invoke(upgrade(clock, 'ws-0')));
    child.emit('message', { t: 'result', id: 1, mode: 'fetch', response: head, background: false, socket: 0 });
    assert.equal(await bad, 'NIMBUS_ERR_BAD_RESPONSE');
    const pending = instance.invoke(upgrade(clock, 'ws-3'));
    child.emit('message', { t: 'result', id: 2, mode: 'fetch', response: head, background: false, socket: 8 });
    const result = await pending;
    assert.ok(result.mode === 'fetch' && result.streamEnd !== undefined);
    const { got, sink } = clientSink();
    result.response.webSocket!.attach(sink);
    child.emit('exit', null, 'SIGKILL');
    assert.equal((await result.streamEnd).error?.code, 'NIMBUS_ERR_INSTANCE_CRASHED');
    assert.deepEqual(got, [['close', 1011, "the function's instance stopped (crashed)"]]);
  });
});

describe('messages a node function forges on its IPC channel (escape tests)', () => {
  const call = (instance: NodeInstance, invocationId: string, mode: 'fetch' | 'handler' = 'fetch') =>
    instance.invoke({ mode, ...(mode === 'fetch' ? { request: { method: 'GET', url: 'http://x/', headers: [], body: null } } : { event: {} }), meta: { invocationId, functionName: 'fn', version: 1, deadline: new FakeClock().now() + 60_000, attempt: 1, memoryMb: 128 } } as never);

  it('an answer of the wrong shape fails its call as a bad response, and does not throw in the platform', async () => {
    const forged: Array<Record<string, unknown>> = [
      { t: 'error', error: null, badResponse: false },
      { t: 'error', error: { name: 1, message: [], stack: {} }, badResponse: false },
      { t: 'result', mode: 'fetch', response: { status: 'abc', statusText: 5, headers: 7, body: 'str' }, background: false },
      { t: 'result', mode: 'fetch', response: { status: 200 }, background: false },
      { t: 'result', mode: 'fetch', response: null, background: false },
      { t: 'result', mode: 'handler', value: 10n, background: false },
      { t: 'result', mode: 'nonsense', background: false },
    ];
    for (const message of forged) {
      const { child, instance } = setup();
      instance.exports = { fetch: true, handler: true };
      const result = call(instance, 'inv-1', message.mode === 'handler' ? 'handler' : 'fetch');
      assert.doesNotThrow(() => child.emit('message', { ...message, id: 1 }), JSON.stringify(message, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)));
      await assert.rejects(result, { code: 'NIMBUS_ERR_BAD_RESPONSE' });
    }
    // a cycle (the channel's serialization carries them) is no JSON either
    const { child, instance } = setup();
    instance.exports = { fetch: false, handler: true };
    const result = call(instance, 'inv-1', 'handler');
    const value: Record<string, unknown> = {};
    value.self = value;
    child.emit('message', { t: 'result', id: 1, mode: 'handler', value, background: false });
    await assert.rejects(result, { code: 'NIMBUS_ERR_BAD_RESPONSE' });
  });

  it("a load error or a module's exports of the wrong shape do not throw in the platform", async () => {
    const { child, instance } = setup();
    const loaded = instance.load('', {});
    assert.doesNotThrow(() => child.emit('message', { t: 'load-error', error: null }));
    assert.doesNotThrow(() => child.emit('message', { t: 'loaded', exports: null }));
    child.emit('message', { t: 'loaded', exports: { fetch: true, handler: false } });
    assert.deepEqual(await loaded, { fetch: true, handler: false });
  });

  it("a log line goes only to a call of this instance, only as text at a known level (the per-invocation cap counts text)", () => {
    const { child, instance, logs } = setup();
    void call(instance, 'inv-1').catch(() => {});
    for (const m of [
      { t: 'log', id: 'inv-1', level: 'info', msg: 12345 },
      { t: 'log', id: 'inv-1', level: 'info', msg: { length: -1e12 } },
      { t: 'log', id: 'inv-1', level: 'bogus', msg: 'x' },
      { t: 'log', id: 'another-tenants-invocation', level: 'info', msg: 'injected' },
      { t: 'log', id: 7, level: 'info', msg: 'x' },
    ]) assert.doesNotThrow(() => child.emit('message', m));
    child.emit('message', { t: 'log', id: 'inv-1', level: 'warn', msg: 'mine' });
    assert.deepEqual(logs, [['inv-1', 'warn', 'mine']]);
  });
});
