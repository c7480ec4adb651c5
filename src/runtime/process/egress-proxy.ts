/**
 * The egress proxy of apps in a network namespace: the app's HTTP_PROXY is the connector's
 * port inside its namespace, and each connection accepted there arrives here (its
 * descriptor passed over the IPC channel). It is an HTTP/1.1 proxy under the same rules
 * as a function's outbound traffic (egress-guard.ts), with no port of its own:
 * - an absolute-URI request (`GET http://host/path`) is made with the instance's outbound
 *   fetch: a literal address judged first, a name through the guarded lookup, the socket
 *   judged on the address it connected to; the platform's event endpoint stays reachable;
 * - `CONNECT host:port` (HTTPS, or any TCP a client tunnels) is the guarded connect, then
 *   bytes both ways; TLS stays end to end between the app and the server.
 * A refusal is a 403 whose body says why (as NIMBUS_ERR_EGRESS_DENIED does to a function).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { isNimbusError, NimbusError } from '../../core/errors.ts';
import { bare } from '../egress-policy.ts';
import type { HttpRequestData, OutboundConnect, OutboundFetch } from '../port.ts';

export interface EgressProxyOptions {
  readonly fetch: OutboundFetch;
  /** Absent: CONNECT is refused (the platform gave no outbound sockets). */
  readonly connect?: OutboundConnect;
  /** The invocation a request is made for ('' when none or several are running). */
  readonly invocationId: () => string;
  readonly maxBodyBytes: number;
}

export interface EgressProxy {
  /** Serves one connection the app opened to its proxy. */
  accept(socket: Socket): void;
  close(): void;
}

/** Headers for the proxy or this hop only, not passed on. */
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'host']);

export function createEgressProxy(options: EgressProxyOptions): EgressProxy {
  const server = createServer({ requestTimeout: 0 }, (req, res) => void forward(options, req, res));
  server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => void tunnel(options, req, socket, head));
  server.on('clientError', (_e, socket) => socket.destroy());
  const open = new Set<Socket>();
  return {
    accept(socket) {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      server.emit('connection', socket);
      socket.resume();
    },
    close() {
      for (const s of open) s.destroy();
    },
  };
}

function refuse(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-nimbus-proxy': 'refused' }).end(`${message}\n`);
}

async function forward(options: EgressProxyOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!/^https?:\/\//i.test(req.url ?? '')) return refuse(res, 400, 'nimbus egress proxy: a proxy request names an absolute http:// URL');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > options.maxBodyBytes) return refuse(res, 413, `nimbus egress proxy: the request body is over ${options.maxBodyBytes} bytes`);
    chunks.push(chunk);
  }
  const headers: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) if (!HOP.has(req.rawHeaders[i].toLowerCase())) headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
  const request: HttpRequestData = { method: req.method ?? 'GET', url: req.url!, headers, body: size > 0 ? Buffer.concat(chunks) : null };
  try {
    const answer = await options.fetch(request, options.invocationId());
    const out: Array<[string, string]> = [];
    for (const [k, v] of answer.headers) if (!HOP.has(k.toLowerCase())) out.push([k, v]);
    if (!answer.stream) out.push(['content-length', String(answer.body.byteLength)]);
    res.writeHead(answer.status, answer.statusText || undefined, out.flat());
    if (!answer.stream) return void res.end(answer.body);
    const stream = answer.stream;
    // The app went away: the upstream is told and stops.
    const gone = () => stream.cancel(new NimbusError('NIMBUS_ERR_UPSTREAM', 'the app closed its proxy connection'));
    res.once('close', gone);
    for (let chunk = await stream.read(); chunk !== null && !res.destroyed; chunk = await stream.read()) {
      if (!res.write(chunk)) await new Promise((resolve) => (res.once('drain', resolve), res.once('close', resolve)));
    }
    res.off('close', gone);
    res.end();
  } catch (error) {
    const denied = isNimbusError(error) && error.code === 'NIMBUS_ERR_EGRESS_DENIED';
    refuse(res, denied ? 403 : 502, `nimbus egress proxy: ${(error as Error).message}`);
  }
}

async function tunnel(options: EgressProxyOptions, req: IncomingMessage, client: Duplex, head: Buffer): Promise<void> {
  client.on('error', () => {});
  const reply = (status: string, message: string): void => {
    client.end(`HTTP/1.1 ${status}\r\ncontent-type: text/plain; charset=utf-8\r\nx-nimbus-proxy: refused\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(message) + 1}\r\n\r\n${message}\n`);
  };
  // host:port, the host as a URL host (so 2130706433 and 0x7f000001 are the addresses they spell); the port explicit (443 is not http's default).
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]/?#@\s]+):(\d{1,5})$/.exec(req.url ?? '');
  const port = m ? Number(m[2]) : 0;
  let host = '';
  try {
    host = m ? new URL(`http://${m[1]}`).hostname : '';
  } catch {
    /* not a host */
  }
  if (host === '' || port < 1 || port > 65535) return reply('400 Bad Request', 'nimbus egress proxy: CONNECT names host:port');
  if (!options.connect) return reply('403 Forbidden', 'nimbus egress proxy: this platform gives functions no outbound sockets');
  let upstream: Duplex;
  try {
    upstream = await options.connect({ host: bare(host), port, tls: false });
  } catch (error) {
    const denied = isNimbusError(error) && error.code === 'NIMBUS_ERR_EGRESS_DENIED';
    return reply(denied ? '403 Forbidden' : '502 Bad Gateway', `nimbus egress proxy: ${(error as Error).message}`);
  }
  upstream.on('error', () => client.destroy());
  client.on('error', () => upstream.destroy());
  client.on('close', () => upstream.destroy());
  upstream.on('close', () => client.destroy());
  client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
  if (head.byteLength > 0) upstream.write(head);
  client.pipe(upstream).pipe(client);
}
