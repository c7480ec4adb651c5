/**
 * The egress proxy of apps in a network namespace, on real sockets: connections are handed
 * to it as the connector hands them (here from a loopback listener), and an app's forged
 * requests (addresses in every spelling, names, CONNECT targets) meet the real guard.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { createOutboundFetch } from '../egress.ts';
import { createEgressGuard } from '../egress-guard.ts';
import { egressPolicy } from '../egress-policy.ts';
import { createEgressProxy, type EgressProxy } from './egress-proxy.ts';

const ALLOWED = '127.0.0.2';

/** Sends raw bytes to the proxy and resolves with everything it answered until it closed or `until` matched. */
function exchange(port: number, text: string, until = /\r\n\r\n[\s\S]*\n$/): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let got = '';
    socket.on('data', (d: Buffer) => {
      got += d.toString();
      if (until.test(got)) (socket.destroy(), resolve(got));
    });
    socket.on('end', () => resolve(got));
    socket.on('error', reject);
    socket.write(text);
  });
}

describe('the egress proxy of apps', () => {
  let allowed: Server;
  let secret: Server;
  let allowedPort = 0;
  let secretPort = 0;
  let listener: TcpServer;
  let proxyPort = 0;
  let proxy: EgressProxy;
  const secretSaw: string[] = [];
  const invocations: string[] = [];

  before(async () => {
    allowed = createServer((req, res) => res.end(`allowed ${req.method} ${req.url}`)).listen(0, ALLOWED);
    secret = createServer((req, res) => (secretSaw.push(req.url ?? ''), res.end('secret'))).listen(0, '127.0.0.1');
    await Promise.all([once(allowed, 'listening'), once(secret, 'listening')]);
    allowedPort = (allowed.address() as AddressInfo).port;
    secretPort = (secret.address() as AddressInfo).port;
    // Also count raw connections to the secret port: CONNECT must not even open one.
    secret.on('connection', () => secretSaw.push('connection'));
    const guard = createEgressGuard({ policy: egressPolicy(ALLOWED), platformOrigins: () => [], monotonic: () => systemClock.monotonic() });
    const fetch = createOutboundFetch({ guard, payloadLimitBytes: 1 << 20 });
    proxy = createEgressProxy({ fetch: (r, id) => (invocations.push(id), fetch(r, id)), connect: guard.connect, invocationId: () => 'inv-1', maxBodyBytes: 1024 });
    listener = createTcpServer({ pauseOnConnect: true }, (socket) => proxy.accept(socket)).listen(0, '127.0.0.1');
    await once(listener, 'listening');
    proxyPort = (listener.address() as AddressInfo).port;
  });
  after(() => {
    proxy.close();
    listener.close();
    allowed.close();
    secret.close();
  });

  it('fetches an absolute URL the rules allow, for the running invocation', async () => {
    const answer = await exchange(proxyPort, `GET http://${ALLOWED}:${allowedPort}/x?y=1 HTTP/1.1\r\nHost: ${ALLOWED}\r\nConnection: close\r\n\r\n`, /allowed GET \/x\?y=1$/);
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.ok(invocations.includes('inv-1'));
  });

  it('refuses loopback, unspecified, metadata and private addresses in any spelling, and names of them (403, nothing reaches them)', async () => {
    const targets = [
      `127.0.0.1:${secretPort}`, `[::1]:${secretPort}`, `[::ffff:127.0.0.1]:${secretPort}`, `2130706433:${secretPort}`, `0x7f000001:${secretPort}`, `127.1:${secretPort}`,
      `0.0.0.0:${secretPort}`, `localhost:${secretPort}`, '169.254.169.254', '10.0.0.1', '192.168.1.1',
    ];
    for (const t of targets) {
      const answer = await exchange(proxyPort, `GET http://${t}/steal HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 403 /, `${t}: ${answer}`);
      assert.match(answer, /nimbus egress proxy: .*(may not reach|cannot be allowed)/, t);
    }
    assert.deepEqual(secretSaw, []);
  });

  it('CONNECT: an allowed target is a tunnel; forged ones are refused before any connection', async () => {
    const tunnel = await exchange(proxyPort, `CONNECT ${ALLOWED}:${allowedPort} HTTP/1.1\r\nHost: ${ALLOWED}\r\n\r\nGET /inside HTTP/1.1\r\nHost: ${ALLOWED}\r\n\r\n`, /allowed GET \/inside$/);
    assert.match(tunnel, /^HTTP\/1\.1 200 Connection Established\r\n\r\nHTTP\/1\.1 200 /);
    for (const t of [`127.0.0.1:${secretPort}`, `[::1]:${secretPort}`, `2130706433:${secretPort}`, `localhost:${secretPort}`, `0.0.0.0:${secretPort}`, '169.254.169.254:80', '10.1.2.3:5432']) {
      const answer = await exchange(proxyPort, `CONNECT ${t} HTTP/1.1\r\nHost: ${t}\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 403 Forbidden/, `${t}: ${answer}`);
    }
    for (const t of ['nonsense', `${ALLOWED}`, `${ALLOWED}:0`, `${ALLOWED}:99999`]) {
      const answer = await exchange(proxyPort, `CONNECT ${t} HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 400 /, `${t}: ${answer}`);
    }
    assert.deepEqual(secretSaw, []);
  });

  it('an origin-form request (not a proxy request) and a body over the limit are refused', async () => {
    assert.match(await exchange(proxyPort, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), /^HTTP\/1\.1 400 /);
    const big = 'x'.repeat(2048);
    const answer = await exchange(proxyPort, `POST http://${ALLOWED}:${allowedPort}/ HTTP/1.1\r\nHost: x\r\nContent-Length: ${big.length}\r\n\r\n${big}`);
    assert.match(answer, /^HTTP\/1\.1 413 /);
  });
});
