/** One-off HTTP requests with timing, and a bounded wait for a server to answer. */
import http from 'node:http';
import { connect } from 'node:net';
import { HOST, assertLocal } from './guard.ts';
import { sleep } from './proc.ts';

/** Reused connections for control-plane calls and measured single requests. */
export const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 256 });

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** performance.now() when the request was sent and when the last byte arrived. */
  readonly sentAt: number;
  readonly doneAt: number;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly timeoutMs?: number;
  /** false: a fresh connection, closed after the reply (default: keep-alive pool). */
  readonly agent?: http.Agent | false;
}

export function request(url: string, opts: RequestOptions = {}): Promise<Reply> {
  const u = assertLocal(url);
  return new Promise((resolve, reject) => {
    const sentAt = performance.now();
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname + u.search,
        method: opts.method ?? 'GET',
        headers,
        agent: opts.agent === undefined ? keepAlive : opts.agent,
        timeout: opts.timeoutMs ?? 30000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
            sentAt,
            doneAt: performance.now(),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`bench: ${opts.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/**
 * Polls `url` on fresh connections until it answers 2xx, every `everyMs`, for at most
 * `timeoutMs`. Connection refusals are expected while the server boots. Returns the reply.
 */
export async function waitFor(url: string, timeoutMs: number, everyMs = 1, opts: RequestOptions = {}): Promise<Reply> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no attempt';
  while (performance.now() < deadline) {
    try {
      const r = await request(url, { ...opts, agent: false, timeoutMs: Math.max(100, deadline - performance.now()) });
      if (r.status >= 200 && r.status < 300) return r;
      last = `HTTP ${r.status}: ${r.body.slice(0, 200)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(everyMs);
  }
  throw new Error(`bench: ${url} did not answer 2xx within ${timeoutMs} ms (last: ${last})`);
}

/**
 * Resolves once 127.0.0.1:port accepts a TCP connection (polled every 1 ms, bounded); no
 * HTTP request is sent, so nothing behind the port is warmed. Returns performance.now().
 */
export async function portOpen(port: number, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect({ host: HOST, port }, () => {
        sock.destroy();
        resolve(true);
      });
      sock.on('error', () => resolve(false));
    });
    if (ok) return performance.now();
    await sleep(1);
  }
  throw new Error(`bench: port ${port} did not open within ${timeoutMs} ms`);
}
