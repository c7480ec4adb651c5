import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../core/clock.ts';
import { isNimbusError } from '../core/errors.ts';
import { networkInterfaces } from 'node:os';
import { createGuardedFetch, createOutboundFetch } from './egress.ts';
import { createEgressGuard } from './egress-guard.ts';
import { egressPolicy } from './egress-policy.ts';
import type { HttpRequestData } from './port.ts';

describe('outbound fetch: egress policy on real connections', () => {
  let server: Server;
  let port = 0;
  const seen: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end('inside');
    }).listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const get = (url: string): HttpRequestData => ({ method: 'GET', url, headers: [], body: null });
  const guard = (allow: string, platformOrigins: string[] = []) =>
    createEgressGuard({ policy: egressPolicy(allow), platformOrigins: () => platformOrigins, monotonic: () => systemClock.monotonic() });
  const outbound = (allow: string, platformOrigins: string[] = []) => createOutboundFetch({ guard: guard(allow, platformOrigins), payloadLimitBytes: 1024 });
  const refused = async (p: Promise<unknown>, why: RegExp) => {
    await assert.rejects(p, (e: unknown) => {
      assert.ok(isNimbusError(e), String(e));
      assert.equal(e.code, 'NIMBUS_ERR_EGRESS_DENIED');
      assert.match(e.message, why);
      assert.match(e.message, /--egress-allow/);
      return true;
    });
  };

  it('refuses a loopback address, by address or by a name that resolves to it, and sends nothing', async () => {
    const f = outbound('');
    const before = seen.length;
    await refused(f(get(`http://127.0.0.1:${port}/a`), 'inv'), /127\.0\.0\.1 is a loopback address/);
    await refused(f(get(`http://localhost:${port}/b`), 'inv'), /localhost resolves to a loopback address/);
    await assert.rejects(f(get(`http://localhost:${port}/b`), 'inv'), (e: Error) => !e.message.includes('127.0.0.1') && !e.message.includes('::1'));
    await refused(f(get(`http://[::ffff:127.0.0.1]:${port}/c`), 'inv'), /loopback/);
    await refused(f(get(`http://2130706433:${port}/d`), 'inv'), /loopback/); // 127.0.0.1 written as a number
    assert.equal(seen.length, before);
  });

  it('reaches what the operator allowed, by address or by name', async () => {
    const byAddress = await outbound('127.0.0.1')(get(`http://127.0.0.1:${port}/e`), 'inv');
    assert.equal(new TextDecoder().decode(byAddress.body), 'inside');
    const byName = await outbound('localhost')(get(`http://localhost:${port}/f`), 'inv');
    assert.equal(byName.status, 200);
    assert.ok(seen.includes('/e') && seen.includes('/f'));
  });

  it("lets functions call the platform's event and task-callback endpoints, and nothing else of it", async () => {
    const origin = `http://127.0.0.1:${port}`;
    const f = outbound('', [`${origin}/`]); // compared as origins: the platform's URL need not be canonical
    assert.equal((await f(get(`${origin}/api/v1/events/orders`), 'inv')).status, 200);
    assert.equal((await f(get(`${origin}/api/v1/tasks/tok/heartbeat`), 'inv')).status, 200);
    await refused(f(get(`${origin}/api/v1/functions`), 'inv'), /loopback/);
    await refused(f(get(`${origin}/api/v1/events/../functions`), 'inv'), /loopback/);
    await refused(f(get(`${origin}/metrics`), 'inv'), /loopback/);
  });

  it("refuses the host's own interface addresses: a service bound to 0.0.0.0 answers on them", async (t) => {
    const external = Object.values(networkInterfaces())
      .flatMap((l) => l ?? [])
      .filter((i) => !i.internal && i.family === 'IPv4');
    if (external.length === 0) return t.skip('this machine has no non-loopback IPv4 interface');
    const wide = createServer((_req, res) => res.end('wide')).listen(0, '0.0.0.0');
    await once(wide, 'listening');
    try {
      const widePort = (wide.address() as AddressInfo).port;
      for (const i of external) await refused(outbound('')(get(`http://${i.address}:${widePort}/`), 'inv'), /is (an address of this host|a \w+ address)/);
    } finally {
      wide.close();
    }
  });

  it('guards the platform-made requests of workflow HTTP tasks the same way', async () => {
    const f = createGuardedFetch(guard(''));
    await assert.rejects(f(`http://127.0.0.1:${port}/g`), (e: Error) => isNimbusError(e) && e.code === 'NIMBUS_ERR_EGRESS_DENIED');
    await assert.rejects(f(`http://localhost:${port}/g`), (e: Error) => isNimbusError(e) && e.code === 'NIMBUS_ERR_EGRESS_DENIED');
    const ok = await createGuardedFetch(guard('127.0.0.1'))(`http://127.0.0.1:${port}/h`);
    assert.equal(await ok.text(), 'inside');
    assert.ok(!seen.includes('/g'));
  });
});
