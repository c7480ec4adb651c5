/**
 * The platform's side of the connector, fed forged messages as an app that took over its
 * connector could send them: only answers to dials it asked for are used, other handles
 * are closed.
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter, once } from 'node:events';
import { connect, createServer, Socket, type AddressInfo, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isNimbusError } from '../../core/errors.ts';
import { ConnectorLink } from './connector-link.ts';

/** A child process as far as the link sees it: messages in (emit), messages out (sent). */
class FakeChild extends EventEmitter {
  connected = true;
  readonly sent: unknown[] = [];
  send(message: unknown, callback?: (e: Error | null) => void): boolean {
    this.sent.push(message);
    callback?.(null);
    return true;
  }
}

describe('connector link', () => {
  let server: Server;
  let port = 0;
  before(async () => {
    server = createServer((s) => s.on('error', () => {})).listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const socket = async (): Promise<Socket> => {
    const s = connect({ port, host: '127.0.0.1' });
    await once(s, 'connect');
    return s;
  };
  const make = () => {
    const child = new FakeChild();
    const outbound: Socket[] = [];
    const link = new ConnectorLink(child as unknown as ChildProcess, (s) => outbound.push(s));
    return { child, link, outbound };
  };

  it('a dial resolves with the socket the connector sent for it, and only that', async () => {
    const { child, link } = make();
    const dialing = link.dial();
    assert.deepEqual(child.sent, [{ t: 'dial', id: 1 }]);
    // Forged: an answer to a dial never asked for; an answer without a socket; a handle that is not a socket.
    const stray = await socket();
    child.emit('message', { t: 'dialed', id: 99 }, stray);
    child.emit('message', { t: 'dialed', id: 1 });
    child.emit('message', { t: 'dialed', id: '1' }, await socket());
    assert.ok(stray.destroyed, 'a socket nobody asked for is closed');
    const real = await socket();
    child.emit('message', { t: 'dialed', id: 1 }, real);
    assert.equal(await dialing, real);
    // The same id again: already answered, so its socket is closed, not used.
    const again = await socket();
    child.emit('message', { t: 'dialed', id: 1 }, again);
    assert.ok(again.destroyed);
    real.destroy();
  });

  it('a failed dial rejects; garbage messages are ignored', async () => {
    const { child, link } = make();
    const dialing = link.dial();
    for (const junk of [null, 'dialed', 42, { t: 'dial-failed' }, { t: 'dial-failed', id: 7, code: 'X' }, { t: 'nonsense', id: 1 }]) child.emit('message', junk);
    child.emit('message', { t: 'dial-failed', id: 1, code: 'ECONNREFUSED' });
    await assert.rejects(dialing, /did not accept a connection \(ECONNREFUSED\)/);
  });

  it("'out' with a socket goes to the egress proxy; without one, nothing", async () => {
    const { child, outbound } = make();
    child.emit('message', { t: 'out' });
    const s = await socket();
    child.emit('message', { t: 'out' }, s);
    assert.deepEqual(outbound, [s]);
    s.destroy();
  });

  it('when the process exits, dials in flight fail and new ones are refused', async () => {
    const { child, link } = make();
    const dialing = link.dial();
    child.emit('exit', 1, null);
    await assert.rejects(dialing, (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_INSTANCE_CRASHED');
    await assert.rejects(link.dial(), /has stopped/);
    const late = await socket();
    child.emit('message', { t: 'out' }, late);
    assert.ok(late.destroyed, 'a connection after the end is closed');
  });
});
