/**
 * `/fn/<name>/<path>`: the hot path. The function sees its own path (the
 * `/fn/<name>` prefix stripped, as a Hono or Workers app expects) and the prefix in
 * `x-forwarded-prefix`. Every response carries `x-nimbus-invocation-id`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NimbusError } from '../core/errors.ts';
import type { Dispatcher } from '../dispatch/dispatcher.ts';
import type { HttpRequestData } from '../runtime/port.ts';
import { isBodiless, readBody } from './body.ts';
import { sendProblem } from './problem.ts';

/** Headers about the client↔gateway connection, not meant for the function or the client. */
const HOP_BY_HOP = new Set([
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

export interface FunctionRouteDeps {
  readonly dispatcher: Dispatcher;
  readonly payloadLimitBytes: number;
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
    // The common bodiless GET goes on at once, without a turn through a promise.
    if (isBodiless(req)) req.resume();
    else {
      try {
        body = await readBody(req, deps.payloadLimitBytes);
      } catch (error) {
        sendProblem(res, error, url);
        return;
      }
    }
    const headers: Array<[string, string]> = [];
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) {
      if (!HOP_BY_HOP.has(raw[i].toLowerCase())) headers.push([raw[i], raw[i + 1]]);
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
    };
    const outcome = await deps.dispatcher.invoke({
      functionName: target.name,
      qualifier: target.qualifier,
      trigger: 'http',
      triggerSource: `${request.method} ${url.split('?')[0]}`,
      input: { kind: 'http', request, sourceIp },
      requestBytes: body?.byteLength ?? 0,
    });
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
    if (response.body.byteLength > deps.payloadLimitBytes) {
      sendProblem(
        res,
        new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `the function's response body is ${response.body.byteLength} bytes; the limit is ${deps.payloadLimitBytes}`),
        url,
        idHeader,
      );
      return;
    }
    // Flat [name, value, name, value, …] as writeHead takes it.
    const out: string[] = [];
    for (const [k, v] of response.headers) if (!HOP_BY_HOP.has(k.toLowerCase())) out.push(k, v);
    out.push('x-nimbus-invocation-id', outcome.invocationId, 'content-length', String(response.body.byteLength));
    res.writeHead(response.status, response.statusText || undefined, out);
    res.end(req.method === 'HEAD' ? undefined : response.body);
  };
}

/** What the caller may learn of a failed invocation: the error's own name and message, and the id to look it up. */
export function problemExtras(error: NimbusError, invocationId: string): Record<string, unknown> {
  const extras: Record<string, unknown> = { invocationId };
  if (typeof error.extra.errorName === 'string') extras.errorName = error.extra.errorName;
  if (typeof error.extra.errorMessage === 'string') extras.errorMessage = error.extra.errorMessage;
  return extras;
}
