/**
 * The floor of running a request in an isolated-vm isolate behind node:http: one isolate,
 * one call into it per request (`applyIgnored`, primitives only) and one call back per
 * response (an ignored `ivm.Callback`), the response written from inside that callback.
 * No Request/Response objects, no deadlines, no shim: what any design on isolated-vm pays
 * at least (bench/micro/hot-path.ts starts it). Listens on 127.0.0.1:$PORT, prints "ready".
 */
import http from 'node:http';
import ivm from 'isolated-vm';

const isolate = new ivm.Isolate({ memoryLimit: 128 });
const context = await isolate.createContext();
const waiting = new Map<number, http.ServerResponse>();
await context.global.set(
  '__reply',
  new ivm.Callback(
    (seq: number, status: number, body: string) => {
      const res = waiting.get(seq);
      waiting.delete(seq);
      res?.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    },
    { ignored: true },
  ),
);
await context.eval(`
  const reply = __reply;
  globalThis.recv = (seq, method, url) => reply(seq, 200, 'hello');
`);
const recv = (await context.global.get('recv', { reference: true })) as ivm.Reference<(seq: number, method: string, url: string) => void>;

let seq = 0;
http
  .createServer((req, res) => {
    seq = (seq + 1) % 2 ** 31;
    waiting.set(seq, res);
    recv.applyIgnored(undefined, [seq, req.method ?? 'GET', req.url ?? '/']);
  })
  .listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
