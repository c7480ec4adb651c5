/**
 * The `runtime` proxy of app-ceiling.ts: a node:http server that hands each request to this
 * tree's app runtime (AppInstance.invoke on one warm instance of the hello server, host
 * network) and writes the answer back, with no gateway route, dispatcher, records or
 * observability around it. Its own app instance is a child process (found by app-ceiling.ts
 * in this process's tree). PORT (and APP_FILE, the hello server, when bundled elsewhere) in the
 * environment; prints "ready" once it listens. app-ceiling.ts bundles it with esbuild as the
 * platform's build does (no tsx in the process, whose name-keeping helpers cost per call). With the
 * argument `bare` the instance runs without a sandbox or cgroup (what those cost per response).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/core/clock.ts';
import { packApp } from '../../src/runtime/process/app-archive.ts';
import { createAppRuntime } from '../../src/runtime/process/app-runtime.ts';
import { probeIsolation } from '../../src/runtime/process/isolation.ts';
import type { HttpRequestData } from '../../src/runtime/port.ts';
import { HELLO_APP_CONFIG } from './common.ts';

const appsDir = mkdtempSync(join(tmpdir(), 'nimbus-ceiling-runtime-'));
const probed = probeIsolation({ allowHostNetwork: true });
const isolation = process.argv[2] === 'bare' ? { ...probed, sandbox: 'none' as const, namespaces: [], cgroup: null, unshare: false, prlimit: false, memoryLimit: 'none' as const, processLimit: 'none' as const } : probed;
const runtime = createAppRuntime({ clock: systemClock, appsDir, maxResponseBytes: 6 * 1024 * 1024, isolation });
const instance = await runtime.start({
  instanceId: `ceiling-${process.pid}`,
  functionName: 'hello',
  version: 1,
  code: packApp({ files: { 'server.mjs': readFileSync(process.env.APP_FILE ?? new URL('../apps/hello-server.mjs', import.meta.url)).toString('base64') } }),
  config: HELLO_APP_CONFIG,
  onLog: () => {},
  fetch: () => Promise.reject(new Error('no egress in this bench')),
});

let seq = 0;
const server = createServer((req, res) => {
  req.resume();
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  headers.push(['x-forwarded-for', req.socket.remoteAddress ?? ''], ['x-forwarded-proto', 'http']);
  const request: HttpRequestData = { method: req.method ?? 'GET', url: `http://${req.headers.host}${req.url}`, headers, body: null };
  instance.invoke({ mode: 'fetch', request, meta: { invocationId: `c${++seq}`, functionName: 'hello', version: 1, deadline: Date.now() + 30_000, attempt: 1, memoryMb: 256 } }).then(
    (result) => {
      if (result.mode !== 'fetch' || result.response.stream !== undefined) throw new Error('the hello answer came streamed');
      const out: string[] = [];
      for (const [k, v] of result.response.headers) out.push(k, v);
      res.writeHead(result.response.status, out);
      res.end(result.response.body);
    },
    () => {
      res.statusCode = 502;
      res.end();
    },
  );
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
process.once('SIGTERM', () => {
  server.close();
  instance.dispose();
  void runtime.close().then(() => rmSync(appsDir, { recursive: true, force: true }));
});
