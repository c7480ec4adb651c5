import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../core/clock.ts';
import { isNimbusError } from '../core/errors.ts';
import { createGuardedFetch, createOutboundFetch } from './egress.ts';
import { createEgressGuard } from './egress-guard.ts';
import { egressPolicy, type EgressPolicy } from './egress-policy.ts';
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

  it("refuses the host's own addresses, even public ones, and says how to open one", async () => {
    const g = createEgressGuard({
      policy: egressPolicy(''),
      platformOrigins: () => [],
      monotonic: () => systemClock.monotonic(),
      resolve: (_name, cb) => cb(null, [{ address: '8.8.4.4', family: 4 }]),
      hostAddresses: () => ['8.8.4.4'],
    });
    const f = createOutboundFetch({ guard: g, payloadLimitBytes: 1024 });
    await refused(f(get('http://svc.test/'), 'inv'), /svc\.test resolves to an address of this host.*--egress-allow svc\.test/);
    await refused(f(get('http://8.8.4.4/'), 'inv'), /8\.8\.4\.4 is an address of this host.*can allow it with --egress-allow 8\.8\.4\.4/);
  });

  it('judges every connection again on the address it reached (a name that changes its answer gets nowhere)', async () => {
    // A policy whose answer for 127.0.0.1 turns between the lookup and the connection: the
    // second look, on the connected socket, must refuse it before the request is written.
    let looks = 0;
    const turning: EgressPolicy = {
      open: false,
      hostAllowed: () => false,
      refusal: (address) => (address === '127.0.0.1' && looks++ > 0 ? 'a loopback address' : null),
    };
    const g = createEgressGuard({ policy: turning, platformOrigins: () => [], monotonic: () => 0, resolve: (_n, cb) => cb(null, [{ address: '127.0.0.1', family: 4 }]), hostAddresses: () => [] });
    const before = seen.length;
    await refused(createOutboundFetch({ guard: g, payloadLimitBytes: 1024 })(get(`http://rebind.test:${port}/x`), 'inv'), /rebind\.test resolves to a loopback address/);
    assert.ok(looks >= 2, 'looked at the lookup and at the connection');
    assert.equal(seen.length, before, 'nothing was sent');
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
