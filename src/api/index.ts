/** The control API's HTTP handler: auth, routing, JSON in and out, problems for errors. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { NimbusError, isNimbusError } from '../core/errors.ts';
import { readBody } from '../gateway/body.ts';
import { sendProblem } from '../gateway/problem.ts';
import { bearerGuard } from './auth.ts';
import type { ApiDeps } from './context.ts';
import { asyncRoutes } from './async.ts';
import { dlqRoutes } from './dlq.ts';
import { eventRoutes } from './events.ts';
import { functionRoutes } from './functions.ts';
import { invocationRoutes } from './invocations.ts';
import { OPENAPI } from './openapi.ts';
import { releaseRoutes } from './releases.ts';
import { scaleRoutes } from './scale.ts';
import { Router, type ApiRequest, type RouteDef } from './router.ts';
import { triggerRoutes } from './triggers.ts';
import { taskCallbackRoutes, workflowRoutes } from './workflows.ts';
import { observeRoutes } from './observe.ts';
import { jsonHasInfinity, parseJsonBounded } from '../core/json-depth.ts';
import { awsKeyRoutes } from './aws-keys.ts';
import { clusterRoutes } from './cluster.ts';
import { runtimeRoutes } from './runtimes.ts';

export interface ApiOptions {
  readonly token: string;
  readonly apiBodyLimitBytes: number;
  /** Errors that are not the caller's (no NimbusError): the answer says the platform log has them. */
  readonly onError: (error: unknown, req: IncomingMessage) => void;
  /** Extra routes contributed by other parts (triggers, workflows, usage…). */
  readonly extraRoutes?: readonly RouteDef[];
}

export function apiRoutes(deps: ApiDeps, extra: readonly RouteDef[] = []): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/openapi.json',
      operationId: 'getOpenApi',
      public: true,
      handler: async () => ({ status: 200, body: OPENAPI }),
    },
    ...functionRoutes(deps),
    ...scaleRoutes(deps),
    ...releaseRoutes(deps),
    ...invocationRoutes(deps),
    ...asyncRoutes(deps),
    ...dlqRoutes(deps),
    ...eventRoutes(deps),
    ...triggerRoutes(deps),
    ...workflowRoutes(deps),
    ...taskCallbackRoutes(deps),
    ...observeRoutes(deps),
    ...awsKeyRoutes(deps),
    ...clusterRoutes(deps),
    ...runtimeRoutes(deps),
    ...extra,
  ];
}

export function createApi(deps: ApiDeps, options: ApiOptions) {
  const router = new Router(apiRoutes(deps, options.extraRoutes));
  const authorize = bearerGuard(options.token);

  return async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    try {
      const { route, params } = router.match(req.method ?? 'GET', path);
      if (!route.public) authorize(req.headers);
      const apiReq: ApiRequest = {
        method: req.method ?? 'GET',
        path,
        params,
        query: new URLSearchParams(q === -1 ? '' : rawUrl.slice(q + 1)),
        headers: req.headers,
        raw: req,
        json: async () => {
          const type = req.headers['content-type'] ?? '';
          if (type !== '' && !/^application\/([\w.+-]+\+)?json\b/i.test(type)) {
            req.resume();
            throw new NimbusError('NIMBUS_ERR_UNSUPPORTED_MEDIA_TYPE', `send JSON (Content-Type: application/json), not ${type}`);
          }
          const limit = route.operationId === 'invokeFunction' ? deps.payloadLimitBytes : options.apiBodyLimitBytes;
          const body = await readBody(req, limit, deps.bodies);
          if (body === null || body.length === 0) return null;
          const text = body.toString('utf8');
          const value = parseJsonBounded(text, 'the body');
          if (jsonHasInfinity(text, value)) {
            throw new NimbusError('NIMBUS_ERR_BAD_REQUEST', 'the body has a number too large for a double (such as 1e309): it would reach its destination as null; send it as a string');
          }
          return value;
        },
      };
      const out = await route.handler(apiReq, res);
      if ('streamed' in out) return;
      if ('problem' in out) {
        sendProblem(res, out.problem, path, out.headers, out.members);
        return;
      }
      if (out.body === undefined) {
        res.writeHead(out.status, out.headers);
        res.end();
        return;
      }
      const text = JSON.stringify(out.body);
      res.writeHead(out.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...out.headers });
      res.end(text);
    } catch (error) {
      if (!isNimbusError(error) || error.code === 'NIMBUS_ERR_INTERNAL') options.onError(error, req);
      sendProblem(res, error, path);
    }
  };
}
