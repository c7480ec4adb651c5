/** The one HTTP front door: /fn/* to functions, /api/v1/* to the control plane, the AWS APIs at the root. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { NimbusError } from '../core/errors.ts';
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
}

const LANDING = JSON.stringify({
  name: 'nimbus',
  functions: '/fn/<name>/<path>',
  api: '/api/v1 (bearer token; `nimbus token` prints it)',
  openapi: '/api/v1/openapi.json',
  health: '/healthz',
  aws: 'Lambda and Step Functions APIs at this root (SigV4; `nimbus aws-keys create`)',
});

export function createGateway(routes: GatewayRoutes): Server {
  const server = createServer({ keepAliveTimeout: 65_000, requestTimeout: 0 }, (req, res) => {
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
  });
  // Bodies of clients that stall are bounded by the function timeout and the body limit, not here.
  server.headersTimeout = 30_000;
  return server;
}
