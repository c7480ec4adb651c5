/**
 * The network of apps (docs/apps.md, Network): where bubblewrap can make a network
 * namespace, an app has only its own loopback; the platform reaches it through its
 * connector, and its outbound HTTP(S) goes through the platform's egress proxy under the
 * isolates' rules. Escape tests: the host's loopback services (the control API,
 * PostgreSQL), the metadata address and private addresses stay out of reach, directly and
 * through the proxy; an address the operator allows (--egress-allow) is reachable.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const FIXTURES = join(ROOT, 'test/e2e/fixtures/apps');
const PYTHON = spawnSync('/usr/bin/python3', ['-c', '']).status === 0 ? false : 'needs /usr/bin/python3';
const NETNS = spawnSync('bwrap', ['--unshare-user', '--unshare-pid', '--unshare-net', '--ro-bind', '/', '/', 'true']).status === 0 ? false : 'needs bubblewrap able to make a network namespace (--unshare-net)';

/** A node function that tries to get out: fetch (the platform's, under the rules) and a plain socket. */
const NODE_SOURCE = `
import { connect } from 'node:net';
export default {
  async fetch(request: Request) {
    const q = new URL(request.url).searchParams;
    if (q.has('url')) {
      try {
        const r = await fetch(q.get('url')!);
        return Response.json({ status: r.status, body: await r.text() });
      } catch (e: any) {
        return Response.json({ error: e.name, message: String(e.cause?.message ?? e.message) });
      }
    }
    const connected = await new Promise((resolve) => {
      const s = connect({ host: q.get('host')!, port: Number(q.get('port')) });
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', (e: any) => resolve(e.code));
    });
    return Response.json({ connected });
  },
};
`;

/** A loopback server the operator allows (127.0.0.2: loopback on Linux, and not the platform's 127.0.0.1). */
const ALLOWED_HOST = '127.0.0.2';

