/**
 * WebSockets to functions on the `node` runtime through the real server: the Workers API
 * (WebSocketPair, accept, a 101 Response) in a Node process; text and binary echoed; close
 * codes and reasons both ways; the message limit (1009) both ways; an open socket holds its
 * instance's slot; the record is written at close with the bytes both ways and the
 * function's console lines; the process killed mid-socket closes it with 1011, its record
 * saying NIMBUS_ERR_INSTANCE_CRASHED; a socket open past the timeout closes with 1011 and
 * NIMBUS_ERR_TIMEOUT while the process serves on. Outbound: `new WebSocket(url)` in a node
 * function, opened by the platform under the egress rules (a ws server on loopback, allowed
 * with --egress-allow; refused without), the message limit, 1001 at the invocation's end.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocketServer } from 'ws';
import { cli, eventually, invocationRecord, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { open } from '../helpers/ws-client.ts';

type Rec = Record<string, unknown>;

const ECHO = `export default {
  fetch(request) {
    const path = new URL(request.url).pathname;
    if (request.headers.get('upgrade') !== 'websocket') return new Response('plain ' + path);
    const [client, server] = Object.values(new WebSocketPair());
    server.accept();
    console.log('opened', path);
    server.addEventListener('message', (e) => {
      if (e.data === 'bye') server.close(4000, 'see you');
      else if (e.data === 'big') server.send('x'.repeat(2048));
      else if (e.data === 'pid') server.send(String(process.pid));
      else if (e.data === 'kill') { console.log('killing my process'); process.kill(process.pid, 'SIGKILL'); }
      else if (typeof e.data === 'string') server.send(e.data);
      else server.send(new Uint8Array(e.data).map((b) => 255 - b));
    });
    server.addEventListener('close', (e) => console.log('client closed', e.code, e.reason));
    return new Response(null, { status: 101, webSocket: client, headers: { 'x-runtime': 'node' } });
  },
};
`;


const lines = (rec: Rec) => (rec.logs as Array<{ msg: string }>).map((l) => l.msg);

describe('WebSockets to node-runtime functions, end to end', () => {
  let p: RunningPlatform;
  let dir: string;
  const wsUrl = (path: string) => p.url.replace('http', 'ws') + path;
  const record = (id: string) => invocationRecord<Rec>(p, id, { ms: 15_000 });
  before(async () => {
    p = await startPlatform({ args: ['--ws-message-limit', '1kb'] });
    dir = mkdtempSync(join(tmpdir(), 'nimbus-nodews-'));
    writeFileSync(join(dir, 'echo.js'), ECHO);
    for (const [name, extra] of [['nodews', ['--concurrency', '4', '--max', '1']], ['nodewsshort', ['--timeout', '1s']]] as const) {
      const deployed = await cli(p, ['deploy', name, join(dir, 'echo.js'), '--runtime', 'node', ...extra]);
      assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
    }
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it("echoes text and binary; the function's close reaches the client; the socket holds a slot; the record has the bytes and the function's lines", async () => {
    const c = await open(wsUrl('/fn/nodews/room/7'));
    assert.match(c.invocationId, /./);
    assert.equal(c.headers['x-runtime'], 'node');
    c.ws.send('hello');
    const m1 = await c.next();
    assert.deepEqual([m1.binary, m1.data.toString()], [false, 'hello']);
    c.ws.send(Buffer.from([0, 1, 2, 255]));
    const m2 = await c.next();
    assert.equal(m2.binary, true);
    assert.deepEqual([...m2.data], [255, 254, 253, 0]);
    // the open socket is an invocation in flight: no record yet, and a slot of the instance taken
    assert.equal((await p.api(`/api/v1/invocations/${c.invocationId}`)).status, 404);
    const scale = (await (await p.api('/api/v1/functions/nodews/scale')).json()) as Rec;
    assert.equal(scale.inFlight, 1);
    c.ws.send('bye');
    assert.deepEqual(await c.closed, { code: 4000, reason: 'see you' });
    const rec = await record(c.invocationId);
    assert.equal(rec.status, 'success');
    assert.equal(rec.statusCode, 101);
    assert.equal(rec.requestBytes, 5 + 4 + 3);
    assert.equal(rec.responseBytes, 5 + 4);
    assert.deepEqual(lines(rec), ['opened /room/7', 'client closed 4000 see you']);
  });

  it("the client's close code and reason reach the function", async () => {
    const c = await open(wsUrl('/fn/nodews/'));
    c.ws.close(4001, 'done here');
    assert.deepEqual(await c.closed, { code: 4001, reason: 'done here' });
    const rec = await record(c.invocationId);
    assert.equal(rec.status, 'success');
    assert.deepEqual(lines(rec), ['opened /', 'client closed 4001 done here']);
  });

  it('a plain request to the same route is a plain request', async () => {
    const res = await fetch(`${p.url}/fn/nodews/plain`);
    assert.equal(await res.text(), 'plain /plain');
  });

  it('a client message over the limit closes the socket with 1009; so does a message of the function over it', async () => {
    const c = await open(wsUrl('/fn/nodews/'));
    c.ws.send('y'.repeat(2048));
    assert.equal((await c.closed).code, 1009);
    const rec = await record(c.invocationId);
    assert.equal(rec.statusCode, 101);
    // the function sees the close the gateway's end of the connection ended with
    assert.equal(lines(rec)[0], 'opened /');
    assert.match(lines(rec)[1], /^client closed \d+/);
    const d = await open(wsUrl('/fn/nodews/'));
    d.ws.send('big');
    assert.equal((await d.closed).code, 1009);
    assert.equal((await record(d.invocationId)).statusCode, 101);
  });

  it('a process killed mid-socket closes it with 1011; the record says NIMBUS_ERR_INSTANCE_CRASHED and has its lines; the next socket gets a new process', async () => {
    const c = await open(wsUrl('/fn/nodews/'));
    c.ws.send('pid');
    const pid = (await c.next()).data.toString();
    c.ws.send('kill');
    assert.equal((await c.closed).code, 1011);
    const rec = await record(c.invocationId);
    assert.equal(rec.errorCode, 'NIMBUS_ERR_INSTANCE_CRASHED');
    assert.deepEqual(lines(rec), ['opened /', 'killing my process']);
    const again = await open(wsUrl('/fn/nodews/'));
    again.ws.send('still here');
    assert.equal((await again.next()).data.toString(), 'still here');
    again.ws.send('pid');
    assert.equal(typeof (await again.next()).data.toString(), typeof pid);
    again.ws.close(1000);
    await again.closed;
  });

  it('the timeout bounds the socket: the client gets 1011, the record NIMBUS_ERR_TIMEOUT, the function its close; the process serves on', async () => {
    const c = await open(wsUrl('/fn/nodewsshort/'));
    c.ws.send('pid');
    const pid = (await c.next()).data.toString();
    assert.equal((await c.closed).code, 1011);
    const rec = await record(c.invocationId);
    assert.equal(rec.errorCode, 'NIMBUS_ERR_TIMEOUT');
    assert.equal(lines(rec)[0], 'opened /');
    const again = await open(wsUrl('/fn/nodewsshort/'));
    again.ws.send('pid');
    assert.equal((await again.next()).data.toString(), pid);
    again.ws.close(1000);
    await again.closed;
  });
});

describe('outbound WebSockets from node-runtime functions, end to end', () => {
  let p: RunningPlatform;
  let remote: WebSocketServer;
  let remoteUrl = '';
  const closes: Array<{ code: number; reason: string }> = [];
  before(async () => {
    remote = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: (set) => (set.has('chat') ? 'chat' : false) });
    await new Promise<void>((r) => remote.once('listening', r));
    remote.on('connection', (ws) => {
      ws.on('message', (data, binary) => (data.toString() === 'big' ? ws.send('z'.repeat(2048)) : ws.send(data, { binary })));
      ws.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
    });
    remoteUrl = `ws://127.0.0.1:${(remote.address() as AddressInfo).port}/`;
    p = await startPlatform({ args: ['--egress-allow', '127.0.0.1', '--ws-message-limit', '1kb'] });
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    remote.close();
  });

  const RELAY = `export default { async fetch(request) {
    const q = new URL(request.url).searchParams;
    const ws = new WebSocket(q.get('to'), ['chat']);
    const got = [];
    const result = await new Promise((resolve) => {
      ws.addEventListener('open', () => {
        if (q.get('first')) return ws.send(q.get('first'));
        ws.send('ping');
        ws.send(new Uint8Array([7, 8]));
      });
      ws.addEventListener('message', (e) => {
        got.push(typeof e.data === 'string' ? e.data : [...new Uint8Array(e.data)].join('.'));
        if (got.length === 2) ws.close(1000, 'thanks');
      });
      ws.addEventListener('error', (e) => got.push('error: ' + e.message));
      ws.addEventListener('close', (e) => resolve({ got, code: e.code, reason: e.reason, protocol: ws.protocol }));
    });
    console.log('closed', result.code);
    return Response.json({ ...result, pid: process.pid });
  } };`;
  const relay = async (q: RunningPlatform, to: string, first = '') =>
    (await (await fetch(`${q.url}/fn/relay/?to=${encodeURIComponent(to)}${first === '' ? '' : `&first=${first}`}`)).json()) as { got: string[]; code: number; reason: string; protocol: string; pid: number };

  it('a node function opens a WebSocket through the platform: text and binary, its subprotocol, its close', async () => {
    await p.deploy('relay', RELAY, { runtime: 'node' });
    const r = await relay(p, remoteUrl);
    assert.ok(r.pid > 0 && r.pid !== p.proc.pid);
    assert.deepEqual({ ...r, pid: 0 }, { got: ['ping', '7.8'], code: 1000, reason: 'thanks', protocol: 'chat', pid: 0 });
    await eventually(async () => closes.some((c) => c.code === 1000 && c.reason === 'thanks'));
  });

  it("a server's message over --ws-message-limit closes the socket with 1009, for the server and the function", async () => {
    await p.deploy('relay', RELAY, { runtime: 'node' });
    const before = closes.length;
    const r = await relay(p, remoteUrl, 'big');
    assert.deepEqual([r.code, r.reason, r.got], [1009, 'a message over 1024 bytes', []]);
    await eventually(async () => closes.length > before);
    assert.equal(closes[before].code, 1009);
  });

  it('a socket the function leaves open is closed (1001) when its invocation ends', async () => {
    await p.deploy(
      'leaver',
      `export default { async fetch(request) {
        const ws = new WebSocket(new URL(request.url).searchParams.get('to'));
        await new Promise((r) => ws.addEventListener('open', r));
        return new Response('left it open');
      } };`,
      { runtime: 'node' },
    );
    const before = closes.length;
    const r = await fetch(`${p.url}/fn/leaver/?to=${encodeURIComponent(remoteUrl)}`);
    assert.equal(await r.text(), 'left it open');
    await eventually(async () => closes.length > before);
    assert.deepEqual(closes[before], { code: 1001, reason: 'the invocation is over' });
  });

  it('egress rules apply: a loopback address not allowed is refused, nothing sent; a bad port is refused', async () => {
    const q = await startPlatform();
    try {
      await q.deploy('relay', RELAY, { runtime: 'node' });
      const connections = remote.clients.size;
      const r = await relay(q, remoteUrl);
      assert.equal(r.code, 1006);
      assert.match(r.got[0], /error: .*127\.0\.0\.1 is .*may not reach.*--egress-allow/);
      assert.equal(remote.clients.size, connections);
      const byName = await relay(q, 'ws://localhost:' + (remote.address() as AddressInfo).port + '/');
      assert.match(byName.got[0], /localhost resolves to .*may not reach/);
      const badPort = await relay(q, 'ws://127.0.0.1:6667/');
      assert.equal(badPort.code, 1006);
      assert.match(badPort.got[0], /the port 6667 is a bad port/);
    } finally {
      await q.stop();
      q.cleanup();
    }
  });
});
