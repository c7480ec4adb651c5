/**
 * Apps (runtime "app"): any HTTP server command deployed from a directory, run as a
 * sandboxed process, reached over /fn, from events and from workflows; its faults.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultAppsDir } from '../../src/runtime/process/app-archive.ts';
import { cli, eventually, invocationRecord, ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const FIXTURES = join(ROOT, 'test/e2e/fixtures/apps');
/** The Python apps need python3 in /usr/bin (what the sandbox shows); the suites that use them skip, saying so, without it. */
const PYTHON = spawnSync('/usr/bin/python3', ['-c', '']).status === 0 ? false : 'needs /usr/bin/python3';
/** Where bubblewrap can make a network namespace apps get one (test/e2e/app-network.test.ts); elsewhere the host network needs the operator's word. */
const NO_NETNS = spawnSync('bwrap', ['--unshare-user', '--unshare-pid', '--unshare-net', '--ro-bind', '/', '/', 'true']).status === 0 ? 'this host gives apps a network namespace (test/e2e/app-network.test.ts)' : false;

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

/** Deploys an app from files given here (through the API, as the CLI sends a directory). */
export async function deployApp(p: RunningPlatform, name: string, files: Record<string, string>, app: Record<string, unknown>, config: Record<string, unknown> = {}) {
  const encoded = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  const res = await p.api(`/api/v1/functions/${name}`, { method: 'PUT', body: JSON.stringify({ source: { app: { files: encoded } }, config: { ...config, runtime: 'app', app } }) });
  const body = await json(res);
  if (!res.ok) throw new Error(`deploy ${name}: ${JSON.stringify(body)}`);
  return body;
}

const recordOf = (p: RunningPlatform, id: string) => invocationRecord(p, id);

/** A file's text, or '' (a process gone meanwhile). */
function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

