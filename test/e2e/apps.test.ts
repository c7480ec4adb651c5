/**
 * Apps (runtime "app"): any HTTP server command deployed from a directory, run as a
 * sandboxed process, reached over /fn, from events and from workflows; its faults.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cli, eventually, ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const FIXTURES = join(ROOT, 'test/e2e/fixtures/apps');

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('apps, end to end', () => {
  let p: RunningPlatform;
  before(async () => {
    p = await startPlatform();
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  it('a Python app deployed from its directory answers over /fn with its own path and the prefix header', async () => {
    const deployed = await cli(p, ['deploy', 'py', join(FIXTURES, 'py-hello'), '--runtime', 'app', '--cmd', 'python3 app.py', '--env', 'GREETING=hello']);
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
    const res = await fetch(`${p.url}/fn/py/some/path?x=1`);
    const body = await json(res);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body, { lang: 'python', path: '/some/path?x=1', prefix: '/fn/py', greeting: 'hello' });
    assert.ok(res.headers.get('x-nimbus-invocation-id'));
    const post = await fetch(`${p.url}/fn/py/echo`, { method: 'POST', body: JSON.stringify({ a: 1 }) });
    assert.deepEqual(await json(post), { got: { a: 1 }, path: '/echo' });
  });

  it("the app's stdout is in the logs of the request that printed it", async () => {
    const res = await fetch(`${p.url}/fn/py/logged`);
    await res.arrayBuffer();
    const id = res.headers.get('x-nimbus-invocation-id') ?? '';
    const record = await eventually(async () => {
      const r = await p.api(`/api/v1/invocations/${id}`);
      return r.ok ? json(r) : null;
    });
    assert.deepEqual((record.logs as Array<{ msg: string }>).map((l) => l.msg), ['python saw GET /logged']);
  });

  it('a Node http app declared in nimbus.json answers, and an async invocation reaches it as a JSON POST', async () => {
    const deployed = await cli(p, ['deploy', 'nodeapp', join(FIXTURES, 'node-hello')]);
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
    const res = await fetch(`${p.url}/fn/nodeapp/hi`);
    const body = await json(res);
    assert.equal(body.lang, 'node');
    assert.equal(body.url, '/hi');
    const sync = await p.api('/api/v1/functions/nodeapp/invoke', { method: 'POST', body: JSON.stringify({ order: 7 }) });
    const value = await json(sync);
    assert.equal(sync.status, 200, JSON.stringify(value));
    assert.equal(value.method, 'POST');
    assert.equal(value.url, '/');
    assert.deepEqual(JSON.parse(value.body as string), { order: 7 });
  });

  it('GET /api/v1/runtimes says what the host enforces on apps', async () => {
    const { items } = (await json(await p.api('/api/v1/runtimes'))) as { items: Array<{ kind: string; isolation?: Record<string, unknown> }> };
    assert.deepEqual(items.map((r) => r.kind), ['isolate', 'app']);
    const iso = items[1].isolation ?? {};
    assert.ok(['bubblewrap', 'none'].includes(iso.sandbox as string));
    assert.equal(iso.network, 'host');
  });
});
