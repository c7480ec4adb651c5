/**
 * AppSocket against a ws server on loopback (standing in for an app): the 101 and its
 * bridge, the instance stopping (1001 both ways, the call ending well), its death before
 * the answer (the call fails with it) or before the client is attached (told to it then),
 * and a client close without a code.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { NimbusError } from '../../core/errors.ts';
import type { HttpRequestData, SocketPeer } from '../port.ts';
import { AppSocket, isWebSocketUpgrade, type SocketHost } from './app-socket.ts';

describe('AppSocket', () => {
  let server: WebSocketServer;
  let port = 0;
  const accepted: Array<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> = [];
  before(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((r) => server.once('listening', r));
    port = (server.address() as AddressInfo).port;
    server.on('connection', (ws) => {
      accepted.push({ ws, closed: new Promise((r) => ws.once('close', (code, reason) => r({ code, reason: reason.toString() }))) });
      ws.on('message', (data, binary) => ws.send(data, { binary }));
    });
  });
  after(() => server.close());

  const host = (over: (s: AppSocket) => void = () => undefined, dial?: () => Promise<Socket>): SocketHost => ({
    functionName: 'f',
    maxResponseBytes: 1024 * 1024,
    dial:
      dial ??
      (() =>
        new Promise((resolve, reject) => {
          const s = connect({ port, host: '127.0.0.1' });
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        })),
    lost: async () => null,
    over,
  });
  const upgrade: HttpRequestData = { method: 'GET', url: 'http://x/room?a=1', headers: [['Upgrade', 'websocket'], ['Connection', 'Upgrade'], ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']], body: null };

  const sinkOf = () => {
    const got: Array<string | Uint8Array> = [];
    let closed: (v: { code: number; reason: string }) => void = () => undefined;
    const close = new Promise<{ code: number; reason: string }>((r) => (closed = r));
    return { got, close, sink: { message: (m: string | Uint8Array) => (got.push(m), true), close: (code: number, reason: string) => closed({ code, reason }) } };
  };

  it('tells an upgrade from a plain request', () => {
    assert.equal(isWebSocketUpgrade(upgrade), true);
    assert.equal(isWebSocketUpgrade({ ...upgrade, headers: [] }), false);
    assert.equal(isWebSocketUpgrade({ ...upgrade, method: 'POST' }), false);
  });

  it('bridges messages; the instance stopping closes both sides with 1001 and the call ends well', async () => {
    let overs = 0;
    const s = new AppSocket(host(() => overs++), 'inv1');
    const result = await s.open(upgrade);
    assert.equal(result.mode, 'fetch');
    if (result.mode !== 'fetch') return;
    assert.equal(result.response.status, 101);
    const peer = result.response.webSocket as SocketPeer;
    const { got, close, sink } = sinkOf();
    peer.attach(sink);
    assert.equal(peer.send('hi'), true);
    assert.equal(peer.send(new Uint8Array([1, 2])), true);
    while (got.length < 2) await new Promise((r) => setImmediate(r));
    assert.equal(got[0], 'hi');
    assert.deepEqual([...(got[1] as Uint8Array)], [1, 2]);
    assert.equal(peer.bytesIn, 4);
    assert.equal(peer.bytesOut, 4);
    s.stopping();
    assert.deepEqual(await close, { code: 1001, reason: 'the app instance is stopping' });
    assert.deepEqual(await result.streamEnd, { error: null });
    assert.equal((await accepted.at(-1)!.closed).code, 1001);
    assert.equal(overs, 1);
  });

  it("a client's close without a code reaches the app without one", async () => {
    const s = new AppSocket(host(), 'inv2');
    const result = await s.open(upgrade);
    if (result.mode !== 'fetch') return assert.fail('no fetch answer');
    const peer = result.response.webSocket as SocketPeer;
    const { sink } = sinkOf();
    peer.attach(sink);
    peer.close(1005, '');
    assert.equal((await accepted.at(-1)!.closed).code, 1005);
    assert.deepEqual(await result.streamEnd, { error: null });
  });

  it('an instance that dies between the app\'s 101 and the client being attached: the client gets 1011 once it is', async () => {
    const s = new AppSocket(host(), 'inv4');
    const result = await s.open(upgrade);
    if (result.mode !== 'fetch') return assert.fail('no fetch answer');
    const death = new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', 'f: the app process stopped (exit code 3)');
    s.instanceGone(death);
    assert.deepEqual(await result.streamEnd, { error: death });
    const { close, sink } = sinkOf();
    (result.response.webSocket as SocketPeer).attach(sink);
    assert.deepEqual(await close, { code: 1011, reason: 'the app stopped' });
  });

  it('an instance that dies while the connection is being made fails the call with its death', async () => {
    let connected: (s: Socket) => void = () => undefined;
    const s = new AppSocket(host(undefined, () => new Promise((r) => (connected = r))), 'inv3');
    const opening = s.open(upgrade);
    const death = new NimbusError('NIMBUS_ERR_INSTANCE_CRASHED', 'f: the app process stopped (exit code 3)');
    s.instanceGone(death);
    const socket = connect({ port, host: '127.0.0.1' });
    await new Promise((r) => socket.once('connect', r));
    connected(socket);
    await assert.rejects(opening, (e) => e === death);
    assert.equal(socket.destroyed, true);
  });
});