describe('apps, end to end', { skip: PYTHON }, () => {
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
    const record = await invocationRecord(p, id);
    assert.deepEqual((record.logs as Array<{ msg: string }>).map((l) => l.msg), ['python saw GET /logged']);
  });

  it("an app's invocation records the CPU its processes used for it, not the time it waited", async () => {
    const server = [
      "import http from 'node:http';",
      'http.createServer((req, res) => {',
      '  req.resume();',
      // 80 ms of its own CPU time, however busy the machine is
      "  if (req.url === '/burn') { const from = process.cpuUsage(); let x = 0; for (;;) { x++; const u = process.cpuUsage(from); if (u.user + u.system >= 80_000) break; } res.end(String(x)); }",
      "  else setTimeout(() => res.end('slept'), 80);",
      '}).listen(Number(process.env.PORT), process.env.HOST);',
    ].join('\n');
    await deployApp(p, 'cpuapp', { 'server.mjs': server }, { command: 'node server.mjs' }, { concurrency: 1 });
    const cpuOf = async (path: string) => {
      const res = await fetch(`${p.url}/fn/cpuapp${path}`);
      assert.equal(res.status, 200, await res.text());
      return (await recordOf(p, res.headers.get('x-nimbus-invocation-id') ?? '')).cpuMs as number;
    };
    await cpuOf('/sleep');
    const burnt = await cpuOf('/burn');
    const slept = await cpuOf('/sleep');
    assert.ok(burnt >= 60, `a call that computed for 80 ms of CPU recorded ${burnt} ms`);
    assert.ok(slept < 40, `a call that waited 80 ms recorded ${slept} ms of CPU (the computing one ${burnt})`);
  });

  it("a client that goes away before the app answers closes the app's connection and ends the invocation as NIMBUS_ERR_CLIENT_CLOSED", async () => {
    const server = [
      "import http from 'node:http';",
      "let state = 'none';",
      'http.createServer((req, res) => {',
      '  req.resume();',
      "  if (req.url === '/state') return res.end(state);",
      "  state = 'waiting';",
      "  const answer = setTimeout(() => { state = 'answered'; res.end('late'); }, 5000);",
      "  res.on('close', () => { if (!res.writableEnded) { clearTimeout(answer); state = 'closed by the platform'; } });",
      '}).listen(Number(process.env.PORT), process.env.HOST);',
    ].join('\n');
    await deployApp(p, 'slowapp', { 'server.mjs': server }, { command: 'node server.mjs' }, { concurrency: 8, maxInstances: 1 });
    assert.equal(await (await fetch(`${p.url}/fn/slowapp/state`)).text(), 'none');
    const gone = new AbortController();
    const pending = fetch(`${p.url}/fn/slowapp/slow`, { signal: gone.signal }).catch(() => null);
    await eventually(async () => (await (await fetch(`${p.url}/fn/slowapp/state`)).text()) === 'waiting', 5000);
    gone.abort();
    await pending;
    await eventually(async () => (await (await fetch(`${p.url}/fn/slowapp/state`)).text()) === 'closed by the platform', 4000);
    const list = async () => ((await (await p.api('/api/v1/invocations?function=slowapp&limit=20')).json()) as { items: Array<{ triggerSource: string; errorCode: string | null }> }).items;
    await eventually(async () => (await list()).some((r) => r.triggerSource === 'GET /fn/slowapp/slow' && r.errorCode === 'NIMBUS_ERR_CLIENT_CLOSED'), 5000);
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

  it('an async invocation and a workflow Task reach an app as a JSON POST to its event path', async () => {
    await cli(p, ['deploy', 'pyev', join(FIXTURES, 'py-hello'), '--runtime', 'app', '--cmd', 'python3 app.py', '--event-path', '/events']);
    const submitted = await p.api('/api/v1/functions/pyev/invoke', { method: 'POST', headers: { prefer: 'respond-async' }, body: JSON.stringify({ job: 1 }) });
    assert.equal(submitted.status, 202);
    const { invocationId } = (await submitted.json()) as { invocationId: string };
    const status = await eventually(async () => {
      const s = await json(await p.api(`/api/v1/async/${invocationId}`));
      return s.state === 'succeeded' ? s : null;
    }, 20_000);
    assert.equal(status.state, 'succeeded');
    const record = await recordOf(p, invocationId);
    assert.deepEqual((record.logs as Array<{ msg: string }>).map((l) => l.msg), ['python saw POST /events {"job":1}']);

    const definition = { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: 'fn:pyev', ResultPath: '$.app', End: true } } };
    assert.equal((await p.api('/api/v1/workflows/appflow', { method: 'PUT', body: JSON.stringify({ definition }) })).status < 300, true);
    const run = await p.api('/api/v1/workflows/appflow/run', { method: 'POST', body: JSON.stringify({ input: { n: 3 } }) });
    const result = await json(run);
    assert.deepEqual(result.output, { n: 3, app: { got: { n: 3 }, path: '/events' } });
  });

  it('GET /api/v1/runtimes says what the host enforces on apps', async () => {
    const { items } = (await json(await p.api('/api/v1/runtimes'))) as { items: Array<{ kind: string; isolation?: Record<string, unknown> }> };
    assert.deepEqual(items.map((r) => r.kind), ['isolate', 'node', 'app']);
    const iso = items[2].isolation ?? {};
    assert.ok(['bubblewrap', 'none'].includes(iso.sandbox as string));
    // A network namespace where bubblewrap can make one (this suite runs without --app-host-network).
    assert.equal(iso.network, NO_NETNS ? 'namespace' : 'host');
  });

  it('a start slower than the timeout does not fail the request waiting for it; a request past the timeout gets NIMBUS_ERR_TIMEOUT and the instance serves on', async () => {
    // the app listens 1.5 s after it starts: three times its timeout, well inside its start timeout
    await cli(p, ['deploy', 'slow', join(FIXTURES, 'node-hello'), '--timeout', '500ms', '--env', 'LISTEN_AFTER_MS=1500']);
    const first = await fetch(`${p.url}/fn/slow/slow?ms=1`);
    assert.equal(first.status, 200, await first.clone().text());
    assert.deepEqual(await json(first), { slow: true });
    const rec = await invocationRecord<Record<string, unknown>>(p, first.headers.get('x-nimbus-invocation-id') ?? '');
    assert.equal(rec.coldStart, true);
    const res = await fetch(`${p.url}/fn/slow/slow?ms=5000`);
    assert.equal(res.status, 504);
    assert.equal((await json(res)).code, 'NIMBUS_ERR_TIMEOUT');
    const ok = await fetch(`${p.url}/fn/slow/slow?ms=1`);
    assert.deepEqual(await json(ok), { slow: true });
  });

  it('an app that crashes fails the requests in flight with NIMBUS_ERR_INSTANCE_CRASHED and is replaced', async () => {
    await cli(p, ['deploy', 'crashy', join(FIXTURES, 'node-hello'), '--concurrency', '4', '--max', '1']);
    const first = (await json(await fetch(`${p.url}/fn/crashy/a`))).pid;
    const slow = fetch(`${p.url}/fn/crashy/slow?ms=10000`);
    // The slow request is in flight on the one instance when another request makes it exit.
    await eventually(async () => {
      const info = await json(await p.api('/api/v1/functions/crashy'));
      return ((info.pools as Array<{ inFlight: number }>)[0]?.inFlight ?? 0) >= 1;
    });
    const crash = await fetch(`${p.url}/fn/crashy/crash`);
    assert.equal((await json(crash)).code, 'NIMBUS_ERR_INSTANCE_CRASHED');
    const inFlight = await slow;
    assert.equal(inFlight.status, 502);
    assert.equal((await json(inFlight)).code, 'NIMBUS_ERR_INSTANCE_CRASHED');
    const after = await json(await fetch(`${p.url}/fn/crashy/b`));
    assert.equal(after.lang, 'node');
    assert.ok(first !== undefined);
  });

  it('an app that never listens fails its start with NIMBUS_ERR_FUNCTION_INIT and the last lines it printed', async () => {
    await deployApp(p, 'deaf', { 'main.py': 'import time\nprint("warming the cache", flush=True)\ntime.sleep(60)\n' }, { command: 'python3 main.py', startTimeoutMs: 1000 });
    const res = await fetch(`${p.url}/fn/deaf/`);
    const problem = await json(res);
    assert.equal(problem.code, 'NIMBUS_ERR_FUNCTION_INIT');
    assert.match(problem.detail as string, /did not listen on PORT .* within 1000 ms; its last output:\nwarming the cache/);
    await deployApp(p, 'broken', { 'main.py': 'import nosuchmodule\n' }, { command: 'python3 main.py' });
    const broken = await json(await fetch(`${p.url}/fn/broken/`));
    assert.equal(broken.code, 'NIMBUS_ERR_FUNCTION_INIT');
    assert.match(broken.detail as string, /exited before it listened .*ModuleNotFoundError: No module named 'nosuchmodule'/s);
  });

  it('an app that leaks past its memory limit is killed: NIMBUS_ERR_MEMORY_LIMIT, and the next request gets a new instance', async (t) => {
    const { items } = (await json(await p.api('/api/v1/runtimes'))) as { items: Array<{ kind: string; isolation?: { memoryLimit: string } }> };
    const app = items.find((r) => r.kind === 'app');
    if (!app?.isolation?.memoryLimit.startsWith('cgroup')) return t.skip('needs a writable cgroup memory controller (this host: ' + app?.isolation?.memoryLimit + ')');
    const leak = [
      'import os',
      'from http.server import BaseHTTPRequestHandler, HTTPServer',
      'class H(BaseHTTPRequestHandler):',
      '    def do_GET(self):',
      '        if self.path == "/leak":',
      '            hog = []',
      '            while True: hog.append(bytearray(1024 * 1024))',
      '        self.send_response(200); self.send_header("content-length", "2"); self.end_headers(); self.wfile.write(b"ok")',
      'HTTPServer((os.environ["HOST"], int(os.environ["PORT"])), H).serve_forever()',
    ].join('\n');
    await deployApp(p, 'leaky', { 'app.py': leak }, { command: 'python3 app.py' }, { memoryMb: 64 });
    const res = await fetch(`${p.url}/fn/leaky/leak`);
    const problem = await json(res);
    assert.equal(problem.code, 'NIMBUS_ERR_MEMORY_LIMIT');
    assert.equal(await (await fetch(`${p.url}/fn/leaky/`)).text(), 'ok');
    const record = await recordOf(p, problem.invocationId as string);
    assert.equal(record.status, 'memory_limit');
  });

  it("a deleted app's unpacked files are removed once its instances have stopped; files another app shares stay", async () => {
    const apps = defaultAppsDir(p.dataDir);
    const unpacked = () => new Set(readdirSync(apps).filter((d) => !d.startsWith('.')));
    const before = unpacked();
    await deployApp(p, 'gone', { 'app.py': 'import os, http.server\nhttp.server.HTTPServer((os.environ["HOST"], int(os.environ["PORT"])), http.server.SimpleHTTPRequestHandler).serve_forever()\n' }, { command: 'python3 app.py' });
    assert.equal((await fetch(`${p.url}/fn/gone/app.py`)).status, 200);
    const added = [...unpacked()].filter((d) => !before.has(d));
    assert.equal(added.length, 1, 'one directory unpacked for the new app');
    // py and pyev (deployed above) share one directory: deleting pyev keeps it for py
    const shared = [...before];
    assert.equal((await p.api('/api/v1/functions/gone', { method: 'DELETE' })).status, 204);
    assert.equal((await p.api('/api/v1/functions/pyev', { method: 'DELETE' })).status, 204);
    await eventually(async () => !existsSync(join(apps, added[0])), 15_000);
    for (const d of shared) assert.ok(existsSync(join(apps, d)), `${d} is still used`);
    assert.equal((await json(await fetch(`${p.url}/fn/py/x`))).lang, 'python');
  });

  it("an app's processes weigh as one with the CPU scheduler: one that makes its own session stays in the instance's cpu cgroup", async (t) => {
    const { items } = (await json(await p.api('/api/v1/runtimes'))) as { items: Array<{ kind: string; isolation?: { memoryLimit: string } }> };
    const app = items.find((r) => r.kind === 'app');
    // Elsewhere each session is a scheduling group of its own (autogroup), as heavy as the platform's: many spinning sessions starve it.
    if (app?.isolation?.memoryLimit !== 'cgroup-v1' || !existsSync('/sys/fs/cgroup/cpu/cpu.shares')) return t.skip('needs cgroup v1 with the cpu controller (this host: ' + app?.isolation?.memoryLimit + ')');
    const marker = `${600 + Math.floor(Math.random() * 1000)}.${process.pid}`;
    const server = [
      "import http from 'node:http';",
      "import { spawn } from 'node:child_process';",
      'http.createServer((req, res) => {',
      "  spawn('setsid', ['sleep', process.env.MARKER], { detached: true, stdio: 'ignore' }).unref();",
      "  res.end('started');",
      '}).listen(Number(process.env.PORT), process.env.HOST);',
    ].join('\n');
    await deployApp(p, 'sessions', { 'server.mjs': server }, { command: 'node server.mjs' }, { env: { MARKER: marker } });
    assert.equal(await (await fetch(`${p.url}/fn/sessions/`)).text(), 'started');
    const pid = await eventually(async () => readdirSync('/proc').find((n) => /^\d+$/.test(n) && readOr(`/proc/${n}/cmdline`) === `sleep\0${marker}\0`));
    const cpuLine = readOr(`/proc/${pid}/cgroup`).split('\n').find((l) => /^\d+:([^:]*,)?cpu(,[^:]*)?:/.test(l)) ?? '';
    assert.match(cpuLine, /:\/nimbus-\d+\/[^/]+$/, `the session's cpu cgroup: ${cpuLine}`);
    assert.equal((await p.api('/api/v1/functions/sessions', { method: 'DELETE' })).status, 204);
    // it goes with its instance, its own session notwithstanding
    await eventually(async () => readOr(`/proc/${pid}/cmdline`) !== `sleep\0${marker}\0`, 15_000);
  });
});

