/** The one HTTP front door: /fn/* to functions, /api/v1/* to the control plane, the AWS APIs at the root. */
import { createServer, ServerResponse, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { NimbusError, toProblem } from '../core/errors.ts';
import { sendProblem } from './problem.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export interface GatewayRoutes {
  readonly functions: Handler;
  readonly api: Handler;
  /** The AWS-compatible endpoint: requests it claims (date-prefixed paths, POST / with X-Amz-Target). */
  readonly aws?: { readonly claims: (req: IncomingMessage) => boolean; readonly handler: Handler };
  /** Extra top-level prefixes, e.g. /metrics. */
  readonly extra?: ReadonlyArray<{ readonly prefix: string; readonly handler: Handler }>;
  readonly onError: (error: unknown, req: IncomingMessage) => void;
  /** WebSocket upgrades on /fn/…; other upgrade requests are served as plain requests. */
  readonly upgrade?: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

const LANDING = JSON.stringify({
  name: 'nimbus',
  functions: '/fn/<name>/<path>',
  api: '/api/v1 (bearer token; `nimbus token` prints it)',
  openapi: '/api/v1/openapi.json',
  health: '/healthz',
  aws: 'Lambda and Step Functions APIs at this root (SigV4; `nimbus aws-keys create`)',
});

export interface GatewayOptions {
  /** How long a client may take to send a request's headers. */
  readonly headersTimeoutMs: number;
}

export function createGateway(routes: GatewayRoutes, options: GatewayOptions): Server {
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    let handler: Handler | undefined;
    if (url.startsWith('/fn/')) handler = routes.functions;
    else if (routes.aws?.claims(req)) handler = routes.aws.handler;
    else if (url === '/api/v1' || url.startsWith('/api/v1/') || url.startsWith('/api/v1?')) handler = routes.api;
    else if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok\n');
      return;
    } else if (url === '/' || url.startsWith('/?')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(LANDING);
      return;
    } else handler = routes.extra?.find((e) => url === e.prefix || url.startsWith(e.prefix + '/') || url.startsWith(e.prefix + '?'))?.handler;
    if (!handler) {
      sendProblem(res, new NimbusError('NIMBUS_ERR_NOT_FOUND', `nothing at ${url.split('?')[0]}; functions answer at /fn/<name>/`), url);
      return;
    }
    handler(req, res).catch((error: unknown) => {
      routes.onError(error, req);
      sendProblem(res, error, url);
    });
  };
  const server = createServer({
    keepAliveTimeout: 65_000,
    // Bodies have their own deadline where they are read (body.ts), answered with a problem.
    requestTimeout: 0,
    headersTimeout: options.headersTimeoutMs,
    // Node looks for late headers on this period: a fraction of the timeout keeps the overshoot small.
    connectionsCheckingInterval: Math.max(50, Math.min(options.headersTimeoutMs / 4, 30_000)),
  }, onRequest);
  const upgrade = routes.upgrade;
  if (upgrade !== undefined) {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = req.url ?? '/';
      if (String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' && url.startsWith('/fn/')) return upgrade(req, socket, head);
      plainAnswer(req, socket, head, onRequest);
    });
  }
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket, options.headersTimeoutMs));
  return server;
}

/**
 * An upgrade request that is not a WebSocket on /fn (`Upgrade: h2c` from curl --http2, a
 * WebSocket to another path) is answered as a plain request, as it would be without an
 * upgrade listener; Node has detached the socket from its parser, so only a request without
 * a body can be, once, with the connection closed after.
 */
function plainAnswer(req: IncomingMessage, socket: Duplex, head: Buffer, onRequest: (req: IncomingMessage, res: ServerResponse) => void): void {
  socket.on('error', () => undefined);
  const declared = req.headers['content-length'];
  if (req.headers['transfer-encoding'] !== undefined || (declared !== undefined && declared !== '0') || head.byteLength > 0) {
    const problem = toProblem(new NimbusError('NIMBUS_ERR_BAD_REQUEST', 'an upgrade request with a body is not served; send it without the Upgrade header'));
    const body = JSON.stringify(problem);
    socket.end(`HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
    return;
  }
  if (!req.readableEnded) req.push(null);
  const res = new ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.on('finish', () => {
    res.detachSocket(socket as Socket);
    socket.end();
  });
  onRequest(req, res);
}

/**
 * Requests Node refuses before a handler sees them: headers that came too slowly are a
 * 408 problem, a head too large a 431 and anything else that is not HTTP a 400, each
 * with the connection closed (as Node's own answer, but as a problem document).
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, headersTimeoutMs: number): void {
  // A response already under way on this connection cannot be followed by another.
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
    socket.destroy();
    return;
  }
  const problem =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? toProblem(new NimbusError('NIMBUS_ERR_REQUEST_TIMEOUT', `the request headers did not arrive within ${headersTimeoutMs} ms`, { extra: { timeoutMs: headersTimeoutMs } }))
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? toProblem(new NimbusError('NIMBUS_ERR_HEADERS_TOO_LARGE', 'the request line and headers are larger than 16 KB'))
        : toProblem(new NimbusError('NIMBUS_ERR_BAD_REQUEST', `the request is not valid HTTP/1.1 (${error.code ?? 'parse error'})`));
  const body = JSON.stringify(problem);
  socket.end(
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\ncontent-type: application/problem+json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}
