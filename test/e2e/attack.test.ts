/**
 * Tried as an attacker would, against the real server: a function's response head that
 * Node refuses or that outgrows the limit, JSON nested thousands deep into every door,
 * log lines that would drive the operator's terminal, and clients that send a request
 * slowly (a byte now and then) or many large bodies at once to hold the platform's memory.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { cli, invocationRecord, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

interface Problem {
  code: string;
  status: number;
  detail: string;
  invocationId?: string;
}

const DEEP = '['.repeat(6000) + ']'.repeat(6000);

/** A raw HTTP/1.1 client on a real socket: writes what it is told, collects what comes back until the server closes. */
function rawClient(url: string): { socket: Socket; write(text: string | Buffer): void; until(pattern: RegExp): Promise<string>; closed: Promise<string> } {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  let received = '';
  const waiting = new Set<() => void>();
  socket.on('data', (d: Buffer) => {
    received += d.toString('latin1');
    for (const check of waiting) check();
  });
  const closed = new Promise<string>((resolve) => socket.on('close', () => resolve(received)));
  socket.on('error', () => {});
  return {
    socket,
    write: (text) => socket.write(text),
    /** Resolves once what came back matches `pattern`. */
    until: (pattern) =>
      new Promise<string>((resolve) => {
        const check = () => {
          if (!pattern.test(received)) return;
          waiting.delete(check);
          resolve(received);
        };
        waiting.add(check);
        check();
      }),
    closed,
  };
}

function problemOf(raw: string): Problem & { head: string } {
  const at = raw.indexOf('\r\n\r\n');
  return { ...(JSON.parse(raw.slice(at + 4)) as Problem), head: raw.slice(0, at) };
}

const record = (p: RunningPlatform, id: string) => invocationRecord(p, id);