/** Processes on this host whose command line contains `marker`. */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) found.push(Number(pid));
    } catch {
      /* gone */
    }
  }
  return found;
}

describe('app processes and the platform', () => {
  it('a load that needs several instances starts several, bounded by max, and idle returns to zero', async () => {
    // Short scaling windows, so the scale to zero is seconds away.
    const p = await startPlatform({ args: ['--scale-window', '2s', '--scale-panic-window', '1s'] });
    try {
    await cli(p, ['deploy', 'scaled', join(FIXTURES, 'node-hello'), '--concurrency', '1', '--target', '1', '--max', '3', '--idle', '1s', '--scale-down-delay', '0s']);
    const burst = await Promise.all(Array.from({ length: 6 }, () => fetch(`${p.url}/fn/scaled/slow?ms=600`).then((r) => r.status)));
    assert.deepEqual(burst, [200, 200, 200, 200, 200, 200]);
    const info = await json(await p.api('/api/v1/functions/scaled'));
    const ready = (info.pools as Array<{ ready: number }>)[0].ready;
    assert.ok(ready >= 2 && ready <= 3, `instances: ${ready}`);
    await eventually(async () => {
      const now = await json(await p.api('/api/v1/functions/scaled'));
      return (now.pools as Array<{ ready: number }>).every((pool) => pool.ready === 0);
    }, 30_000);
      // The instances' up time is metered (memory x seconds, idle included) apart from the requests.
      const usage = await eventually(async () => {
        const u = await json(await p.api('/api/v1/usage?since=1h&function=scaled'));
        const total = u.total as { requests: number; instanceGbSeconds: number };
        return total.instanceGbSeconds > 0 ? total : null;
      }, 10_000);
      assert.equal(usage.requests, 6);
      // Each instance was up at least for the 600 ms it served, at 128 MB.
      assert.ok(usage.instanceGbSeconds >= (ready * 0.6 * 128) / 1024, String(usage.instanceGbSeconds));
      const shown = await cli(p, ['usage', '--since', '1h']);
      assert.match(shown.stdout, /INSTANCE GB-S/);
    } finally {
      await p.stop();
      p.cleanup();
    }
  });
  it('after kill -9 of the platform no app process remains, and a restart on the same data finds none', async () => {
    const p = await startPlatform();
    try {
      const marker = `marker-${process.pid}-${Date.now()}`;
      const deployed = await cli(p, ['deploy', 'orphan', join(FIXTURES, 'node-hello'), '--runtime', 'app', '--cmd', `node server.js ${marker}`, '--min', '2']);
      assert.equal(deployed.code, 0, deployed.stderr);
      assert.equal((await json(await fetch(`${p.url}/fn/orphan/`))).lang, 'node');
      await eventually(async () => processesWith(marker).length >= 2);
      await p.kill();
      await eventually(async () => processesWith(marker).length === 0, 10_000);
      // what a version deleted while the platform was down left unpacked: the restart removes it
      const apps = defaultAppsDir(p.dataDir);
      const kept = readdirSync(apps);
      mkdirSync(join(apps, 'f'.repeat(32)));
      const again = await startPlatform({ dataDir: p.dataDir });
      try {
        // min 2 starts two new ones: the same app serves, from fresh processes only.
        assert.equal((await json(await fetch(`${again.url}/fn/orphan/`))).lang, 'node');
        assert.deepEqual(readdirSync(apps).filter((d) => !d.startsWith('.')), kept);
      } finally {
        await again.stop();
      }
      await eventually(async () => processesWith(marker).length === 0, 10_000);
    } finally {
      p.cleanup();
    }
  });

  it('a platform stop (SIGTERM) stops its apps and leaves none running', async () => {
    const p = await startPlatform();
    try {
      const marker = `marker-stop-${process.pid}-${Date.now()}`;
      await cli(p, ['deploy', 'polite', join(FIXTURES, 'node-hello'), '--runtime', 'app', '--cmd', `node server.js ${marker}`]);
      await fetch(`${p.url}/fn/polite/`).then((r) => r.arrayBuffer());
      assert.equal(processesWith(marker).length > 0, true);
      assert.equal(await p.stop(), 0);
      assert.deepEqual(processesWith(marker), []);
    } finally {
      p.cleanup();
    }
  });
});

