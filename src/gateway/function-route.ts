/**
 * `/fn/<name>/<path>`: the hot path. The function sees its own path (the
 * `/fn/<name>` prefix stripped, as a Hono or Workers app expects) and the prefix in
 * `x-forwarded-prefix`. Every response carries `x-nimbus-invocation-id`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NimbusError } from '../core/errors.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { HttpRequestData, HttpResponseData } from '../runtime/port.ts';
import { isBodiless, readBody, type BodyPolicy } from './body.ts';
import { sendProblem } from './problem.ts';
import { sendStream, streamsUpload, UploadStream } from './streaming.ts';

/** Headers about the client↔gateway connection, not meant for the function or the client. */
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
]);

/**
 * What the gateway tells the function about the request; a client's own would reach the
 * function next to them (a forged prefix for its redirects, a forged scheme). A client's
 * x-forwarded-for stays: the gateway's address is added after it, as proxies do.
 */
export const SET_BY_GATEWAY = new Set(['x-forwarded-prefix', 'x-forwarded-proto']);

export interface FunctionRouteDeps {
  readonly dispatcher: Dispatcher;
  readonly payloadLimitBytes: number;
  readonly bodies: BodyPolicy;
  readonly defaultHost: string;
}

/**
 * Splits `/fn/<name>[@<qualifier>]/<rest>?q` into the name, the qualifier (a version number
 * or an alias; undefined when none) and the function-relative path.
 */
export function parseFunctionPath(url: string): { name: string; qualifier?: string; path: string } | null {
  // url starts with '/fn/'
  const rest = url.slice(4);
  const cut = rest.search(/[/?]/);
  const rawName = cut === -1 ? rest : rest.slice(0, cut);
  if (rawName === '') return null;
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    return null;
  }
  const tail = cut === -1 ? '' : rest.slice(cut);
  const path = tail === '' ? '/' : tail.startsWith('?') ? '/' + tail : tail;
  const at = name.indexOf('@');
  if (at === -1) return { name, path };
  if (at === 0 || at === name.length - 1) return null;
  return { name: name.slice(0, at), qualifier: name.slice(at + 1), path };
}

export function createFunctionRoute(deps: FunctionRouteDeps) {
  return async function handleFunction(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const target = parseFunctionPath(url);
    if (!target) {
      sendProblem(res, new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', 'no function named in the path; call /fn/<name>/<path>'), url);
      return;
    }
    let body: Buffer | null = null;
    let upload: UploadStream | undefined;
    // The common bodiless GET goes on at once, without a turn through a promise.
    if (isBodiless(req)) req.resume();
    else if (streamsUpload(req)) {
      if (Number(req.headers['content-length'] ?? 0) > deps.payloadLimitBytes) {
        req.resume();
        sendProblem(res, new NimbusError('NIMBUS_ERR_PAYLOAD_TOO_LARGE', `the request body exceeds the ${deps.payloadLimitBytes}-byte limit`, { extra: { limit: deps.payloadLimitBytes } }), url);
        return;
      }
      upload = new UploadStream(req, deps.payloadLimitBytes);
    } else {
      try {
        body = await readBody(req, deps.payloadLimitBytes, deps.bodies);
      } catch (error) {
        sendProblem(res, error, url);
        return;
      }
    }
    const headers: Array<[string, string]> = [];
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      const lower = raw[i].toLowerCase();
      if (!HOP_BY_HOP.has(lower) && !SET_BY_GATEWAY.has(lower)) headers.push([raw[i], raw[i + 1]]);
    }
    const sourceIp = req.socket.remoteAddress ?? '';
    headers.push(['x-forwarded-prefix', `/fn/${encodeURIComponent(target.name)}${target.qualifier === undefined ? '' : '@' + encodeURIComponent(target.qualifier)}`]);
    headers.push(['x-forwarded-for', sourceIp]);
    headers.push(['x-forwarded-proto', 'http']);
    const request: HttpRequestData = {
      method: req.method ?? 'GET',
      url: `http://${req.headers.host ?? deps.defaultHost}${target.path}`,
      headers,
      body: body === null ? null : new Uint8Array(body.buffer, body.byteOffset, body.byteLength),
      ...(upload === undefined ? {} : { stream: upload }),
    };
    let streaming = false;
    const outcome = await deps.dispatcher.invoke({
      functionName: target.name,
      qualifier: target.qualifier,
      trigger: 'http',
      triggerSource: `${request.method} ${url.split('?')[0]}`,
      input: { kind: 'http', request, sourceIp },
      requestBytes: body?.byteLength ?? 0,
      clientGone: new Promise<void>((resolve) => res.once('close', resolve)),
      respond: (http, invocationId) => {
        if (http.webSocket !== undefined) return Promise.reject(new NimbusError('NIMBUS_ERR_BAD_RESPONSE', 'the function answered with a WebSocket (status 101) a request that did not ask to upgrade'));
        const sent = sendStream(res, http, responseHead(http, invocationId, false), req.method !== 'HEAD' && http.status !== 204 && http.status !== 304);
        streaming = res.headersSent;
        return sent;
      },
    });
    // a streamed response has been sent, or cut off where it failed
    if (streaming) return;
    const idHeader = { 'x-nimbus-invocation-id': outcome.invocationId };
    if (!outcome.ok) {
      sendProblem(res, outcome.error, url, idHeader, problemExtras(outcome.error, outcome.invocationId));
      return;
    }
    const response = outcome.http;
    if (!response) {
      sendProblem(res, new NimbusError('NIMBUS_ERR_INTERNAL', 'no response was produced'), url, idHeader);
      return;
    }
    // The dispatcher checked the headers and the size (and recorded a failure); this is the backstop.
    const bodiless = response.status === 204 || response.status === 304;
    const out = responseHead(response, outcome.invocationId, true);
    try {
      res.writeHead(response.status, response.statusText || undefined, out);
    } catch (error) {
      res.statusMessage = '';
      for (const name of res.getHeaderNames()) res.removeHeader(name);
      sendProblem(res, new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `the function's response head cannot be sent: ${(error as Error).message}`), url, idHeader);
      return;
    }
    res.end(req.method === 'HEAD' || bodiless ? undefined : response.body);
  };
}

/**
 * The response's headers as writeHead takes them, flat [name, value, name, value, …]: the
 * function's own without hop-by-hop ones, and the invocation id (the platform's, not the
 * function's to set). A buffered body gets its Content-Length; 204 and 304 have no body
 * (RFC 9110), so no Content-Length claims one; a streamed body goes chunked.
 */
export function responseHead(response: HttpResponseData, invocationId: string, buffered: boolean): string[] {
  const out: string[] = [];
  for (const [k, v] of response.headers) {
    const lower = k.toLowerCase();
    if (!HOP_BY_HOP.has(lower) && lower !== 'x-nimbus-invocation-id') out.push(k, v);
  }
  out.push('x-nimbus-invocation-id', invocationId);
  if (buffered && response.status !== 204 && response.status !== 304) out.push('content-length', String(response.body.byteLength));
  return out;
}

/** What the caller may learn of a failed invocation: the error's own name and message, and the id to look it up. */
export function problemExtras(error: NimbusError, invocationId: string): Record<string, unknown> {
  const extras: Record<string, unknown> = { invocationId };
  if (typeof error.extra.errorName === 'string') extras.errorName = error.extra.errorName;
  if (typeof error.extra.errorMessage === 'string') extras.errorMessage = error.extra.errorMessage;
  return extras;
}