describe('attacks, end to end', () => {
  let p: RunningPlatform;
  before(async () => {
    p = await startPlatform({ args: ['--payload-limit', '8kb', '--body-timeout', '1s', '--headers-timeout', '1s'] });
    await p.deploy(
      'heads',
      `export default { fetch(req: Request) {
         const path = new URL(req.url).pathname;
         if (path === '/latin') return new Response('x', { headers: { 'x-bad': 'v\\u0100w' } });
         if (path === '/big') return new Response('x', { headers: { 'x-big': 'a'.repeat(10 * 1024) } });
         if (path === '/fwd') return new Response([req.headers.get('x-forwarded-prefix'), req.headers.get('x-forwarded-proto'), req.headers.get('x-forwarded-for')].join(' | '));
         if (path === '/forge') return new Response('x', { headers: { 'x-nimbus-invocation-id': 'forged' } });
         if (path === '/log') { console.log('{"a":' + '['.repeat(8000) + ']'.repeat(8000) + '}'); return new Response('logged') }
         return new Response('ok');
       } }`,
    );
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  it('a response header Node refuses is a 502 NIMBUS_ERR_BAD_RESPONSE recorded as an error, with no stack', async () => {
    const res = await fetch(`${p.url}/fn/heads/latin`);
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('x-bad'), null);
    const problem = (await res.json()) as Problem;
    assert.equal(problem.code, 'NIMBUS_ERR_BAD_RESPONSE');
    assert.match(problem.detail, /"x-bad"/);
    assert.doesNotMatch(JSON.stringify(problem), /\bat \S+ \(|node:internal|\.ts:\d+/);
    const r = await record(p, res.headers.get('x-nimbus-invocation-id') ?? '');
    assert.deepEqual([r.status, r.errorCode, r.statusCode], ['error', 'NIMBUS_ERR_BAD_RESPONSE', 502]);
  });

  it('response headers count toward the response limit', async () => {
    const res = await fetch(`${p.url}/fn/heads/big`);
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('x-big'), null);
    const problem = (await res.json()) as Problem;
    assert.equal(problem.code, 'NIMBUS_ERR_BAD_RESPONSE');
    assert.match(problem.detail, /with its headers; the limit is 8192/);
    const r = await record(p, problem.invocationId ?? '');
    assert.equal(r.status, 'error');
  });

  it("the invocation id header is the platform's: a function cannot forge it", async () => {
    const res = await fetch(`${p.url}/fn/heads/forge`);
    assert.equal(res.status, 200);
    assert.notEqual(res.headers.get('x-nimbus-invocation-id'), 'forged');
    assert.doesNotMatch(res.headers.get('x-nimbus-invocation-id') ?? '', /forged/);
  });

  it('a client cannot forge the x-forwarded-prefix or -proto the function sees; its x-forwarded-for comes first, the real address last', async () => {
    const res = await fetch(`${p.url}/fn/heads/fwd`, { headers: { 'x-forwarded-prefix': '//evil.example', 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' } });
    assert.equal(await res.text(), '/fn/heads | http | 203.0.113.9, 127.0.0.1');
  });

  it('a 204 with a body from a handler goes out without the body and without a Content-Length', { timeout: 30_000 }, async () => {
    await p.deploy('nocontent', `export async function handler() { return { statusCode: 204, body: 'abc' } }`);
    const c = rawClient(p.url);
    c.write('GET /fn/nocontent/ HTTP/1.1\r\nhost: x\r\n\r\n');
    const head = (await c.until(/\r\n\r\n/)).split('\r\n\r\n')[0];
    assert.match(head, /^HTTP\/1.1 204 /);
    assert.doesNotMatch(head, /content-length/i);
    // The connection is still in step: the next answer on it is a whole one.
    c.write('GET /fn/heads/ HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n');
    assert.match(await c.closed, /\r\n\r\nHTTP\/1.1 200 [\s\S]*\r\n\r\nok$/);
  });

  it('a log line of JSON nested 8,000 deep (within the 16 KB line limit) is served as text, not a 500', async () => {
    const res = await fetch(`${p.url}/fn/heads/log`);
    assert.equal(res.status, 200);
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    await record(p, id);
    const logs = await p.api(`/api/v1/logs?invocation=${id}`);
    assert.equal(logs.status, 200);
    const { items } = (await logs.json()) as { items: Array<{ msg: string; data?: unknown }> };
    assert.equal(items.length, 1);
    assert.equal(items[0].data, undefined);
    assert.ok(items[0].msg.startsWith('{"a":[[[['));
  });

  it('headers past 16 KB are a 431 problem with the connection closed', { timeout: 30_000 }, async () => {
    const c = rawClient(p.url);
    c.write(`GET /fn/heads/ HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`);
    const problem = problemOf(await c.closed);
    assert.match(problem.head, /^HTTP\/1.1 431 /);
    assert.equal(problem.code, 'NIMBUS_ERR_HEADERS_TOO_LARGE');
  });

  it('JSON nested 6,000 deep is a 400 at every door that takes JSON, never a 500', async () => {
    const big = await startPlatform();
    try {
      await big.deploy('echo', `export async function handler(event: unknown) { return event }`);
      assert.equal((await big.api('/api/v1/topics', { method: 'POST', body: '{"name":"t"}' })).status, 201);
      const wf = await big.api('/api/v1/workflows/w', { method: 'PUT', body: JSON.stringify({ definition: { StartAt: 'A', States: { A: { Type: 'Pass', End: true } } } }) });
      assert.ok(wf.ok, await wf.text());
      const doors: Array<[string, string, RequestInit]> = [
        ['invoke', '/api/v1/functions/echo/invoke', { method: 'POST', body: DEEP }],
        ['async invoke', '/api/v1/functions/echo/invoke', { method: 'POST', body: DEEP, headers: { prefer: 'respond-async' } }],
        ['deploy', '/api/v1/functions/x', { method: 'PUT', body: `{"source":${DEEP}}` }],
        ['workflow run', '/api/v1/workflows/w/run', { method: 'POST', body: `{"input":${DEEP}}` }],
        ['workflow definition', '/api/v1/workflows/w2', { method: 'PUT', body: JSON.stringify({ definition: DEEP }) }],
        ['structured event', '/api/v1/events/t', { method: 'POST', body: `{"specversion":"1.0","id":"1","source":"/s","type":"t","data":${DEEP}}`, headers: { 'content-type': 'application/cloudevents+json' } }],
        ['binary event', '/api/v1/events/t', { method: 'POST', body: DEEP, headers: { 'ce-specversion': '1.0', 'ce-id': '2', 'ce-source': '/s', 'ce-type': 't' } }],
        ['trigger', '/api/v1/triggers', { method: 'POST', body: `{"function":"echo","topic":"t","filter":${DEEP}}` }],
      ];
      for (const [door, path, init] of doors) {
        const res = await big.api(path, init);
        const problem = (await res.json()) as Problem;
        assert.equal(res.status, 400, `${door}: ${JSON.stringify(problem)}`);
        assert.match(problem.code, /^NIMBUS_ERR_(BAD_REQUEST|VALIDATION)$/, door);
        assert.match(problem.detail, /deeper than 512 levels/, door);
      }
      // A function's own result nested that deep is its fault: a 502, recorded as an error.
      await big.deploy('deep', `export async function handler() { let v: unknown = 1; for (let i = 0; i < 6000; i++) v = [v]; return v }`);
      const res = await big.api('/api/v1/functions/deep/invoke', { method: 'POST', body: '{}' });
      const problem = (await res.json()) as Problem;
      assert.equal(res.status, 502, JSON.stringify(problem));
      assert.equal(problem.code, 'NIMBUS_ERR_BAD_RESPONSE');
      assert.equal((await record(big, problem.invocationId ?? '')).status, 'error');
      // A workflow that wraps its state once a turn stops at the bound with a States error, not a 500.
      const loop = {
        StartAt: 'Init',
        States: {
          Init: { Type: 'Pass', Result: { v: 1, n: 0 }, Next: 'Wrap' },
          Wrap: { Type: 'Pass', Parameters: { 'v.$': 'States.Array($.v)', 'n.$': 'States.MathAdd($.n, 1)' }, Next: 'Check' },
          Check: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericLessThan: 6000, Next: 'Wrap' }], Default: 'Done' },
          Done: { Type: 'Succeed' },
        },
      };
      assert.ok((await big.api('/api/v1/workflows/loop', { method: 'PUT', body: JSON.stringify({ definition: loop }) })).ok);
      const run = (await (await big.api('/api/v1/workflows/loop/run', { method: 'POST', body: '{}' })).json()) as Problem & { error?: string; errorCause?: string };
      assert.equal(run.code, 'NIMBUS_ERR_EXECUTION_FAILED', JSON.stringify(run));
      assert.equal(run.error, 'States.DataLimitExceeded');
      assert.match(run.errorCause ?? '', /deeper than 512 levels/);
      // The platform still answers after all of that.
      assert.equal((await big.api('/api/v1/functions/echo/invoke', { method: 'POST', body: '{"a":[1]}' })).status, 200);
    } finally {
      await big.stop();
      big.cleanup();
    }
  });

  it('a number too large for a double (1e309) is a 400 at the API, not an event that turns into null on the way', async () => {
    await p.deploy('echo', `export async function handler(event: unknown) { return { event, text: String((event as { n?: unknown })?.n) } }`);
    // A subscription, so that an event published to the topic would be queued for echo.
    assert.equal((await p.api('/api/v1/triggers', { method: 'POST', body: '{"function":"echo","topic":"inf"}' })).status, 201);
    const event = '{"specversion":"1.0","id":"1","source":"s","type":"t","data":{"n":1e309}}';
    const doors: Array<[string, string, RequestInit]> = [
      ['invoke', '/api/v1/functions/echo/invoke', { method: 'POST', body: '{"n":1e309}' }],
      ['async invoke', '/api/v1/functions/echo/invoke', { method: 'POST', body: '{"n":-1E+400}', headers: { prefer: 'respond-async' } }],
      ['timer input', '/api/v1/triggers', { method: 'POST', body: '{"function":"echo","schedule":"@daily","input":[1e309]}' }],
      ['structured event', '/api/v1/events/inf', { method: 'POST', body: event, headers: { 'content-type': 'application/cloudevents+json' } }],
      ['batch event', '/api/v1/events/inf', { method: 'POST', body: `[${event}]`, headers: { 'content-type': 'application/cloudevents-batch+json' } }],
      ['binary event', '/api/v1/events/inf', { method: 'POST', body: '{"n":1e309}', headers: { 'content-type': 'application/json', 'ce-specversion': '1.0', 'ce-id': '2', 'ce-source': 's', 'ce-type': 't' } }],
    ];
    for (const [door, path, init] of doors) {
      const res = await p.api(path, init);
      const problem = (await res.json()) as Problem;
      assert.equal(res.status, 400, `${door}: ${JSON.stringify(problem)}`);
      assert.equal(problem.code, 'NIMBUS_ERR_BAD_REQUEST', door);
      assert.match(problem.detail, /too large for a double/, door);
    }
    assert.equal(((await (await p.api('/api/v1/async?function=echo')).json()) as { items: unknown[] }).items.length, 0, 'nothing was queued');
    // Large numbers a double holds, and the same text inside strings, pass as they are.
    const ok = await p.api('/api/v1/functions/echo/invoke', { method: 'POST', body: '{"n":1e308,"s":"1e309","m":1e-400}' });
    assert.deepEqual(await ok.json(), { event: { n: 1e308, s: '1e309', m: 0 }, text: '1e+308' });
  });

  it("`nimbus logs`, `nimbus show` and a problem the CLI prints escape a function's terminal controls and cannot be fooled by a forged line; --json keeps the text", async () => {
    const forged = '2026-01-01 00:00:00Z INFO  payments abcd1234  refund approved';
    await p.deploy(
      'sneaky',
      `export default { fetch() { console.log('\\x1b[2J\\x1b[Hcleared\\u202e' + '\\n' + ${JSON.stringify(forged)}); throw new Error('bad\\x1b]0;title\\x07') } }`,
    );
    const res = await fetch(`${p.url}/fn/sneaky/`);
    assert.equal(res.status, 500);
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    await record(p, id);
    const human = await cli(p, ['logs', 'sneaky']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /\\x1b\[2J\\x1b\[Hcleared\\u202e/);
    assert.doesNotMatch(human.stdout, /[\x1b\u202e]/);
    for (const line of human.stdout.split('\n')) assert.ok(!line.startsWith(forged), `a forged line stands alone: ${JSON.stringify(line)}`);
    const show = await cli(p, ['show', id]);
    assert.equal(show.code, 0, show.stderr);
    assert.doesNotMatch(show.stdout, /[\x1b\x07\u202e]/);
    assert.match(show.stdout, /bad\\x1b\]0;title\\x07/);
    for (const line of show.stdout.split('\n')) assert.ok(!line.trimStart().startsWith(forged), `a forged line stands alone: ${JSON.stringify(line)}`);
    // A problem the CLI prints (a workflow that failed in the function, `wf start --wait`) carries the function's text escaped too.
    assert.ok((await p.api('/api/v1/workflows/sneaky-flow', { method: 'PUT', body: JSON.stringify({ definition: { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'fn:sneaky', End: true } } } }) })).ok);
    const failed = await cli(p, ['wf', 'start', 'sneaky-flow', '--wait']);
    assert.equal(failed.code, 1, failed.stdout + failed.stderr);
    assert.match(failed.stderr, /bad\\x1b\]0;title\\x07/);
    assert.doesNotMatch(failed.stdout + failed.stderr, /[\x1b\x07\u202e]/);
    const json = await cli(p, ['logs', 'sneaky', '--json']);
    const msgs = json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.ok(msgs.includes(`\x1b[2J\x1b[Hcleared\u202e\n${forged}`), JSON.stringify(msgs));
  });

  // Each waits for the server's answer on the socket; the timeouts are the platform's (1 s), not the test's.
  it('a body trickled after its headers is a 408 problem once the body timeout passes, and the connection closes (/fn and the API)', { timeout: 30_000 }, async () => {
    for (const path of ['/fn/heads/', '/api/v1/functions/heads/invoke']) {
      const c = rawClient(p.url);
      c.write(`POST ${path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer ${p.token}\r\ncontent-type: application/json\r\ncontent-length: 5000\r\n\r\n`);
      c.write('"' + 'a'.repeat(3000));
      const raw = await c.closed;
      const problem = problemOf(raw);
      assert.match(problem.head, /^HTTP\/1.1 408 /, path);
      assert.match(problem.head, /\r\nconnection: close/i, path);
      assert.equal(problem.code, 'NIMBUS_ERR_REQUEST_TIMEOUT', path);
      assert.match(problem.detail, /within 1000 ms \(3001 bytes came\)/, path);
    }
  });

  it('headers trickled slowly are a 408 problem once the headers timeout passes', { timeout: 30_000 }, async () => {
    const c = rawClient(p.url);
    c.write('GET /fn/heads/ HTTP/1.1\r\nhost: x\r\n');
    const problem = problemOf(await c.closed);
    assert.match(problem.head, /^HTTP\/1.1 408 /);
    assert.equal(problem.code, 'NIMBUS_ERR_REQUEST_TIMEOUT');
    assert.equal((await fetch(`${p.url}/fn/heads/`)).status, 200, 'the platform serves on');
  });
});

