/**
 * WebSockets through the real server: a function accepts an upgrade with the Workers API
 * (WebSocketPair, accept, a 101 Response) and echoes text and binary; close codes and
 * reasons reach the client; the message size limit (1009) both ways; the idle timeout; an
 * instance stopped mid-socket closes it with 1011; the record is written at close with
 * the bytes both ways; a flood of messages to a socket not yet accepted is held back and
 * delivered in order; a plain request and a plain answer behave as plain HTTP.
 */
import assert from 'node:assert/strict';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket, WebSocketServer } from 'ws';
import { eventually, invocationRecord, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

type Rec = Record<string, unknown>;

const ECHO = `export default { fetch(request) {
  if (request.headers.get('upgrade') !== 'websocket') return new Response('plain ' + request.method, { status: 200 });
  const pair = new WebSocketPair();
  const [client, server] = Object.values(pair);
  server.accept();
  server.addEventListener('message', (e) => {
    if (e.data === 'bye') server.close(4000, 'see you');
    else if (e.data === 'big') server.send('x'.repeat(4096));
    else if (e.data === 'spin') { for (;;) {} }
    else server.send(e.data);
  });
  return new Response(null, { status: 101, webSocket: client });
} };`;

interface Open {
  ws: WebSocket;
  invocationId: string;
  messages: Array<{ data: Buffer; binary: boolean }>;
  next(): Promise<{ data: Buffer; binary: boolean }>;
  closed: Promise<{ code: number; reason: string }>;
}

function open(url: string): Promise<Open> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: Array<{ data: Buffer; binary: boolean }> = [];
    let waiter: (() => void) | null = null;
    let invocationId = '';
    ws.on('upgrade', (res) => {
      invocationId = String(res.headers['x-nimbus-invocation-id'] ?? '');
    });
    ws.on('message', (data, binary) => {
      messages.push({ data: data as Buffer, binary });
      waiter?.();
    });
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        invocationId,
        messages,
        closed,
        next: async () => {
          while (messages.length === 0) await new Promise<void>((r) => (waiter = r));
          return messages.shift()!;
        },
      }),
    );
  });
}

