/**
 * The new user's path, end to end through the real server and the real CLI:
 * deploy, call over HTTP, invoke, list, describe, records, remove.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, eventually, invocationRecord, ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

describe('core platform, end to end', () => {
  let p: RunningPlatform;
  before(async () => {
    p = await startPlatform();
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  it('deploys a TypeScript file with the CLI and serves it over HTTP', async () => {
    const out = await cli(p, ['deploy', 'hello', join(ROOT, 'examples/hello.ts'), '--memory', '128', '--timeout', '10s']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /deployed hello version 1 \(128 MB, timeout 10s/);
    assert.match(out.stderr, /bundling/);
    const res = await fetch(`${p.url}/fn/hello/world`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'Hello, world!\n');
    assert.match(res.headers.get('x-nimbus-invocation-id') ?? '', /^[0-9a-z]{26}$/);
  });

  it('redeploying identical code is a no-op; changed code or config makes the next version', async () => {
    const same = await cli(p, ['deploy', 'hello', join(ROOT, 'examples/hello.ts'), '--json']);
    assert.equal(same.code, 0, same.stderr);
    const sameBody = JSON.parse(same.stdout);
    assert.equal(sameBody.created, false);
    assert.equal(sameBody.version.version, 1);
    const changed = await cli(p, ['deploy', 'hello', join(ROOT, 'examples/hello.ts'), '--env', 'GREETING=Howdy', '--json']);
    assert.equal(JSON.parse(changed.stdout).version.version, 2);
    assert.equal(await (await fetch(`${p.url}/fn/hello/Ada`)).text(), 'Howdy, Ada!\n');
    // Settings not given on a redeploy keep the current version's values.
    assert.equal(JSON.parse(changed.stdout).version.config.timeoutMs, 10_000);
  });

  it('invokes a Lambda-style handler with a JSON event, and over HTTP with an API Gateway v2 event', async () => {
    assert.equal((await cli(p, ['deploy', 'json-api', join(ROOT, 'examples/json-api.ts')])).code, 0);
    const out = await cli(p, ['invoke', 'json-api', '--data', '{"name":"Ada"}', '--json']);
    assert.equal(out.code, 0, out.stderr);
    const body = JSON.parse(out.stdout);
    assert.equal(body.result.greeting, 'Hello, Ada!');
    assert.match(body.invocationId, /^[0-9a-z]{26}$/);
    const res = await fetch(`${p.url}/fn/json-api/greet`, { method: 'POST', body: JSON.stringify({ name: 'Grace' }), headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { greeting: string }).greeting, 'Hello, Grace!');
  });

  it('runs an unmodified Hono app deployed from a directory', async () => {
    const out = await cli(p, ['deploy', 'hono-app', join(ROOT, 'examples/hono-app')]);
    assert.equal(out.code, 0, out.stderr);
    const user = await fetch(`${p.url}/fn/hono-app/users/2`);
    assert.equal(user.status, 200);
    assert.deepEqual(await user.json(), { id: '2', name: 'Grace Hopper' });
    assert.equal((await fetch(`${p.url}/fn/hono-app/users/99`)).status, 404);
    const created = await fetch(`${p.url}/fn/hono-app/users`, { method: 'POST', body: '{"name":"Edsger"}', headers: { 'content-type': 'application/json' } });
    assert.equal(created.status, 201);
  });

  it('passes method, query, headers and binary bodies through untouched', async () => {
    await p.deploy(
      'echo',
      `export default { async fetch(req: Request) {
        const body = new Uint8Array(await req.arrayBuffer());
        const url = new URL(req.url);
        return new Response(body, { status: 201, headers: { 'x-method': req.method, 'x-path': url.pathname, 'x-q': url.searchParams.get('q') ?? '', 'x-h': req.headers.get('x-custom') ?? '', 'content-type': 'application/octet-stream' } });
      } }`,
    );
    const bytes = new Uint8Array(256 * 1024);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) % 256;
    const res = await fetch(`${p.url}/fn/echo/a/b?q=1%202`, { method: 'PUT', body: bytes, headers: { 'x-custom': 'yes' } });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-method'), 'PUT');
    assert.equal(res.headers.get('x-path'), '/a/b');
    assert.equal(res.headers.get('x-q'), '1 2');
    assert.equal(res.headers.get('x-h'), 'yes');
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes);
  });

  it('waitUntil work keeps its slot busy after the response is sent, until its deadline', async () => {
    // Work that never settles: the slot is busy for certain when looked at, and freed by the deadline.
    await p.deploy(
      'bg',
      `export default { fetch(req: Request, env: unknown, ctx: { waitUntil(p: Promise<unknown>): void }) {
        ctx.waitUntil(new Promise(() => {}));
        return new Response('answered');
      } }`,
      { concurrency: 1, targetConcurrency: 1, maxInstances: 1, timeoutMs: 1500 },
    );
    assert.equal(await (await fetch(`${p.url}/fn/bg/`)).text(), 'answered');
    const inFlight = async () =>
      ((await (await p.api('/api/v1/functions/bg')).json()) as { pools: Array<{ inFlight: number }> }).pools.reduce((n, x) => n + x.inFlight, 0);
    assert.equal(await inFlight(), 1);
    await eventually(async () => (await inFlight()) === 0, 15_000);
  });

  it('what waitUntil work logs after the response, its rejection and a deadline stop are in the record', async () => {
    await p.deploy(
      'bg-logs',
      `export default { fetch(req: Request, env: unknown, ctx: { waitUntil(p: Promise<unknown>): void }) {
        console.log('before the response');
        ctx.waitUntil(new Promise((r) => setTimeout(() => { console.log('after the response'); r(1); }, 100)));
        ctx.waitUntil(new Promise((_, reject) => setTimeout(() => reject(new Error('late failure')), 150)));
        if (new URL(req.url).searchParams.has('hang')) ctx.waitUntil(new Promise(() => {}));
        return new Response('answered');
      } }`,
      { timeoutMs: 1000 },
    );
    type Rec = { status: string; logs: Array<{ level: string; msg: string }> };
    const recordOf = async (res: Response, done: (r: Rec) => boolean) => {
      assert.equal(await res.text(), 'answered');
      const id = res.headers.get('x-nimbus-invocation-id') ?? '';
      // The record is there at once (read from memory); its logs grow until the background work settles.
      const first = (await (await p.api(`/api/v1/invocations/${id}`)).json()) as Rec;
      assert.equal(first.logs[0]?.msg, 'before the response');
      return invocationRecord<Rec>(p, id, { ms: 5000, until: done });
    };
    const errorLine = (re: RegExp) => (r: Rec) => r.logs.some((l) => l.level === 'error' && re.test(l.msg));
    const settled = await recordOf(await fetch(`${p.url}/fn/bg-logs/`), errorLine(/late failure/));
    assert.equal(settled.status, 'success');
    assert.deepEqual(settled.logs.slice(0, 2).map((l) => l.msg), ['before the response', 'after the response']);
    assert.ok(settled.logs.some((l) => l.level === 'error' && /late failure/.test(l.msg)), JSON.stringify(settled.logs));
    const stopped = await recordOf(await fetch(`${p.url}/fn/bg-logs/?hang`), errorLine(/still running at the deadline/));
    assert.ok(stopped.logs.some((l) => l.level === 'error' && /still running at the deadline/.test(l.msg)), JSON.stringify(stopped.logs));
  });

  it('lists, describes and records, with --json for scripts', async () => {
    const ls = await cli(p, ['ls', '--json']);
    assert.equal(ls.code, 0, ls.stderr);
    const names = (JSON.parse(ls.stdout) as Array<{ name: string }>).map((f) => f.name);
    assert.deepEqual(names, ['bg', 'bg-logs', 'echo', 'hello', 'hono-app', 'json-api']);
    const human = await cli(p, ['ls']);
    assert.match(human.stdout, /NAME\s+VERSION/);
    // a local CLI needs no NIMBUS_URL: the running platform wrote its URL into the data directory
    const found = await cli(null, ['ls', '--json'], { NIMBUS_URL: '', NIMBUS_PORT: '', NIMBUS_DATA: p.dataDir });
    assert.equal(found.code, 0, found.stderr);
    assert.equal((JSON.parse(found.stdout) as unknown[]).length, names.length);

    const info = await cli(p, ['info', 'hello', '--json']);
    const detail = JSON.parse(info.stdout);
    assert.equal(detail.currentVersion, 2);
    assert.equal(detail.versions.length, 2);
    assert.deepEqual(detail.current.exports, { fetch: true, handler: false });

    const res = await fetch(`${p.url}/fn/hello/records`);
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    const record = await invocationRecord(p, id);
    assert.equal(record.functionName, 'hello');
    assert.equal(record.version, 2);
    assert.equal(record.trigger, 'http');
    assert.equal(record.status, 'success');
    assert.equal(record.statusCode, 200);
    assert.ok((record.billedMs as number) >= 1);
    assert.deepEqual((record.logs as Array<{ msg: string }>).map((l) => l.msg), ['greeting records']);

    const list = await cli(p, ['invocations', 'hello', '--json']);
    const items = JSON.parse(list.stdout) as Array<{ id: string; coldStart: boolean }>;
    assert.equal(items[0].id, id);
    // The first call after a deploy started an instance: it says so.
    assert.ok(items.some((r) => r.coldStart));
    const show = await cli(p, ['show', id]);
    assert.match(show.stdout, /greeting records/);
  });

  it('removes a function; calling it afterwards is a 404 problem', async () => {
    const rm = await cli(p, ['rm', 'echo']);
    assert.equal(rm.code, 0, rm.stderr);
    const res = await fetch(`${p.url}/fn/echo/`);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), 'application/problem+json');
    assert.equal(((await res.json()) as { code: string }).code, 'NIMBUS_ERR_FUNCTION_NOT_FOUND');
    const again = await cli(p, ['rm', 'echo']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /does not exist/);
    // nothing ran, so there is no record to point at
    const invoked = await cli(p, ['invoke', 'echo']);
    assert.equal(invoked.code, 1);
    assert.match(invoked.stderr, /does not exist.*NIMBUS_ERR_FUNCTION_NOT_FOUND/);
    assert.doesNotMatch(invoked.stderr, /nimbus show/);
  });

  it('a syntax error rejects the deploy with the compiler message, file and line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-bad-'));
    writeFileSync(join(dir, 'index.ts'), 'export default {\n  fetch() { return new Response("x") \n  }}}\n');
    const out = await cli(p, ['deploy', 'broken', dir]);
    assert.notEqual(out.code, 0);
    assert.match(out.stderr, /index\.ts:3:\d+/);
    // The server-side bundler says the same over the API.
    const res = await p.api('/api/v1/functions/broken', {
      method: 'PUT',
      body: JSON.stringify({ source: { files: { 'index.ts': 'export default {\n fetch( {\n}' }, entry: 'index.ts' } }),
    });
    assert.equal(res.status, 400);
    const problem = (await res.json()) as { code: string; errors: Array<{ file: string; line: number; text: string }> };
    assert.equal(problem.code, 'NIMBUS_ERR_BUILD_FAILED');
    assert.equal(problem.errors[0].file, 'index.ts');
    assert.equal(typeof problem.errors[0].line, 'number');
    assert.equal((await p.api('/api/v1/functions/broken')).status, 404);
  });

  it('a module without fetch or handler is refused', async () => {
    await assert.rejects(p.deploy('empty', 'export const x = 1;'), (e: { problem: { code: string } }) => e.problem.code === 'NIMBUS_ERR_INVALID_FUNCTION');
  });

  it('a module whose top level throws is refused at deploy (400, not retryable) with the source line', async () => {
    const res = await p.api('/api/v1/functions/init-throws', {
      method: 'PUT',
      body: JSON.stringify({ source: { files: { 'index.ts': "const ready: boolean = false;\nif (!ready) throw new Error('boom at init');\nexport const handler = () => 1;\n" }, entry: 'index.ts' } }),
    });
    assert.equal(res.status, 400);
    const problem = (await res.json()) as { code: string; retryable: boolean; detail: string };
    assert.equal(problem.code, 'NIMBUS_ERR_INVALID_FUNCTION');
    assert.equal(problem.retryable, false);
    assert.match(problem.detail, /threw while initialising at line \d+:\d+ of the bundle \(index\.ts: `if \(!ready\) throw new Error\("boom at init"\);`\): Error: boom at init \(index\.ts:2:19\)$/);
    assert.deepEqual((problem as unknown as { source: unknown }).source, { file: 'index.ts', line: 2, column: 19 }, 'the position in the source, from the map');
    assert.equal((await p.api('/api/v1/functions/init-throws')).status, 404);
  });

  it('concurrent deploys of one function get distinct consecutive versions', async () => {
    const outs = await Promise.all([1, 2, 3, 4, 5].map((n) => p.deploy('racer', `export default { fetch() { return new Response('${n}') } }`)));
    const versions = outs.map((o) => (o.version as { version: number }).version).sort();
    assert.deepEqual(versions, [1, 2, 3, 4, 5]);
    const info = (await (await p.api('/api/v1/functions/racer')).json()) as { currentVersion: number };
    assert.equal(info.currentVersion, 5);
    // The highest version serves.
    const served = await (await fetch(`${p.url}/fn/racer/`)).text();
    const v5 = outs.findIndex((o) => (o.version as { version: number }).version === 5);
    assert.equal(served, String(v5 + 1));
  });
});
