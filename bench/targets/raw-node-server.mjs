// The physical limit: a bare node:http server doing each function's work in-process, with
// no isolate, no Request/Response objects and no platform. Plain JS so that its process
// start is Node's own boot time. Listens on 127.0.0.1:$PORT and prints "ready".
import cluster from 'node:cluster';
import http from 'node:http';

const port = Number(process.env.PORT);
const workers = Number(process.env.WORKERS || 1);

// WORKERS>1: node:cluster, one process per core sharing the port (the machine's limit,
// not one thread's). The primary only forks and reports.
if (workers > 1 && cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < workers; i++) cluster.fork();
  cluster.on('listening', () => {
    if (++listening === workers) console.log(`ready http://127.0.0.1:${port} (${workers} processes)`);
  });
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.kill('SIGTERM');
    process.exit(0);
  });
} else {
  serve();
}

function serve() {
  const iterations = Number(process.env.CPU_ITERATIONS || 0);
  const many = Number(process.env.MANY || 0);

  function work(n) {
    let x = 0x9e3779b9 | 0;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
    return x >>> 0;
  }

  const text = (res, status, body, type = 'text/plain;charset=UTF-8') => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  const handlers = new Map([
    ['hello', (req, res) => text(res, 200, 'hello')],
    ['echo', (req, res, body) => text(res, 200, JSON.stringify(JSON.parse(body)), 'application/json')],
    ['cpu', (req, res) => text(res, 200, String(work(iterations)))],
    ['step', (req, res, body) => text(res, 200, JSON.stringify(step(body ? JSON.parse(body) : {})), 'application/json')],
  ]);
  // 'stream': the streaming scenario's bytes, STREAM_CHUNKS chunks of 64 KiB, written as the
  // socket takes them (chunked transfer, backpressure honoured), as the function produces them.
  const streamChunk = Buffer.alloc(65536, 120);
  handlers.set('stream', (req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    let left = Number(process.env.STREAM_CHUNKS || 64);
    const pump = () => {
      while (left > 0) {
        left--;
        if (!res.write(streamChunk)) return res.once('drain', pump);
      }
      res.end();
    };
    pump();
  });
  for (let i = 0; i < many; i++) {
    const msg = `hello from f${i}`;
    handlers.set(`f${i}`, (req, res) => text(res, 200, msg));
  }

  function step(e) {
    return { ...e, steps: (typeof e.steps === 'number' ? e.steps : 0) + 1 };
  }

  // Async invocations: accepted into an in-memory queue (202), run one at a time after.
  const queue = [];
  let accepted = 0;
  let completed = 0;
  let draining = false;
  function drain() {
    if (draining) return;
    draining = true;
    setImmediate(function next() {
      const n = Math.min(queue.length, 256);
      for (let i = 0; i < n; i++) {
        step(JSON.parse(queue.shift()));
        completed++;
      }
      if (queue.length > 0) setImmediate(next);
      else draining = false;
    });
  }

  const server = http.createServer((req, res) => {
    const parts = req.url.split('/');
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = chunks.length ? Buffer.concat(chunks).toString('utf8') : '';
      try {
        if (parts[1] === 'fn' && handlers.has(parts[2])) return handlers.get(parts[2])(req, res, body);
        if (parts[1] === 'async' && req.method === 'POST') {
          queue.push(body || '{}');
          accepted++;
          drain();
          return text(res, 202, `{"id":"${accepted}"}`, 'application/json');
        }
        if (parts[1] === 'async-stats') return text(res, 200, JSON.stringify({ accepted, completed }), 'application/json');
        text(res, 404, 'not found');
      } catch (e) {
        text(res, 500, String(e));
      }
    });
  });
  server.keepAliveTimeout = 65000;
  server.listen(port, '127.0.0.1', () => {
    if (workers === 1) console.log(`ready http://127.0.0.1:${port}`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
