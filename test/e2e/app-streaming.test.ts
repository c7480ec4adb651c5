/**
 * App bodies stream both ways through the gateway (runtime "app"): Server-Sent Events from
 * a Python app arrive as it sends them (ordering, not timing: the app waits on a gate this
 * test opens after reading the event before); a chunked upload reaches the app as it is
 * sent; the payload limit cuts a streamed answer and a streamed upload; a client that goes
 * away closes the app's connection; the timeout applies to a stream that stalls.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, eventually, invocationRecord, ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { bodyEnd, ChunkReader, echoInParts, Gates, gatedEvents, get, getToTheEnd, readThenHangUp } from '../helpers/streams.ts';

type Rec = Record<string, unknown>;
const APP = join(ROOT, 'test/e2e/fixtures/apps/py-stream');
const PYTHON = spawnSync('/usr/bin/python3', ['-c', '']).status === 0 ? false : 'needs /usr/bin/python3';

describe('app bodies stream through the gateway', { skip: PYTHON }, () => {
  let p: RunningPlatform;
  const gates = new Gates();
  before(async () => {
    await new Promise<void>((r) => gates.server.listen(0, '127.0.0.1', r));
    p = await startPlatform({ args: ['--app-host-network', '--payload-limit', '1mb'] });
    // one instance taking several requests at once: the state probe reaches the app that streamed
    const deployed = await cli(p, ['deploy', 'pys', APP, '--runtime', 'app', '--cmd', 'python3 app.py', '--env', `GATES=${gates.url}`, '--concurrency', '8', '--max', '1']);
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    gates.server.close();
  });

  const record = (id: string) => invocationRecord<Rec>(p, id, { ms: 15_000 });

  it('Server-Sent Events from a Python app reach the client one by one, before the app sends the next; the record covers the stream', async () => {
    const res = await fetch(`${p.url}/fn/pys/sse`, { headers: { accept: 'text/event-stream' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    // event 2 is not sent until the test, having read event 1, opens its gate; and so on
    await gatedEvents(gates, res, 3, false);
    const rec = await record(id);
    assert.equal(rec.status, 'success');
    assert.equal(rec.statusCode, 200);
    const events = [1, 2, 3].map((n) => `id: ${n}\ndata: event ${n}\n\n`).join('');
    assert.equal(rec.responseBytes, events.length);
    // lines printed while the stream ran are the invocation's
    assert.deepEqual((rec.logs as Array<{ msg: string }>).map((l) => l.msg), ['sending event 1', 'sending event 2', 'sending event 3']);
  });

  it('a chunked upload reaches the app as it is sent: the answer to its first part comes before the last part is sent', async () => {
    const { id, rest } = await echoInParts(`${p.url}/fn/pys/echo`);
    assert.equal(rest, '<end 16>');
    const rec = await record(id);
    assert.equal(rec.status, 'success');
    assert.equal(rec.requestBytes, 'part onepart two'.length);
  });

  it('an answer that streams forever is cut at the payload limit; the record says NIMBUS_ERR_BAD_RESPONSE; the app serves on', async () => {
    const { id, ended, bytes } = await getToTheEnd(`${p.url}/fn/pys/flood`);
    assert.notEqual(ended, 'end', 'the client must see the body cut off, not complete');
    assert.ok(bytes <= 1024 * 1024, `${bytes} bytes reached the client`);
    const rec = await record(id);
    assert.equal(rec.errorCode, 'NIMBUS_ERR_BAD_RESPONSE');
    assert.equal((await fetch(`${p.url}/fn/pys/forever-state`)).status, 200);
  });

  it('a chunked upload past the payload limit is refused with 413; the app serves on', async () => {
    const { req, res } = get(`${p.url}/fn/pys/count`, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } });
    req.on('error', () => undefined);
    const part = Buffer.alloc(256 * 1024, 2);
    let sent = 0;
    // parts go until the answer comes (the gateway stops taking the upload once it passed the limit)
    let answered = false;
    const send = (): void => {
      while (!answered && sent <= 2 * 1024 * 1024 && req.write(part)) sent += part.byteLength;
      if (!answered && sent <= 2 * 1024 * 1024) req.once('drain', send);
    };
    send();
    const response = await res;
    answered = true;
    assert.equal(response.statusCode, 413);
    const problem = JSON.parse(await new ChunkReader(response).rest()) as Rec;
    assert.equal(problem.code, 'NIMBUS_ERR_PAYLOAD_TOO_LARGE');
    req.destroy();
    const small = await fetch(`${p.url}/fn/pys/count`, { method: 'POST', body: new ReadableStream({ start(c) { c.enqueue(new Uint8Array(10)); c.close(); } }), duplex: 'half' } as RequestInit);
    assert.equal(await small.text(), '10');
  });

  it("a client that goes away closes the app's connection and ends the invocation as NIMBUS_ERR_CLIENT_CLOSED", async () => {
    const id = await readThenHangUp(`${p.url}/fn/pys/forever`, /tick/);
    const rec = await record(id);
    assert.equal(rec.errorCode, 'NIMBUS_ERR_CLIENT_CLOSED');
    // the app's next write fails: the platform closed its connection rather than leave it streaming unread
    await eventually(async () => (await (await fetch(`${p.url}/fn/pys/forever-state`)).text()) === 'closed by the platform', 10_000);
  });

  it('the timeout applies to a stream that stalls: the client sees the body cut off and the record says NIMBUS_ERR_TIMEOUT', async () => {
    const deployed = await cli(p, ['deploy', 'pystall', APP, '--runtime', 'app', '--cmd', 'python3 app.py', '--env', `GATES=${gates.url}`, '--timeout', '1s']);
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
    const { req, res } = get(`${p.url}/fn/pystall/stall`);
    req.end();
    const response = await res;
    const id = response.headers['x-nimbus-invocation-id'] as string;
    const reader = new ChunkReader(response);
    response.on('error', () => undefined);
    assert.equal(await reader.next(), 'first\n');
    const { ended } = await bodyEnd(response);
    assert.notEqual(ended, 'end');
    const rec = await record(id);
    assert.equal(rec.errorCode, 'NIMBUS_ERR_TIMEOUT');
    assert.equal(rec.status, 'timeout');
  });
});