describe('WebSockets, end to end', () => {
  let p: RunningPlatform;
  const wsUrl = (path: string) => p.url.replace('http', 'ws') + path;
  before(async () => {
    p = await startPlatform({ args: ['--ws-message-limit', '1kb'] });
    await p.deploy('echo', ECHO, { cpuLimitMs: 200 });
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  const record = (id: string) => invocationRecord<Rec>(p, id, { ms: 15_000 });

  it('echoes text and binary, and the function\'s close code and reason reach the client; the record is written at close', async () => {
    const c = await open(wsUrl('/fn/echo/'));
    const openedAt = performance.now();
    assert.match(c.invocationId, /./);
    c.ws.send('hello');
    const m1 = await c.next();
    assert.equal(m1.binary, false);
    assert.equal(m1.data.toString(), 'hello');
    c.ws.send(Buffer.from([1, 2, 3, 255]));
    const m2 = await c.next();
    assert.equal(m2.binary, true);
    assert.deepEqual([...m2.data], [1, 2, 3, 255]);
    // no record while the socket is open
    assert.equal((await p.api(`/api/v1/invocations/${c.invocationId}`)).status, 404);
    // the open socket is an invocation in flight for the autoscaler
    const scale = (await (await p.api('/api/v1/functions/echo/scale')).json()) as Rec;
    assert.equal(scale.inFlight, 1);
    // from open to 'bye' lies strictly inside the invocation
    const openFor = performance.now() - openedAt;
    c.ws.send('bye');
    assert.deepEqual(await c.closed, { code: 4000, reason: 'see you' });
    const rec = await record(c.invocationId);
    // billed for the socket's whole life, which contains what the client saw of it
    assert.ok((rec.durationMs as number) >= openFor, `durationMs ${rec.durationMs} covers the ${openFor} ms the socket was open`);
    assert.ok((rec.billedMs as number) >= Math.floor(openFor), `billedMs ${rec.billedMs} covers it too`);
    assert.equal(rec.status, 'success');
    assert.equal(rec.statusCode, 101);
    assert.equal(rec.requestBytes, 5 + 4 + 3);
    assert.equal(rec.responseBytes, 5 + 4);
  });

  it('a client message over the limit closes the socket with 1009', async () => {
    const c = await open(wsUrl('/fn/echo/'));
    c.ws.send('y'.repeat(2048));
    assert.equal((await c.closed).code, 1009);
  });

  it('a function message over the limit closes the socket with 1009', async () => {
    const c = await open(wsUrl('/fn/echo/'));
    c.ws.send('big');
    assert.equal((await c.closed).code, 1009);
  });

  it('a function sending faster than the platform takes it has its socket closed (1008), not buffered without bound', async () => {
    await p.deploy(
      'firehose',
      `export default { fetch() {
        const [c, s] = Object.values(new WebSocketPair());
        s.accept();
        s.addEventListener('message', () => { const m = 'f'.repeat(1000); for (let i = 0; i < 40000; i++) { try { s.send(m); } catch { break; } } });
        return new Response(null, { status: 101, webSocket: c });
      } };`,
    );
    const c = await open(wsUrl('/fn/firehose/'));
    c.ws.send('go');
    const closed = await c.closed;
    assert.equal(closed.code, 1008);
    const rec = await record(c.invocationId);
    assert.ok((rec.responseBytes as number) <= 9 * 1024 * 1024, `${rec.responseBytes} bytes were taken, not all 40 MB`);
  });

  it('a client that does not read what the function sends has its connection cut: the platform does not buffer it', async () => {
    await p.deploy(
      'drip',
      `export default { fetch() {
        const [c, s] = Object.values(new WebSocketPair());
        s.accept();
        const m = 'd'.repeat(1000);
        const tick = () => { try { for (let i = 0; i < 1000; i++) s.send(m); } catch { return; } setTimeout(tick, 0); };
        s.addEventListener('message', tick);
        return new Response(null, { status: 101, webSocket: c });
      } };`,
    );
    const c = await open(wsUrl('/fn/drip/'));
    c.ws.send('go');
    c.ws.pause();
    // written once the platform has cut the connection, while this client still reads nothing
    const rec = await record(c.invocationId);
    assert.ok((rec.responseBytes as number) < 64 * 1024 * 1024, `${rec.responseBytes} bytes were taken for the client`);
    c.ws.resume();
    assert.equal((await c.closed).code, 1006);
  });

  it('an instance stopped (CPU limit) closes its sockets with 1011 and the record says why', async () => {
    const c = await open(wsUrl('/fn/echo/'));
    c.ws.send('spin');
    assert.equal((await c.closed).code, 1011);
    const rec = await record(c.invocationId);
    assert.equal(rec.status, 'cpu_limit');
  });

  it('a plain request to the route is a plain request; a plain answer to an upgrade is sent as is', async () => {
    const r = await fetch(`${p.url}/fn/echo/`);
    assert.equal(await r.text(), 'plain GET');
    await p.deploy('refuse', `export default { fetch() { return new Response('no sockets here', { status: 426 }); } };`);
    const err = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl('/fn/refuse/'));
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => undefined);
    });
    assert.equal(err, 426);
  });

  it('another upgrade (h2c, as curl --http2 asks) is served as a plain request, on /fn and elsewhere', async () => {
    const get = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${p.url}${path}`, { headers: { connection: 'Upgrade, HTTP2-Settings', upgrade: 'h2c', 'http2-settings': 'AAMAAABkAAQCAAAAAAIAAAAA' } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    assert.deepEqual(await get('/fn/echo/'), { status: 200, body: 'plain GET' });
    assert.deepEqual(await get('/healthz'), { status: 200, body: 'ok\n' });
  });

  it('a 101 answer to a request that did not upgrade is NIMBUS_ERR_BAD_RESPONSE', async () => {
    await p.deploy('always101', `export default { fetch() { const [c, s] = Object.values(new WebSocketPair()); s.accept(); return new Response(null, { status: 101, webSocket: c }); } };`);
    const r = await fetch(`${p.url}/fn/always101/`);
    assert.equal(r.status, 502);
    const body = (await r.json()) as Rec;
    assert.equal(body.code, 'NIMBUS_ERR_BAD_RESPONSE');
  });

  it('escape: a socket cannot be sent on before it is connected, nor after close; the shim\'s internals are out of reach', async () => {
    await p.deploy(
      'abuse',
      `export default { fetch(request) {
        const [c, s] = Object.values(new WebSocketPair());
        const errors = [];
        try { s.send('early'); } catch (e) { errors.push(e.name); }
        s.accept();
        try { s.send('unbound'); } catch (e) { errors.push(e.name); }
        try { s.close(1006); } catch (e) { errors.push(e.name); }
        // the shim's internals are not reachable from the function
        for (const k of ['_message', '_closed', '_bind', '_pair']) if (k in s || k in WebSocket) errors.push('reachable ' + k);
        if (Object.getOwnPropertyNames(s).length !== 0 && Object.getOwnPropertyNames(s).some((k) => !k.startsWith('on') && k !== 'binaryType' && k !== k.toUpperCase())) errors.push('own ' + Object.getOwnPropertyNames(s).join('/'));
        s.addEventListener('message', (e) => {
          if (e.data === 'errors') s.send(errors.join(','));
          if (e.data === 'close-then-send') { s.close(1000, 'done'); try { s.send('after'); } catch (e) { s.dispatchEvent(new Event('x')); } }
        });
        return new Response(null, { status: 101, webSocket: c });
      } };`,
    );
    const c = await open(wsUrl('/fn/abuse/'));
    c.ws.send('errors');
    assert.equal((await c.next()).data.toString(), 'InvalidStateError,InvalidStateError,InvalidAccessError');
    c.ws.send('close-then-send');
    assert.deepEqual(await c.closed, { code: 1000, reason: 'done' });
    assert.equal(c.messages.length, 0);
  });

  it('escape: a client end already used (its socket closed) cannot be returned again by a later invocation', async () => {
    await p.deploy(
      'reuse',
      `let kept = null;
      export default { fetch() {
        if (kept === null) { const [c, s] = Object.values(new WebSocketPair()); s.accept(); kept = c; }
        return new Response(null, { status: 101, webSocket: kept });
      } };`,
    );
    const first = await open(wsUrl('/fn/reuse/'));
    first.ws.close(1000);
    const rec = await record(first.invocationId);
    assert.equal(rec.status, 'success');
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(wsUrl('/fn/reuse/'));
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('open', () => resolve(101));
      ws.on('error', () => undefined);
    });
    assert.equal(status, 502);
  });

  it('a flood to a socket not yet accepted stops the platform reading the client (it does not buffer it), then all of it arrives in order; shutdown closes sockets with 1001', async () => {
    // the function accepts only once this gate server answers
    let openGate!: () => void;
    const gateOpen = new Promise<void>((r) => (openGate = r));
    let asked!: () => void;
    const gateAsked = new Promise<void>((r) => (asked = r));
    const gate = createServer((_req, res) => {
      asked();
      void gateOpen.then(() => res.end('go'));
    });
    await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
    const q = await startPlatform({ args: ['--egress-allow', '127.0.0.1'] });
    try {
      await q.deploy(
        'slow',
        `export default { fetch() {
          const [c, s] = Object.values(new WebSocketPair());
          let n = 0;
          s.addEventListener('message', (e) => { if (typeof e.data === 'string') s.send(String(n)); else if (new Uint8Array(e.data)[0] === n % 256) n++; });
          fetch('http://127.0.0.1:${(gate.address() as AddressInfo).port}/').then(() => s.accept());
          return new Response(null, { status: 101, webSocket: c });
        } };`,
      );
      const f = await open(q.url.replace('http', 'ws') + '/fn/slow/');
      await gateAsked;
      const piece = 512 * 1024;
      const count = 64;
      for (let i = 0; i < count; i++) f.ws.send(Buffer.alloc(piece, i % 256));
      f.ws.send('end');
      // the platform reads at most a few messages it cannot hand on: the rest stays with the client
      const stuck = await eventually(async () => {
        const before = f.ws.bufferedAmount;
        await new Promise((r) => setTimeout(r, 200));
        return f.ws.bufferedAmount === before ? before : null;
      }, 15_000, 0);
      assert.ok(stuck > 16 * 1024 * 1024, `the client still holds ${stuck} bytes the platform did not read`);
      openGate();
      assert.equal((await f.next()).data.toString(), String(count));
      f.ws.close(1000);
      await f.closed;

      await q.deploy('echo', ECHO);
      const c = await open(q.url.replace('http', 'ws') + '/fn/echo/');
      c.ws.send('hi');
      await c.next();
      const stopped = q.stop();
      assert.equal((await c.closed).code, 1001);
      await stopped;
    } finally {
      q.cleanup();
      gate.close();
    }
  });
});

// a platform of its own: a short idle time would race the CPU-limit test's spin on a busy machine
describe('the WebSocket idle timeout, end to end', () => {
  let p: RunningPlatform;
  before(async () => {
    p = await startPlatform({ args: ['--ws-idle-timeout', '1500'] });
    await p.deploy('echo', ECHO);
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  it('a socket with no message for the idle time is closed with 1000 "idle timeout"', async () => {
    const c = await open(p.url.replace('http', 'ws') + '/fn/echo/');
    assert.deepEqual(await c.closed, { code: 1000, reason: 'idle timeout' });
    const rec = await invocationRecord<Rec>(p, c.invocationId, { ms: 15_000 });
    assert.equal(rec.status, 'success');
  });
});

describe('outbound WebSockets, end to end', () => {
  let p: RunningPlatform;
  let remote: WebSocketServer;
  let remoteUrl = '';
  const closes: Array<{ code: number; reason: string }> = [];
  let closed: (() => void) | null = null;
  before(async () => {
    remote = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (set) => (set.has('chat') ? 'chat' : false) });
    await new Promise<void>((r) => remote.once('listening', r));
    remote.on('connection', (ws) => {
      ws.on('message', (data, binary) => ws.send(data, { binary }));
      ws.on('close', (code, reason) => {
        closes.push({ code, reason: reason.toString() });
        closed?.();
      });
    });
    remoteUrl = `ws://127.0.0.1:${(remote.address() as AddressInfo).port}/`;
    p = await startPlatform({ args: ['--egress-allow', '127.0.0.1'] });
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    remote.close();
  });

  const RELAY = `export default { async fetch(request) {
    const to = new URL(request.url).searchParams.get('to');
    const ws = new WebSocket(to, ['chat']);
    const got = [];
    const result = await new Promise((resolve) => {
      ws.addEventListener('open', () => { ws.send('ping'); ws.send(new Uint8Array([7, 8])); });
      ws.addEventListener('message', (e) => {
        got.push(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data)].join('.'));
        if (got.length === 2) ws.close(1000, 'thanks');
      });
      ws.addEventListener('error', (e) => got.push('error: ' + e.message));
      ws.addEventListener('close', (e) => resolve({ got, code: e.code, reason: e.reason, protocol: ws.protocol }));
    });
    return Response.json(result);
  } };`;

  it('a function opens a WebSocket through the platform: text and binary, its subprotocol, its close', async () => {
    await p.deploy('relay', RELAY);
    const r = await fetch(`${p.url}/fn/relay/?to=${encodeURIComponent(remoteUrl)}`);
    assert.deepEqual(await r.json(), { got: ['ping', '7.8'], code: 1000, reason: 'thanks', protocol: 'chat' });
    await eventually(async () => closes.some((c) => c.code === 1000 && c.reason === 'thanks'));
  });

  it('a socket the function leaves open is closed (1001) when its invocation ends', async () => {
    await p.deploy(
      'leaver',
      `export default { async fetch(request) {
        const ws = new WebSocket(new URL(request.url).searchParams.get('to'));
        await new Promise((r) => ws.addEventListener('open', r));
        return new Response('left it open');
      } };`,
    );
    const before = closes.length;
    const done = new Promise<void>((r) => (closed = r));
    const r = await fetch(`${p.url}/fn/leaver/?to=${encodeURIComponent(remoteUrl)}`);
    assert.equal(await r.text(), 'left it open');
    await done;
    assert.deepEqual(closes[before], { code: 1001, reason: 'the invocation is over' });
  });

  it('the constructor refuses a fragment, another scheme, an invalid URL and bad subprotocols (SyntaxError); http(s) is taken as ws(s)', async () => {
    await p.deploy(
      'syntax',
      `export default { fetch() {
        const nameOf = (f) => { try { f(); return 'no error'; } catch (e) { return e.name; } };
        const plain = new WebSocket('http://127.0.0.1:9/x');
        plain.addEventListener('error', () => undefined);
        return Response.json([
          nameOf(() => new WebSocket('ws://example.com/#')),
          nameOf(() => new WebSocket('ftp://example.com/')),
          nameOf(() => new WebSocket('not a url')),
          nameOf(() => new WebSocket('ws://example.com/', ['a b'])),
          nameOf(() => new WebSocket('ws://example.com/', ['p', 'p'])),
          plain.url,
        ]);
      } };`,
    );
    const r = await fetch(`${p.url}/fn/syntax/`);
    assert.deepEqual(await r.json(), ['SyntaxError', 'SyntaxError', 'SyntaxError', 'SyntaxError', 'SyntaxError', 'ws://127.0.0.1:9/x']);
  });

  it('close() while connecting fails the connection: error, then close 1006 (not clean), as the WebSocket standard says', async () => {
    await p.deploy(
      'quitter',
      `export default { async fetch(request) {
        const ws = new WebSocket(new URL(request.url).searchParams.get('to'));
        const events = [];
        const done = new Promise((resolve) => {
          ws.addEventListener('open', () => events.push('open'));
          ws.addEventListener('error', () => events.push('error'));
          ws.addEventListener('close', (e) => { events.push('close ' + e.code + ' ' + e.wasClean); resolve(); });
        });
        ws.close(1000, 'never mind');
        const state = ws.readyState;
        await done;
        return Response.json({ state, events, after: ws.readyState });
      } };`,
    );
    const r = await fetch(`${p.url}/fn/quitter/?to=${encodeURIComponent(remoteUrl)}`);
    assert.deepEqual(await r.json(), { state: 2, events: ['error', 'close 1006 false'], after: 3 });
  });

  it('at most 32 outbound sockets opening or open per instance: past it an error saying so, no connection tried', async () => {
    await p.deploy(
      'many',
      `export default { async fetch(request) {
        const to = new URL(request.url).searchParams.get('to');
        const sockets = Array.from({ length: 40 }, () => new WebSocket(to));
        const outcomes = await Promise.all(sockets.map((ws) => new Promise((resolve) => {
          ws.addEventListener('open', () => resolve('open'));
          ws.addEventListener('error', (e) => resolve('error: ' + e.message));
        })));
        for (const ws of sockets) if (ws.readyState === 1) ws.close(1000, 'enough');
        return Response.json(outcomes);
      } };`,
    );
    let connections = 0;
    const counted = () => connections++;
    remote.on('connection', counted);
    try {
      const r = await fetch(`${p.url}/fn/many/?to=${encodeURIComponent(remoteUrl)}`);
      const outcomes = (await r.json()) as string[];
      assert.deepEqual(outcomes.slice(0, 32), Array(32).fill('open'));
      for (const o of outcomes.slice(32)) assert.match(o, /^error: .*too many outbound WebSockets: at most 32 /);
      assert.equal(connections, 32);
    } finally {
      remote.off('connection', counted);
    }
  });

  it('egress rules apply: a loopback address not allowed is refused, nothing sent', async () => {
    const q = await startPlatform();
    try {
      await q.deploy('relay', RELAY);
      const connections = remote.clients.size;
      const r = await fetch(`${q.url}/fn/relay/?to=${encodeURIComponent(remoteUrl)}`);
      const body = (await r.json()) as { got: string[]; code: number };
      assert.equal(body.code, 1006);
      assert.match(body.got[0], /error: .*127\.0\.0\.1 is .*may not reach.*--egress-allow/);
      assert.equal(remote.clients.size, connections);
      const bad = await fetch(`${q.url}/fn/relay/?to=${encodeURIComponent('ws://localhost:' + (remote.address() as AddressInfo).port + '/')}`);
      assert.match(((await bad.json()) as { got: string[] }).got[0], /localhost resolves to .*may not reach/);
    } finally {
      await q.stop();
      q.cleanup();
    }
  });
});
