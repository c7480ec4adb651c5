/**
 * Converting between the two halves of the function contract: an HTTP request for a
 * handler-only module becomes an API Gateway v2 (payload format 2.0) event and its
 * result a response; an event for a fetch-only module becomes a JSON POST and its
 * response a value.
 */
import { NimbusError } from '../core/errors.ts';
import type { HttpRequestData, HttpResponseData } from '../runtime/port.ts';
import { MAX_JSON_DEPTH, jsonValueTooDeep } from '../core/json-depth.ts';

const TEXT_TYPES = /^(text\/|application\/(json|[\w.+-]+\+json|xml|[\w.+-]+\+xml|javascript|x-www-form-urlencoded|graphql))/i;

export function isTextContentType(contentType: string | undefined): boolean {
  return contentType === undefined || contentType === '' || TEXT_TYPES.test(contentType);
}

export interface EventContext {
  readonly requestId: string;
  readonly now: number;
  readonly sourceIp: string;
}

/** The API Gateway HTTP API (v2) event for a request; header names lower-cased, repeats joined by commas. */
export function toApiGatewayV2Event(req: HttpRequestData, ctx: EventContext): Record<string, unknown> {
  const url = new URL(req.url);
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [rawName, value] of req.headers) {
    const name = rawName.toLowerCase();
    if (name === 'cookie') {
      cookies.push(...value.split(/;\s*/).filter(Boolean));
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const binary = req.body !== null && !isTextContentType(headers['content-type']);
  const event: Record<string, unknown> = {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: 'nimbus',
      apiId: 'nimbus',
      domainName: url.host,
      domainPrefix: url.hostname.split('.')[0],
      http: {
        method: req.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: ctx.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: ctx.requestId,
      routeKey: '$default',
      stage: '$default',
      time: new Date(ctx.now).toISOString(),
      timeEpoch: ctx.now,
    },
    isBase64Encoded: binary,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (Object.keys(query).length > 0) event.queryStringParameters = query;
  if (req.body !== null) event.body = Buffer.from(req.body).toString(binary ? 'base64' : 'utf8');
  return event;
}

const encoder = new TextEncoder();

/**
 * A handler's result as an HTTP response, as API Gateway v2 does it: an object with a
 * numeric statusCode is a response description; anything else is a 200 JSON body.
 */
/** Base64 as Buffer decodes it: standard or URL-safe alphabet, padding optional. */
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

export function fromHandlerResult(value: unknown): HttpResponseData {
  // As API Gateway: an object with a statusCode is a response (a malformed one is an error);
  // any other value is the body of a 200.
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && 'statusCode' in value) {
    const r = value as {
      statusCode: number;
      headers?: Record<string, unknown>;
      multiValueHeaders?: Record<string, unknown[]>;
      cookies?: unknown[];
      body?: unknown;
      isBase64Encoded?: boolean;
    };
    if (typeof r.statusCode !== 'number' || !Number.isInteger(r.statusCode) || r.statusCode < 200 || r.statusCode > 599) {
      throw new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `handler returned statusCode ${JSON.stringify(r.statusCode)}; use a number from 200 to 599`);
    }
    const noBody = r.body === undefined || r.body === null;
    if (r.isBase64Encoded === true && !noBody && (typeof r.body !== 'string' || !BASE64.test(r.body.replace(/\s+/g, '')))) {
      throw new NimbusError('NIMBUS_ERR_BAD_RESPONSE', 'handler returned isBase64Encoded: true with a body that is not base64 text');
    }
    const headers: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(r.headers ?? {})) if (v !== undefined && v !== null) headers.push([k, String(v)]);
    for (const [k, vs] of Object.entries(r.multiValueHeaders ?? {})) for (const v of vs ?? []) headers.push([k, String(v)]);
    for (const c of r.cookies ?? []) headers.push(['set-cookie', String(c)]);
    let body: Uint8Array;
    if (noBody) body = new Uint8Array(0);
    else if (typeof r.body === 'string') body = r.isBase64Encoded ? Buffer.from(r.body, 'base64') : encoder.encode(r.body);
    else {
      body = encoder.encode(JSON.stringify(r.body));
      if (!headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['content-type', 'application/json']);
    }
    return { status: r.statusCode, statusText: '', headers, body };
  }
  const json = value === undefined ? '' : JSON.stringify(value);
  return {
    status: 200,
    statusText: 'OK',
    headers: [['content-type', 'application/json']],
    body: encoder.encode(json ?? ''),
  };
}

/** An event for a fetch-only module: a JSON POST to the function's root. */
export function eventToRequest(event: unknown, functionName: string, host: string): HttpRequestData {
  return {
    method: 'POST',
    url: `http://${host}/`,
    headers: [
      ['content-type', 'application/json'],
      ['x-nimbus-function', functionName],
    ],
    body: encoder.encode(JSON.stringify(event ?? null)),
  };
}

/**
 * Lambda's error object (`{errorMessage, errorType, stackTrace?}`) when a failed answer's
 * JSON body is one, as the python Lambda bootstrap (src/api/aws) answers a raised exception.
 */
function lambdaErrorOf(text: string): { errorMessage: string; errorType: string; stackTrace: string[]; requestId?: string } | null {
  if (!text.startsWith('{') || text.length > 64 * 1024) return null;
  try {
    const body = JSON.parse(text) as Record<string, unknown>;
    if (typeof body.errorType !== 'string' || typeof body.errorMessage !== 'string' || body.errorType === '') return null;
    const trace = Array.isArray(body.stackTrace) ? body.stackTrace.filter((l): l is string => typeof l === 'string').slice(0, 100) : [];
    const requestId = typeof body.requestId === 'string' ? { requestId: body.requestId.slice(0, 100) } : {};
    return { errorMessage: body.errorMessage.slice(0, 4096), errorType: body.errorType.slice(0, 256), ...requestId, stackTrace: trace.map((l) => l.slice(0, 1000)) };
  } catch {
    return null;
  }
}

/**
 * A fetch response as an event result: JSON parsed, text as a string; 4xx/5xx are errors,
 * named `Http<status>`, or by the `errorType` of a Lambda error object in the body.
 */
export function responseToValue(res: HttpResponseData): unknown {
  const type = res.headers.find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  const text = new TextDecoder().decode(res.body);
  if (res.status >= 400) {
    const lambda = /json/i.test(type) ? lambdaErrorOf(text) : null;
    if (lambda !== null) {
      throw new NimbusError('NIMBUS_ERR_FUNCTION_ERROR', `${lambda.errorType}: ${lambda.errorMessage.slice(0, 200)}`, {
        extra: { errorName: lambda.errorType, errorMessage: lambda.errorMessage, lambdaError: lambda },
      });
    }
    throw new NimbusError('NIMBUS_ERR_FUNCTION_ERROR', `the function answered HTTP ${res.status}: ${text.slice(0, 200)}`, {
      extra: { errorName: `Http${res.status}`, errorMessage: text.slice(0, 1000) },
    });
  }
  if (/json/i.test(type)) {
    if (text === '') return null;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return text;
    }
    if (jsonValueTooDeep(value)) throw new NimbusError('NIMBUS_ERR_BAD_RESPONSE', `the function's JSON response nests deeper than ${MAX_JSON_DEPTH} levels`);
    return value;
  }
  return text;
}
