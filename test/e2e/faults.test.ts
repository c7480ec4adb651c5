/**
 * The ugly cases: errors, infinite loops, memory bombs, oversize and malformed input,
 * throttling, shutdown with work in flight, and a kill -9.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, eventually, invocationRecord, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

interface Problem {
  code: string;
  status: number;
  detail: string;
  errorName?: string;
  errorMessage?: string;
  invocationId?: string;
}

const record = (p: RunningPlatform, id: string) => invocationRecord(p, id);

describe('faults, end to end', () => {
  let p: RunningPlatform;
  before(async () => {
    p = await startPlatform({ args: ['--queue-limit', '2', '--drain-timeout', '10s'] });
    await p.deploy('ok', `export default { fetch() { return new Response('ok') } }`);
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  it('a function that throws gives a 500 problem with its error name and message, and a record', async () => {
    await p.deploy(
      'thrower',
      `class PaymentDeclined extends Error { name = 'PaymentDeclined' }
       export default { fetch() { console.error('about to fail'); throw new PaymentDeclined('card 4242 was declined') } }`,
    );
    const res = await fetch(`${p.url}/fn/thrower/`);
    assert.equal(res.status, 500);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    const problem = (await res.json()) as Problem;
    assert.equal(problem.code, 'NIMBUS_ERR_FUNCTION_ERROR');
    assert.equal(problem.errorName, 'PaymentDeclined');
    assert.equal(problem.errorMessage, 'card 4242 was declined');
    assert.equal(problem.invocationId, res.headers.get('x-nimbus-invocation-id'));
    assert.equal('stack' in problem, false);
    const r = await record(p, problem.invocationId ?? '');
    assert.equal(r.status, 'error');
    assert.equal(r.errorName, 'PaymentDeclined');
    // The uncaught error ends the log, its stack in source positions and without the platform's own frames.
    assert.deepEqual((r.logs as Array<{ level: string; msg: string }>).map((l) => [l.level, l.msg]), [
      ['error', 'about to fail'],
      ['error', 'Uncaught PaymentDeclined: card 4242 was declined\n    at Object.fetch (index.ts:2:73)'],
    ]);
  });

  it("a function cannot reach the host's services: loopback, private and metadata addresses are refused", async () => {
    await p.deploy(
      'prober',
      `export default { async fetch(req: Request) {
         const out: string[] = [];
         for (const target of new URL(req.url).searchParams.getAll('t')) {
           try { out.push('reached ' + (await fetch(target)).status); }
           catch (e) { out.push(String((e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : e)); }
         }
         return Response.json(out);
       } }`,
    );
    const port = new URL(p.url).port;
    const targets = [`http://127.0.0.1:${port}/metrics`, `http://localhost:${port}/api/v1/functions`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/'];
    const res = await fetch(`${p.url}/fn/prober/?${targets.map((t) => `t=${encodeURIComponent(t)}`).join('&')}`);
    const answers = (await res.json()) as string[];
    assert.equal(answers.length, 4);
    for (const a of answers) assert.match(a, /may not reach/);
    assert.match(answers[0], /127\.0\.0\.1 is a loopback address.*--egress-allow 127\.0\.0\.1/);
    assert.match(answers[2], /link-local/);
    assert.match(answers[3], /private/);
  });

  it("a workflow's HTTP task whose URL comes from state data is held to the same egress rule", async () => {
    const definition = {
      StartAt: 'Call',
      States: { Call: { Type: 'Task', Resource: 'arn:aws:states:::http:invoke', Parameters: { 'ApiEndpoint.$': '$.url', Method: 'GET' }, End: true } },
    };
    assert.equal((await p.api('/api/v1/workflows/ssrf', { method: 'PUT', body: JSON.stringify({ definition }) })).status < 300, true);
    const run = await p.api('/api/v1/workflows/ssrf/run', { method: 'POST', body: JSON.stringify({ input: { url: `${p.url}/metrics` }, timeoutSeconds: 20 }) });
    assert.equal(run.status, 500);
    const problem = (await run.json()) as { error: string; errorCause: string };
    assert.equal(problem.error, 'States.Http.Socket');
    assert.match(problem.errorCause, /loopback address, which user code may not reach/);
  });

  it('a second platform on the same data directory, or on a taken port, is refused with a clear message', async () => {
    // `nimbus up` as a user types it; both are refused at start, so they exit at once.
    const up = async (args: string[]) => {
      const r = await cli(null, ['up', '--no-examples', '--log-level', 'warn', ...args]);
      return { code: r.code, out: r.stdout + r.stderr };
    };
    const urlFile = readFileSync(join(p.dataDir, 'url'), 'utf8');
    const sameData = await up(['--port', '0', '--data', p.dataDir]);
    assert.equal(sameData.code, 2, sameData.out);
    assert.match(sameData.out, /another Nimbus platform is running on the data directory/);
    assert.equal(readFileSync(join(p.dataDir, 'url'), 'utf8'), urlFile, "the running platform's url file is left alone");
    const other = mkdtempSync(join(tmpdir(), 'nimbus-e2e-'));
    try {
      const samePort = await up(['--port', new URL(p.url).port, '--data', other]);
      assert.equal(samePort.code, 2, samePort.out);
      assert.match(samePort.out, /port \d+ on 127\.0\.0\.1 is in use.*--port/);
      assert.doesNotMatch(samePort.out, /at Server\.|unexpected error/);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
    assert.equal((await fetch(`${p.url}/fn/ok/`)).status, 200);
  });

  it('an infinite loop is stopped at its timeout while other requests are served meanwhile', async () => {
    await p.deploy('spin', `export default { fetch() { while (true) {} } }`, { timeoutMs: 3000 });
    let spinEnded = false;
    const spinning = fetch(`${p.url}/fn/spin/`).finally(() => (spinEnded = true));
    // Once it spins (in flight in its instance), the platform answers others meanwhile:
    // each is answered while the spinning one has not ended yet.
    await eventually(async () => ((await (await p.api('/api/v1/functions/spin/scale')).json()) as { inFlight: number }).inFlight === 1);
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${p.url}/fn/ok/`);
      assert.equal(await res.text(), 'ok');
      assert.equal(spinEnded, false, `request ${i + 1} to ok was answered only after the spinning one ended`);
    }
    const res = await spinning;
    assert.equal(res.status, 504);
    assert.equal(((await res.json()) as Problem).code, 'NIMBUS_ERR_TIMEOUT');
    const r = await record(p, res.headers.get('x-nimbus-invocation-id') ?? '');
    assert.equal(r.status, 'timeout');
  });

  it('an infinite loop after an await is stopped too', async () => {
    await p.deploy('spin-later', `export default { async fetch() { await new Promise((r) => setTimeout(r, 10)); for (;;) {} } }`, { timeoutMs: 1000 });
    const res = await fetch(`${p.url}/fn/spin-later/`);
    assert.equal(res.status, 504);
    assert.equal((await fetch(`${p.url}/fn/ok/`)).status, 200);
  });

  it('a memory bomb kills only its instance; the next request gets a fresh one', async () => {
    await p.deploy(
      'bomb',
      `export default { fetch(req: Request) {
        if (new URL(req.url).pathname === '/safe') return new Response('fine');
        const hog: unknown[] = []; for (;;) hog.push(new Array(100000).fill(Math.random()));
      } }`,
      { memoryMb: 32, timeoutMs: 20_000 },
    );
    const res = await fetch(`${p.url}/fn/bomb/`);
    assert.equal(res.status, 502);
    const problem = (await res.json()) as Problem;
    assert.equal(problem.code, 'NIMBUS_ERR_MEMORY_LIMIT');
    const r = await record(p, problem.invocationId ?? '');
    assert.equal(r.status, 'memory_limit');
    const next = await fetch(`${p.url}/fn/bomb/safe`);
    assert.equal(await next.text(), 'fine');
    const nextRecord = await record(p, next.headers.get('x-nimbus-invocation-id') ?? '');
    // a fresh instance: started for this request, or already by the autoscaler after the death
    // (its recent load still asks for one), so coldStart may be either
    assert.notEqual(nextRecord.instanceId, r.instanceId);
    assert.equal(nextRecord.status, 'success');
    assert.equal(await (await fetch(`${p.url}/fn/ok/`)).text(), 'ok');
  });

  it('unknown functions are 404; bodies over the payload limit are 413', async () => {
    const missing = await fetch(`${p.url}/fn/nope/`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as Problem).code, 'NIMBUS_ERR_FUNCTION_NOT_FOUND');
    const big = await fetch(`${p.url}/fn/ok/`, { method: 'POST', body: new Uint8Array(6 * 1024 * 1024 + 1) });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as Problem).code, 'NIMBUS_ERR_PAYLOAD_TOO_LARGE');
    const invokeBig = await p.api('/api/v1/functions/ok/invoke', { method: 'POST', body: JSON.stringify({ x: 'y'.repeat(6 * 1024 * 1024) }) });
    assert.equal(invokeBig.status, 413);
  });

  it('a body of exactly the payload limit passes', async () => {
    await p.deploy('size', `export default { async fetch(req: Request) { return new Response(String((await req.arrayBuffer()).byteLength)) } }`);
    const res = await fetch(`${p.url}/fn/size/`, { method: 'POST', body: new Uint8Array(6 * 1024 * 1024) });
    assert.equal(await res.text(), String(6 * 1024 * 1024));
  });

  it('malformed API input gets a 400 problem naming the field, and nothing changes', async () => {
    const notJson = await p.api('/api/v1/functions/x', { method: 'PUT', body: '{oops' });
    assert.equal(notJson.status, 400);
    assert.equal(((await notJson.json()) as Problem).code, 'NIMBUS_ERR_BAD_REQUEST');
    const badConfig = await p.api('/api/v1/functions/x', {
      method: 'PUT',
      body: JSON.stringify({ source: { files: { 'a.ts': 'export default {fetch(){return new Response("")}}' }, entry: 'a.ts' }, config: { memoryMb: 'lots' } }),
    });
    assert.equal(badConfig.status, 400);
    const problem = (await badConfig.json()) as Problem & { field: string };
    assert.equal(problem.code, 'NIMBUS_ERR_VALIDATION');
    assert.match(problem.field, /memoryMb/);
    const badName = await p.api('/api/v1/functions/bad%20name', {
      method: 'PUT',
      body: JSON.stringify({ source: { files: { 'a.ts': 'export default {fetch(){return new Response("")}}' }, entry: 'a.ts' } }),
    });
    assert.equal(badName.status, 400);
    assert.equal((await p.api('/api/v1/functions/x')).status, 404);
  });

  it('when every instance is busy and the queue is full, callers get 429 with Retry-After', async () => {
    await p.deploy('slow', `export default { async fetch() { await new Promise((r) => setTimeout(r, 800)); return new Response('done') } }`, {
      concurrency: 1,
      targetConcurrency: 1,
      maxInstances: 1,
    });
    assert.equal(await (await fetch(`${p.url}/fn/slow/`)).text(), 'done'); // the instance is up: only the queue limit matters now
    const responses = await Promise.all(Array.from({ length: 6 }, () => fetch(`${p.url}/fn/slow/`)));
    const statuses = responses.map((r) => r.status).sort();
    // One runs, two wait in the queue (limit 2), three are turned away.
    assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
    const throttled = responses.find((r) => r.status === 429);
    assert.equal(throttled?.headers.get('retry-after'), '1');
    assert.equal(((await throttled?.json()) as Problem).code, 'NIMBUS_ERR_THROTTLED');
  });

  it('the control API needs the token', async () => {
    const anon = await fetch(`${p.url}/api/v1/functions`);
    assert.equal(anon.status, 401);
    assert.equal(((await anon.json()) as Problem).code, 'NIMBUS_ERR_UNAUTHORIZED');
    const wrong = await fetch(`${p.url}/api/v1/functions`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(wrong.status, 401);
    // The function gateway is public by default.
    assert.equal((await fetch(`${p.url}/fn/ok/`)).status, 200);
  });
});

describe('shutdown and crashes', () => {
  it('SIGTERM drains in-flight requests before exiting', async () => {
    const p = await startPlatform();
    try {
      await p.deploy('slow', `export default { async fetch() { await new Promise((r) => setTimeout(r, 1000)); return new Response('finished') } }`);
      await (await fetch(`${p.url}/fn/slow/`)).text(); // warm
      const inFlight = fetch(`${p.url}/fn/slow/`).then((r) => r.text());
      await eventually(async () => ((await (await p.api('/api/v1/functions/slow/scale')).json()) as { inFlight: number }).inFlight === 1);
      const code = await p.stop();
      assert.equal(await inFlight, 'finished');
      assert.equal(code, 0);
    } finally {
      p.cleanup();
    }
  });

  it('after kill -9 and a restart, deployed functions and flushed records are still there', async () => {
    const first = await startPlatform();
    const dataDir = first.dataDir;
    let second: RunningPlatform | undefined;
    try {
      await first.deploy('durable', `export default { fetch() { return new Response('still here') } }`);
      const res = await fetch(`${first.url}/fn/durable/`);
      const id = res.headers.get('x-nimbus-invocation-id') ?? '';
      // Usage is answered after the records in memory are written: once it counts the
      // request, its record is in the store (no wait for the flush interval).
      const usage = (await (await first.api('/api/v1/usage?function=durable')).json()) as { items: Array<{ requests: number }> };
      assert.equal(usage.items.reduce((n, i) => n + i.requests, 0), 1);
      await first.kill();
      second = await startPlatform({ dataDir });
      assert.equal(await (await fetch(`${second.url}/fn/durable/`)).text(), 'still here');
      assert.equal((await second.api(`/api/v1/invocations/${id}`)).status, 200);
      assert.equal(second.token, first.token);
    } finally {
      await second?.stop();
      first.cleanup();
      second?.cleanup();
      (await import('node:fs')).rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