describe('the app sandbox', { skip: PYTHON }, () => {
  let p: RunningPlatform;
  let sandbox = 'none';
  before(async () => {
    p = await startPlatform({ args: ['--app-host-network'] });
    const { items } = (await json(await p.api('/api/v1/runtimes'))) as { items: Array<{ kind: string; isolation?: { sandbox: string } }> };
    sandbox = items.find((r) => r.kind === 'app')?.isolation?.sandbox ?? 'none';
    await cli(p, ['deploy', 'spy', join(FIXTURES, 'py-hello'), '--runtime', 'app', '--cmd', 'python3 app.py', '--env', 'GREETING=hi']);
    await cli(p, ['deploy', 'other', join(FIXTURES, 'node-hello'), '--env', `PLATFORM_URL=${p.url}`]);
  });
  after(async () => {
    await p.stop();
    p.cleanup();
  });

  async function read(path: string): Promise<Record<string, unknown>> {
    return json(await fetch(`${p.url}/fn/spy/read?${path}`));
  }

  it("an app cannot read the platform's data directory or its token", async (t) => {
    if (sandbox !== 'bubblewrap') return t.skip('needs bubblewrap (apt-get install bubblewrap)');
    assert.equal((await read(join(p.dataDir, 'token'))).error, 'FileNotFoundError');
    // The platform's process is outside the app's pid namespace: not even its /proc entry is there.
    assert.equal((await read(`/proc/${p.proc.pid}/environ`)).error, 'FileNotFoundError');
  });

  it("an app cannot read another app's files", async (t) => {
    if (sandbox !== 'bubblewrap') return t.skip('needs bubblewrap (apt-get install bubblewrap)');
    await fetch(`${p.url}/fn/other/`).then((r) => r.arrayBuffer());
    // The other app is unpacked under the apps directory (in the system temp dir): the sandbox has a private /tmp.
    const apps = defaultAppsDir(p.dataDir);
    const others = readdirSync(apps).filter((dir) => existsSync(join(apps, dir, 'server.js')));
    assert.ok(others.length > 0, 'the other app is unpacked');
    for (const dir of others) assert.equal((await read(join(apps, dir, 'server.js'))).error, 'FileNotFoundError');
    // Its own files are at /app, read-only.
    assert.match(String((await read('/app/app.py')).read), /plain Python 3 HTTP server/);
  });

  it("an app cannot make namespaces of its own: each would count against the platform's user", async (t) => {
    if (sandbox !== 'bubblewrap') return t.skip('needs bubblewrap (apt-get install bubblewrap)');
    if (spawnSync('bwrap', ['--unshare-user', '--disable-userns', '--unshare-pid', '--ro-bind', '/', '/', 'true']).status !== 0) return t.skip('needs bubblewrap 0.8 or later (--disable-userns)');
    if (!existsSync('/usr/bin/unshare')) return t.skip('needs unshare (util-linux) in /usr/bin');
    const server = [
      'import os, subprocess',
      'from http.server import BaseHTTPRequestHandler, HTTPServer',
      'class H(BaseHTTPRequestHandler):',
      '    def do_GET(self):',
      "        r = subprocess.run(['unshare', '-Urn', 'true'], capture_output=True)",
      '        b = str(r.returncode).encode()',
      '        self.send_response(200); self.send_header("content-length", str(len(b))); self.end_headers(); self.wfile.write(b)',
      'HTTPServer((os.environ["HOST"], int(os.environ["PORT"])), H).serve_forever()',
    ].join('\n');
    await deployApp(p, 'nsmaker', { 'app.py': server }, { command: 'python3 app.py' });
    // a user and a network namespace, held by a descriptor, cost the host ~70 KB of memory no cgroup is charged for
    assert.notEqual(await (await fetch(`${p.url}/fn/nsmaker/`)).text(), '0');
  });

  it("an app's environment is what it declared, PORT and HOST: nothing of the host's", async () => {
    const env = await json(await fetch(`${p.url}/fn/spy/env`));
    const names = Object.keys(env).filter((k) => !k.startsWith('NIMBUS_') && !['PATH', 'HOME', 'LANG', 'PWD', 'SHLVL', '_', 'OLDPWD', 'LC_CTYPE'].includes(k)).sort();
    assert.deepEqual(names, ['GREETING', 'HOST', 'PORT']);
    assert.equal(env.HOST, '127.0.0.1');
    for (const [k, v] of Object.entries(process.env)) if (k !== 'PATH' && k !== 'HOME' && k !== 'LANG' && k !== 'PWD' && k !== 'SHLVL' && k !== '_') assert.notEqual(env[k], v, `host variable ${k} reached the app`);
  });

  it('--app-host-network is the opt-out: the report says host, and the app gets no proxy', async () => {
    const { items } = (await json(await p.api('/api/v1/runtimes'))) as { items: Array<{ kind: string; isolation?: { network: string; hostNetworkAllowed: boolean; namespaces: string[] } }> };
    const iso = items.find((r) => r.kind === 'app')?.isolation;
    assert.deepEqual([iso?.network, iso?.hostNetworkAllowed, iso?.namespaces.includes('net')], ['host', true, false]);
    const env = await json(await fetch(`${p.url}/fn/spy/env`));
    assert.equal(env.HTTP_PROXY, undefined);
  });

  it('an app cannot use the control API: it has no token', async () => {
    const answer = await json(await fetch(`${p.url}/fn/other/control`));
    assert.deepEqual(answer, { status: 401 });
  });
});

describe('without a network namespace, apps need the operator to allow the host network', { skip: PYTHON || NO_NETNS }, () => {
  it('without --app-host-network an app or node deploy is refused, saying why and how to allow it', async () => {
    const p = await startPlatform();
    try {
      const refused = await cli(p, ['deploy', 'web', join(FIXTURES, 'py-hello'), '--runtime', 'app', '--cmd', 'python3 app.py']);
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr + refused.stdout, /network namespace.*--app-host-network/);
      const { items } = (await json(await p.api('/api/v1/runtimes'))) as { items: Array<{ kind: string; isolation?: { hostNetworkAllowed: boolean; network: string } }> };
      assert.equal(items.find((r) => r.kind === 'app')?.isolation?.hostNetworkAllowed, false);
      assert.equal(items.find((r) => r.kind === 'app')?.isolation?.network, 'host');
      // nimbus up said so at start.
      assert.match(p.output(), /apps: +sandbox \w+ · memory limit [\w-]+ · .* · off until --app-host-network/);
    } finally {
      await p.stop();
      p.cleanup();
    }
  });
});
