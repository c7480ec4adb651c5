// The proxies of app-ceiling.ts, one per process: `node app-ceiling-proxy.mjs <kind>` with
// PORT (where it listens) and UPSTREAM (the app's port) in its environment.
//   pipe   a net.Server piping each client connection to its own upstream socket (no parsing)
//   lean   node:http server + a minimal HTTP/1.1 client on pooled keep-alive net.Sockets
//   undici node:http server + undici Pool.dispatch with a handler (as app-call.ts uses it; the
//          platform's undici, from the repository's node_modules)
// Each prints "ready" once it listens. GET without a body is all the ceiling bench sends.
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { connect, createServer as createNetServer } from 'node:net';

const kind = process.argv[2];
const PORT = Number(process.env.PORT);
const UPSTREAM = Number(process.env.UPSTREAM);
const HOST = '127.0.0.1';
const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'trailer', 'proxy-authenticate', 'proxy-authorization', 'te']);

/** The client's headers as a flat list for the app, without hop-by-hop ones, plus forwarding headers. */
function forwarded(req) {
  const out = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i].toLowerCase())) out.push(raw[i], raw[i + 1]);
  out.push('x-forwarded-for', req.socket.remoteAddress ?? '', 'x-forwarded-proto', 'http');
  return out;
}

function answer(res, status, raw, body) {
  const headers = [];
  for (let i = 0; i < raw.length; i += 2) if (!HOP.has(raw[i].toLowerCase())) headers.push(raw[i], raw[i + 1]);
  res.writeHead(status, headers);
  res.end(body);
}

// ------------------------------------------------------------------ pipe
function pipeProxy() {
  return createNetServer((client) => {
    client.setNoDelay(true);
    const up = connect({ port: UPSTREAM, host: HOST });
    up.setNoDelay(true);
    client.pipe(up);
    up.pipe(client);
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
  });
}

// ------------------------------------------------------------------ lean client
const CRLF2 = Buffer.from('\r\n\r\n');

/** One keep-alive connection to the app, one request at a time, the answer framed by Content-Length or chunked. */
class Conn {
  constructor(pool) {
    this.pool = pool;
    this.socket = connect({ port: UPSTREAM, host: HOST });
    this.socket.setNoDelay(true);
    this.buf = null;
    this.done = null;
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', () => {});
    this.socket.on('close', () => this.onClose());
  }

  send(head, done) {
    this.done = done;
    this.state = 0;
    this.socket.write(head, 'latin1');
  }

  onData(d) {
    this.buf = this.buf === null ? d : Buffer.concat([this.buf, d]);
    this.parse();
  }

  parse() {
    const b = this.buf;
    if (this.state === 0) {
      const end = b.indexOf(CRLF2);
      if (end === -1) return;
      const lines = b.latin1Slice(0, end).split('\r\n');
      this.status = Number(lines[0].slice(9, 12));
      this.raw = [];
      this.length = -1;
      this.chunked = false;
      this.close = false;
      for (let i = 1; i < lines.length; i++) {
        const c = lines[i].indexOf(':');
        const name = lines[i].slice(0, c);
        const value = lines[i].slice(c + 1).trim();
        const lower = name.toLowerCase();
        if (lower === 'content-length') this.length = Number(value);
        else if (lower === 'transfer-encoding') this.chunked = value.toLowerCase().includes('chunked');
        else if (lower === 'connection') this.close = value.toLowerCase() === 'close';
        this.raw.push(name, value);
      }
      this.at = end + 4;
      this.parts = [];
      this.state = this.chunked ? 2 : 1;
    }
    if (this.state === 1) {
      const want = Math.max(this.length, 0);
      if (b.length - this.at < want) return;
      this.finish(b.subarray(this.at, this.at + want), this.at + want);
      return;
    }
    // chunked: size line, data, CRLF; a zero size then the trailer's empty line
    for (;;) {
      const eol = b.indexOf('\r\n', this.at, 'latin1');
      if (eol === -1) return;
      const size = parseInt(b.latin1Slice(this.at, eol), 16);
      if (size === 0) {
        if (b.length < eol + 4) return;
        this.finish(this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts), eol + 4);
        return;
      }
      if (b.length < eol + 2 + size + 2) return;
      this.parts.push(b.subarray(eol + 2, eol + 2 + size));
      this.at = eol + 2 + size + 2;
    }
  }

  finish(body, used) {
    const done = this.done;
    this.done = null;
    this.buf = used < this.buf.length ? this.buf.subarray(used) : null;
    if (this.close) this.socket.destroy();
    else this.pool.release(this);
    done(null, this.status, this.raw, body);
  }

  onClose() {
    this.pool.drop(this);
    const done = this.done;
    this.done = null;
    done?.(new Error('the app closed the connection'));
  }
}

class LeanPool {
  constructor(max) {
    this.max = max;
    this.all = new Set();
    this.idle = [];
    this.waiting = [];
  }
  request(head, done) {
    const c = this.idle.pop() ?? (this.all.size < this.max ? this.add() : null);
    if (c === null) this.waiting.push([head, done]);
    else c.send(head, done);
  }
  add() {
    const c = new Conn(this);
    this.all.add(c);
    return c;
  }
  release(c) {
    const next = this.waiting.shift();
    if (next) c.send(next[0], next[1]);
    else this.idle.push(c);
  }
  drop(c) {
    this.all.delete(c);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }
}

function leanProxy() {
  const pool = new LeanPool(64);
  return createServer((req, res) => {
    req.resume();
    const h = forwarded(req);
    let head = `${req.method} ${req.url} HTTP/1.1\r\n`;
    for (let i = 0; i < h.length; i += 2) head += `${h[i]}: ${h[i + 1]}\r\n`;
    head += '\r\n';
    pool.request(head, (error, status, raw, body) => {
      if (error) {
        res.statusCode = 502;
        return res.end();
      }
      answer(res, status, raw, body);
    });
  });
}

// ------------------------------------------------------------------ undici dispatch
async function undiciProxy() {
  // the platform's undici (the repository's), not the bench workspace's newer one
  const { Pool } = createRequire(new URL('../../package.json', import.meta.url))('undici');
  const pool = new Pool(`http://${HOST}:${UPSTREAM}`, { connections: 64, keepAliveTimeout: 30_000 });
  return createServer((req, res) => {
    req.resume();
    let status = 0;
    let raw = [];
    const chunks = [];
    pool.dispatch(
      { method: req.method, path: req.url, headers: forwarded(req), body: null, headersTimeout: 0, bodyTimeout: 0 },
      {
        onConnect() {},
        onHeaders(s, h) {
          status = s;
          raw = h.map((b) => b.toString('latin1'));
          return true;
        },
        onData(c) {
          chunks.push(c);
          return true;
        },
        onComplete() {
          answer(res, status, raw, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
        },
        onError() {
          res.statusCode = 502;
          res.end();
        },
      },
    );
  });
}

const server = kind === 'pipe' ? pipeProxy() : kind === 'lean' ? leanProxy() : kind === 'undici' ? await undiciProxy() : null;
if (server === null) throw new Error(`unknown proxy kind ${kind}`);
server.listen(PORT, HOST, () => console.log('ready'));