describe('the body budget, end to end', () => {
  let q: RunningPlatform;
  before(async () => {
    q = await startPlatform({ args: ['--body-budget', '64kb', '--payload-limit', '40kb', '--api-body-limit', '64kb'] });
    await q.deploy('size', `export default { async fetch(req: Request) { return new Response(String((await req.arrayBuffer()).byteLength)) } }`);
  });
  after(async () => {
    await q.stop();
    q.cleanup();
  });

  it('while bodies being received hold the budget, another request is a 503 problem before its body is read; the share comes back', { timeout: 30_000 }, async () => {
    const a = rawClient(q.url);
    // Node answers 100 Continue just before the handler runs, and the handler takes its share
    // of the budget before it first waits: once this arrives, A holds 40 KB of 64 KB.
    a.write('POST /fn/size/ HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 40000\r\n\r\n');
    await a.until(/^HTTP\/1.1 100 Continue\r\n\r\n/);
    a.write(Buffer.alloc(10));
    const b = rawClient(q.url);
    b.write('POST /fn/size/ HTTP/1.1\r\nhost: x\r\ncontent-length: 40000\r\n\r\n');
    const refused = problemOf(await b.closed);
    assert.match(refused.head, /^HTTP\/1.1 503 /);
    assert.match(refused.head, /\r\nretry-after: 1\r\n/i);
    assert.equal(refused.code, 'NIMBUS_ERR_BODY_BUDGET');
    a.write(Buffer.alloc(39_990));
    assert.match(await a.until(/\r\n\r\n40000$/), /^HTTP\/1.1 100 Continue\r\n\r\nHTTP\/1.1 200 /);
    a.socket.destroy();
    const res = await fetch(`${q.url}/fn/size/`, { method: 'POST', body: Buffer.alloc(40_000) });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '40000');
  });
});
