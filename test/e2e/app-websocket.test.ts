/**
 * WebSockets to apps (runtime "app") through the real server, in a network namespace where
 * bubblewrap makes one: a Python app with a hand-written WebSocket server sees the client's
 * path, query, subprotocol and headers, echoes text and binary; close codes and reasons
 * pass both ways; an app that refuses the upgrade has its answer passed through; the
 * message limit closes with 1009 either way; an open socket holds its instance's slot; an
 * app that dies mid-socket, or a socket open past the timeout, closes it with 1011 and its
 * record says so.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { cli, invocationRecord, ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { open } from '../helpers/ws-client.ts';

type Rec = Record<string, unknown>;
const APP = join(ROOT, 'test/e2e/fixtures/apps/py-websocket');
const PYTHON = spawnSync('/usr/bin/python3', ['-c', '']).status === 0 ? false : 'needs /usr/bin/python3';
const NETNS = spawnSync('bwrap', ['--unshare-user', '--unshare-pid', '--unshare-net', '--ro-bind', '/', '/', 'true']).status === 0;


describe('WebSockets to apps, end to end', { skip: PYTHON }, () => {
  let p: RunningPlatform;
  const wsUrl = (path: string) => p.url.replace('http', 'ws') + path;
  before(async () => {
    p = await startPlatform({ args: ['--ws-message-limit', '1kb', ...(NETNS ? [] : ['--app-host-network'])] });
    const deployed = await cli(p, ['deploy', 'pyws', APP, '--runtime', 'app', '--cmd', 'python3 app.py', '--concurrency', '4', '--max', '1']);
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  const record = (id: string) => invocationRecord<Rec>(p, id, { ms: 15_000 });

  it("reaches the app with the client's path, query, subprotocol and headers; echoes text and binary; the app's close reaches the client; the record is written at close", async () => {
    const c = await open(wsUrl('/fn/pyws/room/7?user=ann'), ['chat.v1', 'chat.v2'], { 'x-test': 'forwarded' });
    assert.match(c.invocationId, /./);
    assert.equal(c.headers['x-app'], 'py');
    assert.equal(c.ws.protocol, 'chat.v2');
    const seen = await c.next();
    assert.equal(seen.binary, false);
    assert.deepEqual(JSON.parse(seen.data.toString()), { path: '/room/7?user=ann', protocol: 'chat.v2', xTest: 'forwarded' });
    c.ws.send('hello');
    const m1 = await c.next();
    assert.equal(m1.binary, false);
    assert.equal(m1.data.toString(), 'hello');
    c.ws.send(Buffer.from([1, 2, 3, 255]));
    const m2 = await c.next();
    assert.equal(m2.binary, true);
    assert.deepEqual([...m2.data], [1, 2, 3, 255]);
    // the open socket is an invocation in flight: it holds a slot of the instance
    assert.equal((await p.api(`/api/v1/invocations/${c.invocationId}`)).status, 404);
    const scale = (await (await p.api('/api/v1/functions/pyws/scale')).json()) as Rec;
    assert.equal(scale.inFlight, 1);
    c.ws.send('bye');
    assert.deepEqual(await c.closed, { code: 4000, reason: 'see you' });
    const rec = await record(c.invocationId);
    assert.equal(rec.status, 'success');
    assert.equal(rec.statusCode, 101);
    assert.equal(rec.requestBytes, 5 + 4 + 3);
    assert.equal(rec.responseBytes, seen.data.byteLength + 5 + 4);
  });

  it("the client's close code and reason reach the app", async () => {
    const c = await open(wsUrl('/fn/pyws/'));
    await c.next();
    c.ws.close(4001, 'done here');
    assert.deepEqual(await c.closed, { code: 4001, reason: 'done here' });
    const rec = await record(c.invocationId);
    assert.equal(rec.status, 'success');
    assert.ok((rec.logs as Array<{ msg: string }>).some((l) => l.msg === 'client closed 4001 done here'), JSON.stringify(rec.logs));
  });

  it("an app that refuses the upgrade has its answer passed to the client as it is", async () => {
    const ws = new WebSocket(wsUrl('/fn/pyws/refuse'));
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
      ws.on('unexpected-response', (_req, response) => resolve(response));
      ws.on('open', () => reject(new Error('the upgrade was accepted')));
      ws.on('error', () => undefined);
    });
    assert.equal(res.statusCode, 403);
    assert.equal(res.headers['x-app'], 'py');
    let body = '';
    for await (const chunk of res) body += String(chunk);
    assert.equal(body, 'no sockets here');
    ws.terminate();
    const rec = await record(String(res.headers['x-nimbus-invocation-id']));
    assert.equal(rec.statusCode, 403);
  });

  it('a client message over the limit closes the socket with 1009', async () => {
    const c = await open(wsUrl('/fn/pyws/'));
    await c.next();
    c.ws.send('y'.repeat(2048));
    assert.equal((await c.closed).code, 1009);
    // the app's side is closed too: the invocation ends
    assert.equal((await record(c.invocationId)).statusCode, 101);
  });

  it("an app's message over the limit closes the socket with 1009", async () => {
    const c = await open(wsUrl('/fn/pyws/'));
    await c.next();
    c.ws.send('big');
    assert.equal((await c.closed).code, 1009);
    assert.equal((await record(c.invocationId)).statusCode, 101);
  });

  it('a client that does not read holds the app back instead of having its connection cut; all of it arrives once it reads', async () => {
    const c = await open(wsUrl('/fn/pyws/'));
    const seen = await c.next();
    const probe = await open(wsUrl('/fn/pyws/'));
    await probe.next();
    const flooded = async (): Promise<number> => {
      probe.ws.send('progress');
      return Number((await probe.next()).data.toString());
    };
    c.ws.pause();
    // 50 MB: far past what the kernel's buffers and the gateway's 16 MB cut-off would hold
    c.ws.send('flood 50000');
    // the app is held back once what waits for the client passes the gateway's mark: its count stops growing
    let last = -1;
    let still = 0;
    while (still < 10) {
      const now = await flooded();
      still = now === last && now > 0 ? still + 1 : 0;
      last = now;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(last < 50_000 * 1000, `the app sent ${last} bytes to a client that read none`);
    c.ws.resume();
    let got = 0;
    for (;;) {
      const m = await c.next();
      if (!m.binary) {
        assert.equal(m.data.toString(), 'flood done');
        break;
      }
      got += m.data.byteLength;
    }
    assert.equal(got, 50_000 * 1000);
    c.ws.close(1000);
    probe.ws.close(1000);
    assert.equal((await c.closed).code, 1000);
    await probe.closed;
    assert.equal((await record(c.invocationId)).responseBytes, seen.data.byteLength + 50_000 * 1000 + 'flood done'.length);
  });

  it("the app's timeout bounds the socket's life: the client gets 1011 and the record NIMBUS_ERR_TIMEOUT; the instance serves on", async () => {
    const deployed = await cli(p, ['deploy', 'pywsshort', APP, '--runtime', 'app', '--cmd', 'python3 app.py', '--timeout', '1s']);
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
    const c = await open(wsUrl('/fn/pywsshort/'));
    await c.next();
    assert.equal((await c.closed).code, 1011);
    const rec = await record(c.invocationId);
    assert.equal(rec.errorCode, 'NIMBUS_ERR_TIMEOUT');
    const again = await open(wsUrl('/fn/pywsshort/'));
    assert.equal(JSON.parse((await again.next()).data.toString()).path, '/');
    again.ws.close(1000);
    await again.closed;
  });

  it('an app that dies mid-socket closes it with 1011; the record says NIMBUS_ERR_INSTANCE_CRASHED; the next socket gets a new instance', async () => {
    const c = await open(wsUrl('/fn/pyws/'));
    await c.next();
    c.ws.send('crash');
    assert.equal((await c.closed).code, 1011);
    const rec = await record(c.invocationId);
    assert.equal(rec.errorCode, 'NIMBUS_ERR_INSTANCE_CRASHED');
    assert.ok((rec.logs as Array<{ msg: string }>).some((l) => l.msg === 'crashing'), JSON.stringify(rec.logs));
    const again = await open(wsUrl('/fn/pyws/'));
    await again.next();
    again.ws.send('still here');
    assert.equal((await again.next()).data.toString(), 'still here');
    again.ws.close(1000);
    await again.closed;
  });
});
