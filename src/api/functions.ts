/** /api/v1/functions: deploy, list, describe, delete, invoke. */
import { NimbusError } from '../core/errors.ts';
import type { DeploySource } from '../deploy/deployer.ts';
import { problemExtras } from '../gateway/function-route.ts';
import type { ApiDeps } from './context.ts';
import { traceOption, type RouteDef } from './router.ts';
import { assertValid } from './schemas.ts';
import { prepareDeployExtras, submitAsync, wantsAsync } from './async.ts';

interface DeployBody {
  source: { files: Record<string, string>; entry: string } | { bundle: string; sourceMap?: string; packages?: { files: Record<string, string>; executable?: string[] } } | { app: { files: Record<string, string>; executable?: string[] } };
  config?: Record<string, unknown>;
  /** Async policy and declared triggers (docs/triggers.md), kept next to the code. */
  async?: unknown;
  triggers?: unknown;
}

async function mustExist(deps: ApiDeps, name: string) {
  const info = await deps.store.functions.get(name);
  if (!info) throw new NimbusError('NIMBUS_ERR_FUNCTION_NOT_FOUND', `function "${name}" does not exist; \`nimbus ls\` lists the deployed ones`);
  return info;
}

export function functionRoutes(deps: ApiDeps): RouteDef[] {
  const urlOf = (name: string) => `${deps.publicUrl()}/fn/${encodeURIComponent(name)}/`;
  return [
    {
      method: 'GET',
      path: '/api/v1/functions',
      operationId: 'listFunctions',
      handler: async () => {
        const infos = await deps.store.functions.list();
        const items = await Promise.all(
          infos.map(async (info) => {
            const version = await deps.store.functions.getVersion(info.name, info.currentVersion);
            const instances = deps.pools.statsFor(info.name).reduce((n, p) => n + p.ready, 0);
            const scaleOverride = await deps.store.functions.getScale(info.name);
            return { ...info, config: version?.config, scaleOverride, instances };
          }),
        );
        return { status: 200, body: { items } };
      },
    },
    {
      method: 'PUT',
      path: '/api/v1/functions/{name}',
      operationId: 'deployFunction',
      handler: async (req) => {
        const body = assertValid<DeployBody>('DeployRequest', await req.json());
        const source: DeploySource =
          'app' in body.source
            ? { kind: 'app', app: body.source.app }
            : 'bundle' in body.source
              ? { kind: 'bundle', code: body.source.bundle, ...(body.source.sourceMap === undefined ? {} : { sourceMap: body.source.sourceMap }), ...(body.source.packages === undefined ? {} : { packages: body.source.packages }) }
              : { kind: 'files', files: body.source.files, entry: body.source.entry };
        const applyExtras = await prepareDeployExtras(deps, req.params.name, body);
        const result = await deps.deployer.deploy({ name: req.params.name, source, config: body.config });
        await applyExtras();
        return {
          status: result.created ? 201 : 200,
          body: { name: req.params.name, version: result.version, created: result.created, warnings: result.warnings, url: urlOf(req.params.name) },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/functions/{name}',
      operationId: 'getFunction',
      handler: async (req) => {
        const info = await mustExist(deps, req.params.name);
        const versions = await deps.store.functions.listVersions(info.name);
        const current = versions.find((v) => v.version === info.currentVersion);
        const scaleOverride = await deps.store.functions.getScale(info.name);
        const aliases = await deps.store.aliases.list(info.name);
        const secrets = Object.keys(await deps.store.functions.getSecrets(info.name, info.currentVersion)).sort();
        return {
          status: 200,
          body: { ...info, url: urlOf(info.name), current, versions, scaleOverride, pools: deps.pools.statsFor(info.name), aliases, secrets },
        };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/functions/{name}/versions',
      operationId: 'listFunctionVersions',
      handler: async (req) => {
        await mustExist(deps, req.params.name);
        return { status: 200, body: { items: await deps.store.functions.listVersions(req.params.name) } };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/functions/{name}',
      operationId: 'deleteFunction',
      handler: async (req) => {
        if (!(await deps.deployer.remove(req.params.name))) await mustExist(deps, req.params.name);
        await deps.asyncSystem?.forgetFunction(req.params.name);
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/functions/{name}/invoke',
      operationId: 'invokeFunction',
      handler: async (req) => {
        if (wantsAsync(req)) return submitAsync(deps, req);
        const event = await req.json();
        const outcome = await deps.dispatcher.invoke({
          functionName: req.params.name,
          trigger: 'api',
          triggerSource: 'POST /api/v1/functions/{name}/invoke',
          input: { kind: 'event', event },
          requestBytes: Number(req.headers['content-length'] ?? 0),
          ...traceOption(req),
        });
        const headers = { 'x-nimbus-invocation-id': outcome.invocationId };
        if (!outcome.ok) return { problem: outcome.error, headers, members: problemExtras(outcome.error, outcome.invocationId) };
        return { status: 200, body: outcome.value ?? null, headers };
      },
    },
  ];
}
