/**
 * WebSockets in a real node-runtime process (node-worker/websocket.mjs and node-sockets.ts):
 * the Workers API in Node, messages both ways with their types (bytes as they were at send()), the close listeners' lines
 * the invocation's, the Response that takes a 101 only with a pair's client end, and the CPU
 * limit applied to a client message's listeners.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundle, httpCall, rejectsWith, startWith, type Harness } from '../contract.ts';
import type { InstanceResult, SocketPeer, SocketSink, StreamEnd } from '../port.ts';
import { probeIsolation } from './isolation.ts';
import { createNodeRuntime, type NodeRuntime } from './node-runtime.ts';

const SOURCE = `export default { async fetch(request: Request) {
  const path = new URL(request.url).pathname;
  const [client, server] = Object.values(new WebSocketPair()) as any[];
  if (path === '/no-socket') return new Response(null, { status: 101 });
  if (path === '/server-end') return new Response(null, { status: 101, webSocket: server } as any);
  if (path === '/early') {
    server.accept();
    try { server.send('x'); } catch (e: any) { return new Response(e.name); }
  }
  if (path === '/checks') {
    let badClose = '';
    try { server.close(1001); } catch (e: any) { badClose = e.name; }
    return Response.json({ json: Response.json({}) instanceof Response, plain: new Response('x') instanceof Response, ok: new Response(null, { status: 101, webSocket: client } as any).ok, badClose });
  }
  server.accept();
  server.addEventListener('message', (e: MessageEvent) => {
    if (e.data === 'spin') for (;;);
    console.log('got', typeof e.data === 'string' ? e.data : e.data.constructor.name + ' ' + e.data.byteLength);
    if (typeof e.data === 'string') return server.send(e.data);
    // what was sent is what the bytes were at send()
    const bytes = new Uint8Array(e.data);
    server.send(bytes);
    bytes.fill(0);
  });
  server.onclose = (e: any) => console.log('close', e.code, e.reason, e.wasClean);
  return new Response(null, { status: 101, webSocket: client, headers: { 'sec-websocket-protocol': 'p1' } } as any);
} };`;

/** The gateway's side of a socket: what reaches the client, awaited one at a time. */
function client(peer: SocketPeer) {
  const got: Array<string | Uint8Array | ['close', number, string]> = [];
  let wake: (() => void) | null = null;
  const sink: SocketSink = {
    message: (m) => (got.push(m), wake?.(), true),
    close: (code, reason) => (got.push(['close', code, reason]), wake?.()),
  };
  peer.attach(sink);
  return {
    next: async () => {
      while (got.length === 0) await new Promise<void>((r) => (wake = r));
      return got.shift()!;
    },
  };
}

function socketOf(result: InstanceResult): { peer: SocketPeer; end: Promise<StreamEnd>; headers: ReadonlyArray<readonly [string, string]> } {
  assert.ok(result.mode === 'fetch' && result.response.webSocket !== undefined && result.streamEnd !== undefined);
  assert.equal(result.response.status, 101);
  return { peer: result.response.webSocket, end: result.streamEnd, headers: result.response.headers };
}

describe('node runtime: WebSockets in the process', () => {
  let runtime: NodeRuntime;
  let h: Harness;
  before(async () => {
    const probed = probeIsolation();
    runtime = createNodeRuntime({ clock: systemClock, isolation: probed.network === 'namespace' ? probed : probeIsolation({ allowHostNetwork: true }), spares: 1 });
    h = await startWith(runtime, await bundle(SOURCE), { cpuLimitMs: 300, timeoutMs: 20_000 });
  });
  after(() => runtime.close());

  it("text stays text and bytes arrive as an ArrayBuffer; the close listeners run before the call ends, their lines the invocation's", async () => {
    const { peer, end, headers } = socketOf(await h.instance.invoke(httpCall('ws-a', { headers: [['upgrade', 'websocket']] }, 20_000)));
    assert.deepEqual(headers.find(([k]) => k === 'sec-websocket-protocol'), ['sec-websocket-protocol', 'p1']);
    const c = client(peer);
    peer.send('hello');
    assert.equal(await c.next(), 'hello');
    peer.send(new Uint8Array([7, 8, 9]));
    assert.deepEqual(await c.next(), new Uint8Array([7, 8, 9]));
    peer.close(4002, 'bye');
    assert.deepEqual(await end, { error: null });
    assert.deepEqual(
      h.logs.filter((l) => l.invocationId === 'ws-a').map((l) => l.message),
      ['got hello', 'got ArrayBuffer 3', 'close 4002 bye true'],
    );
  });

  it("the Response takes 101 only with a pair's client end; send before the answer and a reserved close code throw; instanceof Response holds", async () => {
    const noSocket = await rejectsWith(h.instance.invoke(httpCall('ws-b', { url: 'http://x/no-socket' })), 'NIMBUS_ERR_FUNCTION_ERROR');
    assert.equal(noSocket.errorName, 'RangeError');
    await rejectsWith(h.instance.invoke(httpCall('ws-c', { url: 'http://x/server-end' })), 'NIMBUS_ERR_BAD_RESPONSE');
    const early = await h.instance.invoke(httpCall('ws-d', { url: 'http://x/early' }));
    assert.ok(early.mode === 'fetch');
    assert.equal(new TextDecoder().decode(early.response.body), 'InvalidStateError');
    const checks = await h.instance.invoke(httpCall('ws-e', { url: 'http://x/checks' }));
    assert.ok(checks.mode === 'fetch');
    assert.deepEqual(JSON.parse(new TextDecoder().decode(checks.response.body)), { json: true, plain: true, ok: false, badClose: 'InvalidAccessError' });
  });

  it("a listener past the CPU limit stops the process: the call's CPU_LIMIT, the client's 1011", async () => {
    const { peer, end } = socketOf(await h.instance.invoke(httpCall('ws-f', { headers: [['upgrade', 'websocket']] }, 20_000)));
    const c = client(peer);
    peer.send('spin');
    assert.deepEqual(await c.next(), ['close', 1011, "the function's instance stopped (cpu_limit)"]);
    assert.equal((await end).error?.code, 'NIMBUS_ERR_CPU_LIMIT');
    assert.equal(h.instance.deathReason(), 'cpu_limit');
  });
});
