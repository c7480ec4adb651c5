/**
 * Apps (runtime "app"): the same HTTP server hit directly and through Nimbus's proxy
 * (warm throughput and latency); the cold start of a Python app (deploy → first answer)
 * against spawning the same Python server by hand; the memory of an idle app instance.
 */
import { readFileSync } from 'node:fs';
import { HOST } from '../lib/guard.ts';
import { portOpen, request } from '../lib/http.ts';
import { childEnv, freePort, memoryOf, sleep, start } from '../lib/proc.ts';
import { interleavedLoad } from '../lib/rounds.ts';
import type { TargetInfo } from '../lib/results.ts';
import type { Scenario } from '../lib/scenario.ts';
import { startNimbus, type NimbusTarget } from '../targets/nimbus.ts';
import type { HttpTarget } from '../targets/types.ts';

const DIRECT: TargetInfo = { id: 'app-direct', label: 'the app, hit directly', description: 'The same server process, started by hand on a port of its own: no platform in between.' };
const PROXIED: TargetInfo = {
  id: 'nimbus-app',
  label: 'Nimbus app (proxied, host network)',
  description:
    'The server deployed with --runtime app and called at /fn/<name>/: the gateway, the dispatcher and one keep-alive loopback hop (undici pool) in front of it, in a bubblewrap sandbox where installed, on the host network (--app-host-network).',
};
const NETNS: TargetInfo = {
  id: 'nimbus-app-netns',
  label: 'Nimbus app (proxied, network namespace)',
  description:
    "The same, in the default network namespace of its own: the pool's connections are sockets the connector inside dialed and passed over IPC (then used directly), and the instance has a Node connector process beside the app.",
};

const file = (name: string) => readFileSync(new URL(`../apps/${name}`, import.meta.url));

async function deployApp(n: NimbusTarget, name: string, files: Record<string, Buffer>, command: string, config: Record<string, unknown> = {}): Promise<void> {
  const encoded = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, v.toString('base64')]));
  const r = await n.api('PUT', `/api/v1/functions/${name}`, { source: { app: { files: encoded } }, config: { ...config, runtime: 'app', app: { command } } });
  if (r.status >= 300) throw new Error(`bench: deploying app ${name} failed: HTTP ${r.status} ${r.body.slice(0, 300)}`);
}

/** A server started by hand with PORT and HOST, up once its port accepts. */
async function direct(cmd: string, args: string[]): Promise<HttpTarget & { upMs: number }> {
  const port = await freePort();
  const p = start({ cmd, args, env: childEnv({ PORT: String(port), HOST }) });
  try {
    const upAt = await Promise.race([portOpen(port, 15000), p.died()]);
    return {
      info: DIRECT,
      baseUrl: `http://${HOST}:${port}`,
      pid: p.pid,
      startMs: upAt - p.spawnedAt,
      upMs: upAt - p.spawnedAt,
      fnPath: (_name, rest = '') => `/${rest}`,
      memory: () => memoryOf(p.pid),
      stop: () => p.stop(),
    };
  } catch (e) {
    await p.stop();
    throw e;
  }
}

/** The RSS the platform's process tree grows by per instance when 4 instances of the Python app are kept warm. */
async function idleRss(n: NimbusTarget, py: Record<string, Buffer>): Promise<number> {
  await deployApp(n, 'py', py, 'python3 app.py', { env: { ROUND: 'done' }, maxInstances: 1 });
  await sleep(2000);
  const before = n.memory().rssKb;
  await deployApp(n, 'idle', py, 'python3 app.py', { minInstances: 4, maxInstances: 4 });
  for (let tries = 0; tries < 100; tries++) {
    const r = JSON.parse((await n.api('GET', '/api/v1/functions/idle')).body) as { pools?: Array<{ ready: number }> };
    if ((r.pools ?? []).reduce((k, p) => k + p.ready, 0) >= 4) break;
    await sleep(100);
  }
  await sleep(500);
  return (n.memory().rssKb - before) / 4;
}

