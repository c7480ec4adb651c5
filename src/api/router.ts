/**
 * The control API's routing table: each route is method + path template + handler,
 * compiled to a regular expression once at start. The same table feeds the
 * OpenAPI test, so the document cannot drift from the routes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NimbusError } from '../core/errors.ts';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly raw: IncomingMessage;
  /** Parses the JSON body (bounded); rejects with a 400/413/415 problem. */
  json(): Promise<unknown>;
}

/** The caller's W3C `traceparent`, as an option to spread into a call (empty when absent). */
export function traceOption(req: ApiRequest): { traceparent?: string } {
  const tp = req.headers.traceparent;
  return typeof tp === 'string' ? { traceparent: tp } : {};
}

export type ApiResponse =
  | { readonly status: number; readonly body?: unknown; readonly headers?: Record<string, string> }
  /** An error answer that carries headers or members beyond the error's own. */
  | { readonly problem: unknown; readonly headers?: Record<string, string>; readonly members?: Record<string, unknown> }
  /** The handler wrote to the response itself (e.g. a stream). */
  | { readonly streamed: true };

export type ApiHandler = (req: ApiRequest, res: ServerResponse) => Promise<ApiResponse>;

export interface RouteDef {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI-style template, e.g. /api/v1/functions/{name} */
  readonly path: string;
  readonly operationId: string;
  readonly public?: boolean;
  readonly handler: ApiHandler;
}

interface Compiled extends RouteDef {
  readonly regex: RegExp;
  readonly names: readonly string[];
}

export interface Match {
  readonly route: RouteDef;
  readonly params: Record<string, string>;
}

export class Router {
  private readonly compiled: Compiled[];

  constructor(readonly routes: readonly RouteDef[]) {
    this.compiled = routes.map((r) => {
      const names: string[] = [];
      const pattern = r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, n: string) => {
        names.push(n);
        return '([^/]+)';
      });
      return { ...r, regex: new RegExp(`^${pattern}$`), names };
    });
  }

  /** Finds the route; a known path with another method is a 405 that lists the allowed ones. */
  match(method: string, path: string): Match {
    const allowed: string[] = [];
    for (const r of this.compiled) {
      const m = r.regex.exec(path);
      if (!m) continue;
      if (r.method !== method) {
        allowed.push(r.method);
        continue;
      }
      const params: Record<string, string> = {};
      try {
        r.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1])));
      } catch {
        throw new NimbusError('NIMBUS_ERR_BAD_REQUEST', `the path ${path} is not valid percent-encoding`);
      }
      return { route: r, params };
    }
    if (allowed.length > 0) {
      throw new NimbusError('NIMBUS_ERR_METHOD_NOT_ALLOWED', `${method} is not allowed on ${path}; use ${allowed.join(' or ')}`, {
        extra: { allow: allowed },
      });
    }
    throw new NimbusError('NIMBUS_ERR_NOT_FOUND', `no API route ${method} ${path}; GET /api/v1/openapi.json lists them`);
  }
}