describe('the network of apps in a namespace', { skip: PYTHON || NETNS }, () => {
  let p: RunningPlatform;
  let allowed: Server;
  let allowedPort = 0;
  let platformPort = 0;
  const seen: string[] = [];

  before(async () => {
    allowed = createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.end('hello from the allowed server');
    });
    await new Promise<void>((resolve) => allowed.listen(0, ALLOWED_HOST, resolve));
    allowedPort = (allowed.address() as { port: number }).port;
    p = await startPlatform({ args: ['--egress-allow', ALLOWED_HOST] });
    platformPort = Number(new URL(p.url).port);
    const deployed = await cli(p, ['deploy', 'out', join(FIXTURES, 'py-egress'), '--runtime', 'app', '--cmd', 'python3 app.py']);
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    allowed.close();
  });

  const ask = async (path: string): Promise<Record<string, unknown>> => {
    const res = await fetch(`${p.url}/fn/out${path}`);
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return JSON.parse(text) as Record<string, unknown>;
  };

  it('is the default: GET /api/v1/runtimes and nimbus up say network "namespace", and the app serves requests with HTTP_PROXY set', async () => {
    const { items } = (await (await p.api('/api/v1/runtimes')).json()) as { items: Array<{ kind: string; isolation?: { network: string; hostNetworkAllowed: boolean } }> };
    const app = items.find((r) => r.kind === 'app')?.isolation;
    assert.equal(app?.network, 'namespace');
    assert.equal(app?.hostNetworkAllowed, false);
    assert.match(p.output(), /apps: .*network namespace/);
    const answer = await ask('/');
    assert.equal(answer.ok, true);
    assert.match(String(answer.proxy), /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("cannot open a socket to the host's loopback services: the control API, PostgreSQL", async () => {
    for (const port of [platformPort, 5432]) {
      const answer = await ask(`/tcp?host=127.0.0.1&port=${port}`);
      assert.deepEqual(answer, { connected: false, error: 'ConnectionRefusedError' }, `port ${port}`);
    }
    // Nor past its loopback: there is no route out of the namespace.
    const out = await ask('/tcp?host=10.0.0.1&port=80');
    assert.equal(out.connected, false);
  });

  it('the proxy refuses the control API, the metadata address and private addresses (403, saying why)', async () => {
    for (const url of [`http://127.0.0.1:${platformPort}/api/v1/functions`, 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.1/', `http://localhost:${platformPort}/`]) {
      const answer = await ask(`/http?url=${encodeURIComponent(url)}`);
      assert.equal(answer.status, 403, `${url}: ${JSON.stringify(answer)}`);
      assert.match(String(answer.body), /may not reach/);
    }
    for (const [host, port] of [['127.0.0.1', 5432], ['127.0.0.1', platformPort], ['169.254.169.254', 443]] as const) {
      const answer = await ask(`/tunnel?host=${host}&port=${port}`);
      assert.match(String(answer.message), /403/, `CONNECT ${host}:${port}: ${JSON.stringify(answer)}`);
    }
  });

  it("the app holds no socket of the platform's: the connector's IPC channel is not passed on", async () => {
    const fds = await ask('/fds');
    assert.ok(Object.keys(fds).length >= 3, JSON.stringify(fds));
    // 0 is /dev/null, 1 and 2 the platform's stdout and stderr pipes (socket pairs); nothing else may be a socket.
    for (const [fd, target] of Object.entries(fds)) if (Number(fd) > 2) assert.doesNotMatch(String(target), /^socket:/, `fd ${fd} is a socket at start: ${String(target)}`);
  });

  it("the platform's event endpoint stays reachable through the proxy (NIMBUS_EVENTS_URL, with its publish token)", async () => {
    const created = await p.api('/api/v1/topics', { method: 'POST', body: JSON.stringify({ name: 'netns-test' }) });
    assert.ok(created.ok, await created.text());
    const answer = await ask('/publish?topic=netns-test');
    assert.ok(Number(answer.status) >= 200 && Number(answer.status) < 300, JSON.stringify(answer));
  });

  it('an address the operator allows is reachable through the proxy, by absolute URL and by CONNECT', async () => {
    const direct = await ask(`/http?url=${encodeURIComponent(`http://${ALLOWED_HOST}:${allowedPort}/via-proxy`)}`);
    assert.deepEqual(direct, { status: 200, body: 'hello from the allowed server' });
    const tunnelled = await ask(`/tunnel?host=${ALLOWED_HOST}&port=${allowedPort}`);
    assert.deepEqual(tunnelled, { status: 200, body: 'hello from the allowed server' });
    assert.deepEqual(seen, ['GET /via-proxy', 'GET /']);
  });
});

describe('node functions in a network namespace', { skip: NETNS }, () => {
  let p: RunningPlatform;
  let allowed: Server;
  let allowedPort = 0;
  let dir = '';
  before(async () => {
    allowed = createServer((_req, res) => res.end('allowed'));
    await new Promise<void>((resolve) => allowed.listen(0, ALLOWED_HOST, resolve));
    allowedPort = (allowed.address() as { port: number }).port;
    p = await startPlatform({ args: ['--egress-allow', ALLOWED_HOST] });
    dir = mkdtempSync(join(tmpdir(), 'nimbus-netns-'));
    writeFileSync(join(dir, 'index.ts'), NODE_SOURCE);
    const node = await cli(p, ['deploy', 'nodeout', join(dir, 'index.ts'), '--runtime', 'node']);
    assert.equal(node.code, 0, node.stderr + node.stdout);
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    allowed.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const ask = async (query: string) => (await (await fetch(`${p.url}/fn/nodeout/?${query}`)).json()) as Record<string, unknown>;

  it("fetch is the platform's: the control API and the metadata address are refused, an allowed address answers", async () => {
    const port = new URL(p.url).port;
    for (const url of [`http://127.0.0.1:${port}/api/v1/functions`, 'http://169.254.169.254/']) {
      const answer = await ask(`url=${encodeURIComponent(url)}`);
      assert.equal(answer.error, 'TypeError', JSON.stringify(answer));
      assert.match(String(answer.message), /may not reach/);
    }
    assert.deepEqual(await ask(`url=${encodeURIComponent(`http://${ALLOWED_HOST}:${allowedPort}/`)}`), { status: 200, body: 'allowed' });
  });

  it("a plain socket reaches none of the host's loopback services", async () => {
    for (const port of [new URL(p.url).port, '5432']) assert.deepEqual(await ask(`host=127.0.0.1&port=${port}`), { connected: 'ECONNREFUSED' });
  });
});
