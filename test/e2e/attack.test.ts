/**
 * Tried as an attacker would, against the real server: a function's response head that
 * Node refuses or that outgrows the limit, JSON nested thousands deep into every door,
 * log lines that would drive the operator's terminal.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cli, eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

interface Problem {
  code: string;
  status: number;
  detail: string;
  invocationId?: string;
}

const DEEP = '['.repeat(6000) + ']'.repeat(6000);

async function record(p: RunningPlatform, id: string): Promise<Record<string, unknown>> {
  return eventually(async () => {
    const r = await p.api(`/api/v1/invocations/${id}`);
    return r.ok ? ((await r.json()) as Record<string, unknown>) : null;
  });
}

describe('attacks, end to end', () => {
  let p: RunningPlatform;
  before(async () => {
    p = await startPlatform({ args: ['--payload-limit', '8kb'] });
    await p.deploy(
      'heads',
      `export default { fetch(req: Request) {
         const path = new URL(req.url).pathname;
         if (path === '/latin') return new Response('x', { headers: { 'x-bad': 'v\\u0100w' } });
         if (path === '/big') return new Response('x', { headers: { 'x-big': 'a'.repeat(10 * 1024) } });
         if (path === '/forge') return new Response('x', { headers: { 'x-nimbus-invocation-id': 'forged' } });
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
      // The platform still answers after all of that.
      assert.equal((await big.api('/api/v1/functions/echo/invoke', { method: 'POST', body: '{"a":[1]}' })).status, 200);
    } finally {
      await big.stop();
      big.cleanup();
    }
  });

  it("`nimbus logs` and `nimbus show` escape a function's terminal controls and cannot be fooled by a forged line; --json keeps the text", async () => {
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
    const json = await cli(p, ['logs', 'sneaky', '--json']);
    const msgs = json.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { msg: string }).msg);
    assert.ok(msgs.includes(`\x1b[2J\x1b[Hcleared\u202e\n${forged}`), JSON.stringify(msgs));
  });
});
