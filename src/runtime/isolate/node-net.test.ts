/**
 * The Node layer's net and dns from inside an isolate, against a real TCP server on
 * loopback: a function connects through the egress guard only where the rules let it,
 * its sockets close when its instance goes, and the raw socket calls refuse forged input.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer as createTlsServer, TLSSocket, type Server as TlsServer } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../core/clock.ts';
import { bundleSource } from '../../deploy/bundle.ts';
import { baseConfig, handlerValue } from '../contract.ts';
import type { DnsResolver } from '../egress-dns.ts';
import { createEgressGuard } from '../egress-guard.ts';
import { egressPolicy } from '../egress-policy.ts';
import type { Instance } from '../port.ts';
import { createIsolateRuntime } from './index.ts';
import { MAX_DNS_QUERIES, NodeSockets, OP_DNS_LOOKUP, OP_DNS_RESOLVE, OP_SOCKET_END, OP_SOCKET_OPEN, OP_SOCKET_UPGRADE, OP_SOCKET_WRITE } from './node-sockets.ts';

const ECHO = `import net from 'node:net';
  export async function handler({ port, text }) {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    const closed = new Promise((resolve, reject) => { socket.on('close', resolve); socket.on('error', reject); });
    await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.end(text);
    await closed;
    return { echoed: Buffer.concat(chunks).toString(), remote: socket.remoteAddress, written: socket.bytesWritten };
  }`;

describe('Node layer sockets', () => {
  const runtime = createIsolateRuntime({ clock: systemClock, prewarmMemoryMb: [64], onError: () => undefined });
  let server: Server;
  let port: number;
  const connections: Socket[] = [];
  before(async () => {
    server = createServer((socket) => {
      connections.push(socket);
      socket.on('data', (d) => socket.write(d));
      socket.on('end', () => socket.end());
      socket.on('error', () => undefined);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await runtime.close();
    server.close();
  });

  let n = 0;
  async function start(source: string, allow: string, dnsResolver?: DnsResolver, onLog: (invocationId: string, level: string, message: string) => void = () => undefined): Promise<Instance> {
    const guard = createEgressGuard({ policy: egressPolicy(allow), platformOrigins: () => [], monotonic: () => performance.now(), ...(dnsResolver ? { dnsResolver } : {}) });
    const code = (await bundleSource({ 'index.ts': source }, 'index.ts')).code;
    return runtime.start({
      instanceId: `net-${++n}`, functionName: 'net', version: 1, code, config: baseConfig, onLog,
      fetch: () => Promise.reject(new Error('no fetch here')), connect: guard.connect, lookup: guard.lookup, resolve: guard.resolve,
    });
  }
  const invoke = async (inst: Instance, event: unknown) =>
    handlerValue(await inst.invoke({ mode: 'handler', event, meta: { invocationId: `n${++n}`, functionName: 'net', version: 1, deadline: Date.now() + 5_000, attempt: 1, memoryMb: 128 } }));

  it('a function talks TCP to a server the operator allowed (--egress-allow 127.0.0.1)', async () => {
    const inst = await start(ECHO, '127.0.0.1');
    try {
      assert.deepEqual(await invoke(inst, { port, text: 'ping over tcp' }), { echoed: 'ping over tcp', remote: '127.0.0.1', written: 13 });
    } finally {
      inst.dispose();
    }
  });

  it('counts sockets and bytes for the invocation that used them: a kept socket’s bytes go to the invocation that next writes to it', async () => {
    const inst = await start(`import net from 'node:net';
      let kept;
      const answer = (socket, n) => new Promise((resolve) => { let got = ''; const on = (c) => { got += c; if (got.length >= n) { socket.off('data', on); resolve(got); } }; socket.on('data', on); });
      export async function handler({ port, text }) {
        if (!kept) {
          kept = net.connect(port, '127.0.0.1');
          await new Promise((resolve, reject) => { kept.once('connect', resolve); kept.once('error', reject); });
        }
        const heard = answer(kept, text.length);
        kept.write(text);
        return await heard;
      }`, '127.0.0.1');
    try {
      const counted = async (text: string) => {
        const sockets = { opened: 0, bytesIn: 0, bytesOut: 0 };
        const meta = { invocationId: `n${++n}`, functionName: 'net', version: 1, deadline: Date.now() + 5_000, attempt: 1, memoryMb: 128, sockets };
        assert.equal(handlerValue(await inst.invoke({ mode: 'handler', event: { port, text }, meta })), text);
        return sockets;
      };
      assert.deepEqual(await counted('abc'), { opened: 1, bytesIn: 3, bytesOut: 3 });
      assert.deepEqual(await counted('hello, again'), { opened: 0, bytesIn: 12, bytesOut: 12 });
    } finally {
      inst.dispose();
    }
  });

  it('the Workers connect() API (cloudflare:sockets) talks TCP on the same sockets', async () => {
    const inst = await start(`import { connect } from 'cloudflare:sockets';
      export async function handler({ port }) {
        const socket = connect({ hostname: '127.0.0.1', port });
        const info = await socket.opened;
        const writer = socket.writable.getWriter();
        await writer.write(new TextEncoder().encode('hello workers'));
        await writer.close();
        const reader = socket.readable.getReader();
        let text = '';
        for (;;) { const { value, done } = await reader.read(); if (done) break; text += new TextDecoder().decode(value); }
        await socket.closed;
        return { text, remote: info.remoteAddress };
      }`, '127.0.0.1');
    try {
      assert.deepEqual(await invoke(inst, { port }), { text: 'hello workers', remote: '127.0.0.1' });
      const refused = await start(`import { connect } from 'cloudflare:sockets';
        export async function handler({ port }) { try { await connect('127.0.0.1:' + port).opened; return 'opened'; } catch (e) { return e.message; } }`, '');
      try {
        assert.match(String(await invoke(refused, { port })), /may not reach/);
      } finally {
        refused.dispose();
      }
    } finally {
      inst.dispose();
    }
  });

  it('speaks to the local Redis (PING over RESP) through net', async (t) => {
    const up = await new Promise<boolean>((resolve) => {
      const probe = createConnection(6379, '127.0.0.1');
      probe.once('connect', () => (probe.destroy(), resolve(true)));
      probe.once('error', () => resolve(false));
    });
    if (!up) return t.skip('needs Redis on 127.0.0.1:6379');
    const inst = await start(`import net from 'node:net';
      export async function handler() {
        const socket = net.connect(6379, '127.0.0.1');
        await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
        socket.write('*1\\r\\n$4\\r\\nPING\\r\\n');
        const [reply] = await new Promise((resolve) => socket.once('data', (d) => resolve([d.toString()])));
        socket.destroy();
        return reply;
      }`, '127.0.0.1');
    try {
      assert.equal(await invoke(inst, null), '+PONG\r\n');
    } finally {
      inst.dispose();
    }
  });

  describe('TLS', () => {
    const cert = readFileSync(fileURLToPath(new URL('./fixtures/tls/cert.pem', import.meta.url)), 'utf8');
    const key = readFileSync(fileURLToPath(new URL('./fixtures/tls/key.pem', import.meta.url)), 'utf8');
    let tlsServer: TlsServer;
    let starttls: Server;
    let tlsPort: number;
    let starttlsPort: number;
    before(async () => {
      tlsServer = createTlsServer({ cert, key }, (s) => {
        s.on('data', (d) => s.write(d));
        s.on('end', () => s.end());
        s.on('error', () => undefined);
      });
      tlsServer.listen(0, '127.0.0.1');
      await once(tlsServer, 'listening');
      tlsPort = (tlsServer.address() as AddressInfo).port;
      // a line protocol with STARTTLS, as SMTP and PostgreSQL's SSL request work
      starttls = createServer((plain) => {
        plain.once('data', (line) => {
          if (line.toString() !== 'STARTTLS\n') return plain.destroy();
          plain.write('OK\n', () => {
            const secure = new TLSSocket(plain, { isServer: true, cert, key });
            secure.on('data', (d) => secure.write(Buffer.concat([Buffer.from('secure:'), d])));
            secure.on('end', () => secure.end());
            secure.on('error', () => undefined);
          });
        });
        plain.on('error', () => undefined);
      });
      starttls.listen(0, '127.0.0.1');
      await once(starttls, 'listening');
      starttlsPort = (starttls.address() as AddressInfo).port;
    });
    after(() => {
      tlsServer.close();
      starttls.close();
    });

    const TLS_ECHO = `import tls from 'node:tls';
      export async function handler({ port, ca }) {
        const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...(ca ? { ca } : {}) });
        const chunks = [];
        socket.on('data', (c) => chunks.push(c));
        const closed = new Promise((resolve, reject) => { socket.on('close', resolve); socket.on('error', reject); });
        await new Promise((resolve, reject) => { socket.once('secureConnect', resolve); socket.once('error', reject); });
        socket.end('over tls');
        await closed;
        return Buffer.concat(chunks).toString();
      }`;

    it('tls.connect verifies the certificate: a server the function trusts (ca) answers, an unknown one is refused', async () => {
      const inst = await start(TLS_ECHO, '127.0.0.1');
      try {
        assert.equal(await invoke(inst, { port: tlsPort, ca: cert }), 'over tls');
        await assert.rejects(invoke(inst, { port: tlsPort }), /self[- ]signed certificate/);
      } finally {
        inst.dispose();
      }
    });

    it('cloudflare:sockets startTls() runs the handshake on the same connection, verifying the certificate', async () => {
      const inst = await start(`import { connect } from 'cloudflare:sockets';
        export async function handler({ port }) {
          const plain = connect({ hostname: 'localhost', port }, { secureTransport: 'starttls' });
          await plain.opened;
          const writer = plain.writable.getWriter();
          await writer.write(new TextEncoder().encode('STARTTLS\\n'));
          writer.releaseLock();
          const reader = plain.readable.getReader();
          const ok = new TextDecoder().decode((await reader.read()).value);
          reader.releaseLock();
          const secure = plain.startTls();
          try { await secure.opened; return [ok, 'opened']; } catch (e) { return [ok, e.message]; }
        }`, 'localhost');
      try {
        // the test server's certificate is self-signed and Workers' API takes no extra CA: the check must refuse it
        const [ok, outcome] = (await invoke(inst, { port: starttlsPort })) as [string, string];
        assert.equal(ok, 'OK\n');
        assert.match(outcome, /self[- ]signed certificate/);
      } finally {
        inst.dispose();
      }
    });

    it('tls.connect({ socket }) upgrades an open socket (STARTTLS)', async () => {
      const inst = await start(`import net from 'node:net'; import tls from 'node:tls';
        export async function handler({ port, ca }) {
          const plain = net.connect(port, '127.0.0.1');
          await new Promise((resolve, reject) => { plain.once('connect', resolve); plain.once('error', reject); });
          plain.write('STARTTLS\\n');
          await new Promise((resolve) => plain.once('data', resolve));
          const secure = tls.connect({ socket: plain, servername: 'localhost', ca });
          await new Promise((resolve, reject) => { secure.once('secureConnect', resolve); secure.once('error', reject); });
          secure.write('hello');
          const [reply] = await new Promise((resolve) => secure.once('data', (d) => resolve([d.toString()])));
          secure.destroy();
          return { reply, encrypted: secure.encrypted === true };
        }`, '127.0.0.1');
      try {
        assert.deepEqual(await invoke(inst, { port: starttlsPort, ca: cert }), { reply: 'secure:hello', encrypted: true });
      } finally {
        inst.dispose();
      }
    });
  });

  it('loopback is refused by default, on the address, before the server sees a connection', async () => {
    const before = connections.length;
    const inst = await start(ECHO, '');
    try {
      await assert.rejects(invoke(inst, { port, text: 'x' }), /127\.0\.0\.1 is a loopback address, which user code may not reach/);
      const viaName = await start(ECHO.replace("'127.0.0.1'", "'localhost'"), '');
      try {
        await assert.rejects(invoke(viaName, { port, text: 'x' }), /may not reach/);
      } finally {
        viaName.dispose();
      }
      assert.equal(connections.length, before);
    } finally {
      inst.dispose();
    }
  });

  it('dns.lookup gives only what the rules let the function reach', async () => {
    const source = `import dns from 'node:dns';
      export async function handler() {
        try { return await dns.promises.lookup('localhost', { family: 4 }); } catch (e) { return 'refused: ' + e.message; }
      }`;
    const open = await start(source, 'localhost');
    const closed = await start(source, '');
    try {
      assert.deepEqual(await invoke(open, null), { address: '127.0.0.1', family: 4 });
      assert.match(String(await invoke(closed, null)), /^refused: .*may not reach/);
    } finally {
      open.dispose();
      closed.dispose();
    }
  });

  it('dns.resolve* (callback, promises, Resolver) answers under the rules, with Node’s shapes and error codes', async () => {
    const zone: Record<string, Record<string, unknown>> = {
      'svc.example.': { A: [{ address: '93.184.216.34', ttl: 60 }, { address: '127.0.0.1', ttl: 60 }], AAAA: [{ address: '2606:2800:220:1::1', ttl: 30 }] },
      'mail.example.': { MX: [{ exchange: 'mx.mail.example', priority: 5 }], TXT: [['v=spf1 -all']] },
      '_db._tcp.svc.example.': { SRV: [{ name: 'svc.example', port: 5432, priority: 1, weight: 2 }] },
      'www.svc.example.': { CNAME: ['svc.example'] },
    };
    const asked: string[] = [];
    const answer = (type: string) => async (name: string) => {
      asked.push(`${type} ${name}`);
      const found = zone[name]?.[type];
      if (found === undefined) throw Object.assign(new Error('not here'), { code: zone[name] ? 'ENODATA' : 'ENOTFOUND' });
      return found;
    };
    const resolver = { resolve4: answer('A'), resolve6: answer('AAAA'), resolveMx: answer('MX'), resolveTxt: answer('TXT'), resolveSrv: answer('SRV'), resolveCname: answer('CNAME'), resolveNs: answer('NS') } as unknown as DnsResolver;
    const inst = await start(`import dns from 'node:dns';
      import { promisify } from 'node:util';
      import { resolveSrv, Resolver } from 'node:dns/promises';
      const failed = (p) => p.then(() => 'answered', (e) => [e.code, e.syscall, e.hostname, e.message]);
      export async function handler() {
        const r = new Resolver();
        return {
          a: await promisify(dns.resolve4)('svc.example'),
          ttl: await dns.promises.resolve4('svc.example', { ttl: true }),
          aaaa: await new Promise((res, rej) => dns.resolve('svc.example', 'AAAA', (e, v) => e ? rej(e) : res(v))),
          mx: await r.resolveMx('mail.example'),
          txt: await promisify(dns.resolveTxt)('mail.example'),
          srv: await resolveSrv('_db._tcp.svc.example'),
          cname: await dns.promises.resolve('www.svc.example', 'CNAME'),
          missing: await failed(dns.promises.resolveMx('nowhere.example')),
          nodata: await failed(dns.promises.resolveSrv('mail.example')),
          local: await failed(dns.promises.resolve4('metadata.internal')),
          badType: await failed(dns.promises.resolve('svc.example', 'PTR')),
          notString: await failed(dns.promises.resolve4({ toString() { return 'svc.example'; } })),
        };
      }`, '', resolver);
    try {
      const got = (await invoke(inst, null)) as Record<string, unknown>;
      assert.deepEqual(got.a, ['93.184.216.34'], 'the loopback address is not given');
      assert.deepEqual(got.ttl, [{ address: '93.184.216.34', ttl: 60 }]);
      assert.deepEqual(got.aaaa, ['2606:2800:220:1::1']);
      assert.deepEqual(got.mx, [{ exchange: 'mx.mail.example', priority: 5 }]);
      assert.deepEqual(got.txt, [['v=spf1 -all']]);
      assert.deepEqual(got.srv, [{ name: 'svc.example', port: 5432, priority: 1, weight: 2 }]);
      assert.deepEqual(got.cname, ['svc.example']);
      assert.deepEqual(got.missing, ['ENOTFOUND', 'queryMx', 'nowhere.example', 'queryMx ENOTFOUND nowhere.example']);
      assert.deepEqual(got.nodata, ['ENODATA', 'querySrv', 'mail.example', 'querySrv ENODATA mail.example']);
      assert.equal((got.local as string[])[0], 'EACCES');
      assert.match((got.local as string[])[3], /metadata\.internal is a local name, which user code may not look up/);
      assert.equal((got.badType as string[])[0], 'ERR_INVALID_ARG_VALUE');
      assert.equal((got.notString as string[])[0], 'ERR_INVALID_ARG_TYPE');
      assert.ok(!asked.some((q) => q.includes('internal')), 'a local name is never asked');
    } finally {
      inst.dispose();
    }
  });

  it('an instance’s sockets close when it is disposed', async () => {
    const inst = await start(`import net from 'node:net';
      let socket;
      export async function handler({ port }) {
        socket = net.connect(port, '127.0.0.1');
        await new Promise((resolve) => socket.once('connect', resolve));
        return 'open';
      }`, '127.0.0.1');
    const seen = once(server, 'connection');
    assert.equal(await invoke(inst, { port }), 'open');
    const [serverSide] = (await seen) as [Socket];
    const ended = once(serverSide, 'close');
    inst.dispose();
    await ended;
  });

  it('caps the sockets an instance has open, and user code never holds the raw host call', async () => {
    const inst = await start(`import net from 'node:net';
      const raw = typeof globalThis.__nimbus_node_host;
      export async function handler({ port }) {
        const sockets = [];
        let capped = 'no cap';
        for (let i = 0; i < 40; i++) {
          try { sockets.push(net.connect(port, '127.0.0.1')); } catch (e) { capped = e.message; break; }
        }
        for (const s of sockets) s.destroy();
        let badPort = 'no error';
        try { net.connect(70000, '127.0.0.1'); } catch (e) { badPort = e.name; }
        return { capped, opened: sockets.length, raw, badPort };
      }`, '127.0.0.1');
    try {
      const got = (await invoke(inst, { port })) as Record<string, unknown>;
      assert.equal(got.opened, 32);
      assert.match(String(got.capped), /32 sockets open at once/);
      assert.equal(got.raw, 'undefined', 'the layer took the host call before user code ran');
      assert.equal(got.badPort, 'RangeError');
    } finally {
      inst.dispose();
    }
  });

  it('ending a socket the peer has closed, its close not yet seen by the function, does nothing (pg ends after its Terminate)', async () => {
    const closing = createServer((socket) => socket.end());
    closing.listen(0, '127.0.0.1');
    await once(closing, 'listening');
    const events: unknown[][] = [];
    let closed: () => void = () => undefined;
    const sawClose = new Promise<void>((resolve) => (closed = resolve));
    const sockets = new NodeSockets(({ host, port }) => new Promise((resolve, reject) => {
      const s = createConnection({ host, port }, () => resolve(s));
      s.once('error', reject);
    }), undefined, (...e) => {
      events.push(e);
      if (e[1] === 'close') closed();
    });
    try {
      const id = sockets.call(OP_SOCKET_OPEN, '127.0.0.1', (closing.address() as AddressInfo).port, false, null) as number;
      await sawClose;
      assert.doesNotThrow(() => sockets.call(OP_SOCKET_END, id, null, null, null));
      assert.throws(() => sockets.call(OP_SOCKET_WRITE, id, new ArrayBuffer(1), null, null), /not open/);
      assert.throws(() => sockets.call(OP_SOCKET_END, 'x', null, null, null), /socket must be an integer/);
      assert.deepEqual(events.map((e) => e[1]), ['connect', 'end', 'close']);
    } finally {
      sockets.closeAll();
      closing.close();
    }
  });

  it('a socket destroyed as the function returns leaves the next invocations’ sockets reading (pg’s connect after an end)', async () => {
    // The stream work a destroy schedules must not wait on anything the finished invocation owned.
    const inst = await start(`import net from 'node:net';
      export async function handler({ port, text }) {
        const socket = net.connect(port, '127.0.0.1');
        await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
        const heard = new Promise((resolve) => socket.once('data', (c) => resolve(String(c))));
        socket.write(text);
        const got = await heard;
        socket.destroy();
        return got;
      }`, '127.0.0.1');
    try {
      for (const text of ['first', 'second', 'third']) assert.equal(await invoke(inst, { port, text }), text);
    } finally {
      inst.dispose();
    }
  });

  it('a socket listener that throws is logged as uncaught, and the instance’s sockets go on reading', async () => {
    const logs: Array<{ id: string; level: string; message: string }> = [];
    const inst = await start(`import net from 'node:net';
      export async function handler({ port, text }) {
        const socket = net.connect(port, '127.0.0.1');
        await new Promise((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
        let got = '';
        let wanted = () => undefined;
        socket.on('data', (c) => { got += c; wanted(); });
        socket.on('data', (c) => { throw new Error('listener threw on ' + c); });
        const heard = (n) => new Promise((resolve) => { wanted = () => got.length >= n && resolve(); wanted(); });
        socket.write(text);
        await heard(text.length);
        socket.write(text);
        await heard(text.length * 2);
        socket.destroy();
        return got;
      }`, '127.0.0.1', undefined, (id, level, message) => logs.push({ id, level, message }));
    try {
      assert.equal(await invoke(inst, { port, text: 'ab' }), 'abab');
      const id = `n${n}`;
      assert.equal(await invoke(inst, { port, text: 'cd' }), 'cdcd');
      // once for each chunk the socket received (two each, unless loopback split one)
      const thrown = (inv: string) => logs.filter((l) => l.id === inv && l.level === 'error').map((l) => l.message.split('\n')[0]);
      for (const [inv, text] of [[id, 'ab'], [`n${n}`, 'cd']] as const) {
        assert.ok(thrown(inv).length >= 2, JSON.stringify(logs));
        for (const line of thrown(inv)) assert.match(line, new RegExp(`^Uncaught Error: listener threw on [${text}]+$`));
      }
    } finally {
      inst.dispose();
    }
  });

  it('the host side refuses forged socket calls', () => {
    const events: unknown[] = [];
    const sockets = new NodeSockets(() => Promise.reject(new Error('never')), undefined, (...e) => events.push(e));
    const errorOf = (f: () => unknown) => {
      try {
        f();
        return 'no error';
      } catch (e) {
        return (e as Error).message;
      }
    };
    assert.match(errorOf(() => sockets.call(OP_SOCKET_OPEN, '127.0.0.1', 70000, false, null)), /port must be an integer/);
    assert.match(errorOf(() => sockets.call(OP_SOCKET_OPEN, { toString: () => 'x' }, 80, false, null)), /host must be/);
    assert.match(errorOf(() => sockets.call(OP_SOCKET_OPEN, 'x'.repeat(300), 80, false, null)), /host must be/);
    assert.match(errorOf(() => sockets.call(OP_SOCKET_WRITE, 999, new ArrayBuffer(1), null, null)), /not open/);
    assert.match(errorOf(() => sockets.call(OP_SOCKET_WRITE, 1.5, new ArrayBuffer(1), null, null)), /socket must be an integer/);
    assert.match(errorOf(() => sockets.call(OP_DNS_LOOKUP, 'example.com', 0, null, null)), /not available/);
    assert.match(errorOf(() => sockets.call(OP_SOCKET_OPEN, 'example.com', 443, true, null, 'not a certificate')), /ca must be PEM/);
    assert.match(errorOf(() => sockets.call(OP_SOCKET_UPGRADE, 7, 'example.com', null, null)), /not open/);
    assert.match(errorOf(() => sockets.call(29, null, null, null, null)), /unknown socket operation/);
    assert.match(errorOf(() => sockets.call(OP_DNS_RESOLVE, 'example.com', 'MX', null, null)), /not available/);
    let queries = 0;
    const withDns = new NodeSockets(undefined, undefined, (...e) => events.push(e), () => null, async () => (queries++, new Promise<unknown[]>(() => undefined)));
    assert.match(errorOf(() => withDns.call(OP_DNS_RESOLVE, 'example.com', 'PTR', null, null)), /record type must be one of/);
    assert.match(errorOf(() => withDns.call(OP_DNS_RESOLVE, 'example.com', { toString: () => 'A' }, null, null)), /record type must be one of/);
    assert.match(errorOf(() => withDns.call(OP_DNS_RESOLVE, ['example.com'], 'A', null, null)), /host must be/);
    assert.match(errorOf(() => withDns.call(OP_DNS_RESOLVE, 'x'.repeat(254), 'A', null, null)), /host must be/);
    for (let i = 0; i < MAX_DNS_QUERIES; i++) withDns.call(OP_DNS_RESOLVE, `n${i}.example`, 'A', null, null);
    assert.match(errorOf(() => withDns.call(OP_DNS_RESOLVE, 'one-more.example', 'A', null, null)), /16 DNS answers at once/);
    assert.equal(queries, MAX_DNS_QUERIES);
    withDns.closeAll();
    sockets.closeAll();
    assert.match(errorOf(() => sockets.call(OP_SOCKET_OPEN, 'example.com', 80, false, null)), /instance has ended/);
  });
});
