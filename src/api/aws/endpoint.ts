/**
 * The AWS-compatible endpoint on the platform's own port: Lambda's REST-JSON paths (they
 * start with a date, /2015-03-31/…) and Step Functions' JSON 1.0 (POST / with
 * `X-Amz-Target: AWSStepFunctions.*`). Every request is SigV4-verified against the access
 * keys Nimbus issued, then translated onto the same services the REST API uses.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isNimbusError } from '../../core/errors.ts';
import { readBody } from '../../gateway/body.ts';
import { AwsError, lambdaErrorOf, loggedErrorOf, sendAwsError } from './errors.ts';
import type { AwsKeyStore } from './keys.ts';
import { lambdaRoute } from './lambda.ts';
import type { AwsContext, AwsResponse } from './protocol.ts';
import { sfnCall } from './sfn.ts';
import { missingAuth, parseClaim, verifySignature, type WireRequest } from './sigv4.ts';

const DATE_PATH = /^\/\d{4}-\d{2}-\d{2}\//;
const SFN_CONTENT_TYPE = 'application/x-amz-json-1.0';

/** Whether a request is for the AWS endpoint: a date-prefixed path, or POST / naming a Step Functions target. */
export function isAwsRequest(req: IncomingMessage): boolean {
  const url = req.url ?? '/';
  if (DATE_PATH.test(url)) return true;
  const target = req.headers['x-amz-target'];
  return req.method === 'POST' && (url === '/' || url.startsWith('/?')) && typeof target === 'string' && target.startsWith('AWSStepFunctions.');
}

export interface AwsEndpointOptions {
  readonly ctx: AwsContext;
  readonly keys: AwsKeyStore;
  readonly bodyLimitBytes: number;
  readonly onError: (error: unknown, what: string) => void;
}

function pairs(raw: readonly string[]): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i], raw[i + 1]]);
  return out;
}

export function createAwsEndpoint(options: AwsEndpointOptions) {
  const { ctx, keys } = options;
  return async function handleAws(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = q === -1 ? '' : url.slice(q + 1);
    const isSfn = !DATE_PATH.test(url);
    const contentType = isSfn ? SFN_CONTENT_TYPE : 'application/json';
    // Every answer names its request, as AWS's do (an invocation's id replaces it for Invoke).
    res.setHeader('x-amzn-requestid', randomUUID());
    let keyLogged = false;
    try {
      // The claim and its key are checked from the headers alone: a stranger's body is never read.
      const head: WireRequest = { method: req.method ?? 'GET', path, query, headers: pairs(req.rawHeaders), body: Buffer.alloc(0) };
      const claim = parseClaim(head);
      if (!claim) throw missingAuth();
      let secret: string | undefined;
      try {
        secret = await keys.secretOf(claim.credential.accessKeyId);
      } catch (error) {
        // The key's seal does not open here (a node started with another secrets key): the log says so; the unsigned caller learns nothing of it.
        options.onError(error, `AWS ${req.method} ${path}: the access key`);
        keyLogged = true;
        throw new AwsError(500, isSfn ? 'InternalServerError' : 'ServiceException', 'the platform failed to handle the request; its log has the details', isSfn ? {} : { Type: 'Service' });
      }
      if (secret === undefined) throw new AwsError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      let body: Buffer;
      try {
        body = (await readBody(req, options.bodyLimitBytes, ctx.api.bodies)) ?? Buffer.alloc(0);
      } catch (error) {
        throw isNimbusError(error) && error.status === 413 ? new AwsError(413, 'RequestTooLargeException', error.message, { Type: 'User' }) : error;
      }
      const wire: WireRequest = { ...head, body };
      verifySignature(wire, claim, secret, ctx.api.clock.now(), { region: ctx.region, service: isSfn ? 'states' : 'lambda' });
      let out: AwsResponse;
      if (isSfn) out = await sfnCall(ctx, String(req.headers['x-amz-target']), body);
      else {
        const { op, params } = lambdaRoute(wire.method, path);
        out = await op(ctx, { method: wire.method, params, query: new URLSearchParams(query), headers: req.headers, body });
      }
      send(res, out, contentType);
    } catch (error) {
      const answer = isSfn ? (error instanceof AwsError ? error : new AwsError(500, 'InternalServerError', 'the platform failed to handle the request; its log has the details')) : lambdaErrorOf(error);
      if (answer.status >= 500 && !keyLogged) options.onError(loggedErrorOf(error), `AWS ${req.method} ${path}`);
      // A refused request may leave its body unread; drop it rather than keep the socket.
      if (!req.complete) res.setHeader('connection', 'close');
      sendAwsError(res, answer, contentType);
    }
  };
}

function send(res: ServerResponse, out: AwsResponse, contentType: string): void {
  if (out.body === undefined) {
    res.writeHead(out.status, out.headers);
    res.end();
    return;
  }
  const data = Buffer.isBuffer(out.body) ? out.body : Buffer.from(JSON.stringify(out.body));
  res.writeHead(out.status, { 'content-type': contentType, 'content-length': data.length, ...out.headers });
  res.end(data);
}
