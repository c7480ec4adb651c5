/**
 * The outbound WebSocket wrapper: what a server sends with or right after the handshake
 * (a greeting, even its close) reaches the function although it listens a few promise steps
 * after the socket opened.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { remoteSocket } from './egress-ws.ts';

describe('remoteSocket', () => {
  let server: WebSocketServer;
  let url: URL;
  /** Resolves when the server has seen a connection's close (the client answered its close frame). */
  let serverSawClose: Promise<void> = Promise.resolve();
  before(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((r) => server.once('listening', r));
    url = new URL(`ws://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  });
  after(() => server.close());

  it("a server that speaks first and closes at once: its message and its close are the function's, listened to late", async () => {
    serverSawClose = new Promise<void>((resolve) => {
      server.once('connection', (ws) => {
        ws.send('hello');
        ws.send(Buffer.from([1, 2]), { binary: true });
        ws.close(1000, 'bye');
        ws.once('close', () => resolve());
      });
    });
    const remote = await remoteSocket(url, [], 1024, undefined, () => null);
    // by now the client has read both frames and answered the close
    await serverSawClose;
    const got: unknown[] = [];
    await new Promise<void>((resolve) =>
      remote.listen({
        message: (data) => got.push(typeof data === 'string' ? data : [...data]),
        close: (code, reason) => {
          got.push([code, reason]);
          resolve();
        },
      }),
    );
    assert.deepEqual(got, ['hello', [1, 2], [1000, 'bye']]);
  });
});