export const apps: Scenario = {
  id: 'apps',
  title: 'Apps (process runtime)',
  description:
    'A bare node:http "hello" server deployed as an app (concurrency 64, max 1 instance, so both sides are one server process) ' +
    'and the same server started by hand: interleaved autocannon rounds, 50 connections; the ratio is the cost of the proxy. ' +
    'Then the cold start of a Python http.server app: a new version deployed, time of its first request (process start in the ' +
    'sandbox, port readiness polled every 20 ms, proxy) against spawning python3 by hand until its port accepts; and the RSS ' +
    'added by one idle app instance (4 kept warm with --min 4) against the bare Python process; and the first request to a ' +
    '`node` runtime function right after its deploy (a pre-started Node process specialised) against a plain node spawn.',
  async run(s, rec) {
    const nimbus = await startNimbus({ extraArgs: ['--app-host-network'] });
    const stops: Array<() => Promise<void>> = [() => nimbus.stop()];
    try {
      const netns = await startNimbus();
      stops.push(() => netns.stop());
      const runtimes = JSON.parse((await netns.api('GET', '/api/v1/runtimes')).body) as { items: Array<{ kind: string; isolation?: { network: string } }> };
      const namespaced = runtimes.items.find((r) => r.kind === 'app')?.isolation?.network === 'namespace';
      if (!namespaced) rec.note('This host cannot give apps a network namespace: the nimbus-app-netns target is left out.');
      const hello = (n: NimbusTarget) => deployApp(n, 'hello', { 'server.mjs': file('hello-server.mjs') }, 'node server.mjs', { concurrency: 64, targetConcurrency: 64, maxInstances: 1, minInstances: 1 });
      await hello(nimbus);
      if (namespaced) await hello(netns);
      const raw = await direct(process.execPath, [new URL('../apps/hello-server.mjs', import.meta.url).pathname]);
      stops.push(() => raw.stop());
      for (const t of [raw.baseUrl + '/', nimbus.baseUrl + '/fn/hello/', ...(namespaced ? [netns.baseUrl + '/fn/hello/'] : [])]) {
        const r = await request(t);
        if (r.status !== 200 || r.body !== 'hello') throw new Error(`bench: ${t} answered ${r.status} ${r.body.slice(0, 100)}`);
      }
      await interleavedLoad(
        s,
        rec,
        [
          { info: DIRECT, baseUrl: raw.baseUrl, requests: [{ method: 'GET', path: '/' }], memory: () => raw.memory(), pid: raw.pid },
          { info: PROXIED, baseUrl: nimbus.baseUrl, requests: [{ method: 'GET', path: '/fn/hello/' }], pid: nimbus.pid },
          ...(namespaced ? [{ info: NETNS, baseUrl: netns.baseUrl, requests: [{ method: 'GET' as const, path: '/fn/hello/' }], pid: netns.pid }] : []),
        ],
        { connections: 50 },
      );

      rec.metric({ id: 'python-cold', label: 'Python app: nothing running → first answer', unit: 'ms', better: 'lower', kind: 'latency' });
      const py = { 'app.py': file('hello.py') };
      const samples = s.quick ? 3 : 8;
      for (let i = 0; i < samples; i++) {
        // A new version each time (an env value changes): its first request starts a process.
        await deployApp(nimbus, 'py', py, 'python3 app.py', { env: { ROUND: String(i) } });
        const r = await request(nimbus.baseUrl + '/fn/py/');
        if (r.status !== 200) throw new Error(`bench: python app answered ${r.status} ${r.body.slice(0, 200)}`);
        rec.sample('python-cold', PROXIED.id, r.doneAt - r.sentAt);
        if (namespaced) {
          await deployApp(netns, 'py', py, 'python3 app.py', { env: { ROUND: String(i) } });
          const n = await request(netns.baseUrl + '/fn/py/');
          if (n.status !== 200) throw new Error(`bench: python app (namespace) answered ${n.status} ${n.body.slice(0, 200)}`);
          rec.sample('python-cold', NETNS.id, n.doneAt - n.sentAt);
        }
        const by = await direct('/usr/bin/python3', [new URL('../apps/hello.py', import.meta.url).pathname]);
        rec.sample('python-cold', DIRECT.id, by.upMs);
        await by.stop();
      }

      rec.metric({ id: 'node-cold', label: 'node runtime function: first request right after its deploy', unit: 'ms', better: 'lower', kind: 'latency' });
      for (let i = 0; i < samples; i++) {
        const name = `nodefn${i}`;
        const body = { source: { files: { 'index.ts': `export default { fetch() { return new Response('hello ${i}') } }` }, entry: 'index.ts' }, config: { runtime: 'node' } };
        for (const [n, target] of [[nimbus, PROXIED], ...(namespaced ? [[netns, NETNS] as const] : [])] as const) {
          const d = await n.api('PUT', `/api/v1/functions/${name}`, body);
          if (d.status >= 300) throw new Error(`bench: deploying node function failed: ${d.status} ${d.body.slice(0, 200)}`);
          // The spares the deploy consumed are being replaced: a pause, as between a deploy and its first user.
          await sleep(1500);
          const r = await request(`${n.baseUrl}/fn/${name}/`);
          if (r.status !== 200) throw new Error(`bench: node function answered ${r.status} ${r.body.slice(0, 200)}`);
          rec.sample('node-cold', target.id, r.doneAt - r.sentAt);
        }
        const spawned = await direct(process.execPath, [new URL('../apps/hello-server.mjs', import.meta.url).pathname]);
        rec.sample('node-cold', DIRECT.id, spawned.upMs);
        await spawned.stop();
      }
      rec.note('node-cold: for "the app, hit directly" the figure is a plain spawn of node running a hello server until its port accepts, the cost a pre-started process saves.');

      rec.metric({ id: 'idle-rss', label: 'Memory of one idle instance (RSS)', unit: 'KB', better: 'lower', kind: 'size' });
      rec.round('idle-rss', PROXIED.id, await idleRss(nimbus, py));
      if (namespaced) rec.round('idle-rss', NETNS.id, await idleRss(netns, py));
      const bare = await direct('/usr/bin/python3', [new URL('../apps/hello.py', import.meta.url).pathname]);
      await sleep(500);
      rec.round('idle-rss', DIRECT.id, bare.memory().rssKb);
      await bare.stop();
      rec.note('Idle memory of a Nimbus app instance: the RSS the platform process tree grew by when 4 instances of the Python app were kept warm, divided by 4 (the sandbox launcher processes are part of it).');
      return { targets: [DIRECT, PROXIED, ...(namespaced ? [NETNS] : [])], settings: { connections: 50, appConcurrency: 64 }, baseline: DIRECT.id };
    } finally {
      for (const stop of stops.reverse()) await stop().catch(() => {});
    }
  },
};
