/**
 * The isolate runtime alone behind a bare node:http server: no gateway, dispatcher, pool,
 * records or metrics. One warm instance of the hello function serves every request. It
 * separates what the runtime costs per request from what the platform around it costs
 * (bench/micro/hot-path.ts starts it). Listens on 127.0.0.1:$PORT and prints "ready".
 */
import http from 'node:http';
import { systemClock } from '../../src/core/clock.ts';
import type { FunctionConfig } from '../../src/core/types.ts';
import { bundleSource } from '../../src/deploy/bundle.ts';
import { createIsolateRuntime } from '../../src/runtime/isolate/index.ts';

const config: FunctionConfig = {
  memoryMb: 128,
  timeoutMs: 10_000,
  cpuLimitMs: 10_000,
  env: {},
  concurrency: 1_000,
  targetConcurrency: 1_000,
  minInstances: 1,
  maxInstances: 1,
  idleTimeoutMs: 60_000,
  runtime: 'isolate',
};
const code = (await bundleSource({ 'index.ts': `export default { fetch: () => new Response('hello') };` }, 'index.ts')).code;
const runtime = createIsolateRuntime({ clock: systemClock, onError: (m, e) => console.error(m, e ?? '') });
const instance = await runtime.start({
  instanceId: 'bench',
  functionName: 'hello',
  version: 1,
  code,
  config,
  onLog: () => undefined,
  fetch: () => Promise.reject(new Error('no outbound requests in this bench')),
});

let n = 0;
const server = http.createServer((req, res) => {
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.push([req.rawHeaders[i].toLowerCase(), req.rawHeaders[i + 1]]);
  instance
    .invoke({
      mode: 'fetch',
      request: { method: req.method ?? 'GET', url: `http://127.0.0.1${req.url ?? '/'}`, headers, body: null },
      meta: { invocationId: `b${++n}`, functionName: 'hello', version: 1, deadline: Date.now() + 10_000, attempt: 1, memoryMb: 128 },
    })
    .then(
      (r) => {
        if (r.mode !== 'fetch') throw new Error('a fetch call answered with a handler result');
        res.writeHead(r.response.status, r.response.headers.flat());
        res.end(r.response.body);
      },
      (error: unknown) => {
        res.writeHead(500);
        res.end(String(error));
      },
    );
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
