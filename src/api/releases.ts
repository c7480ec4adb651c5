/**
 * /api/v1/functions/{name}/aliases, …/rollback and …/secrets (releases/releases.ts). A
 * secret's value goes in and never comes out: answers name secrets, never show them.
 */
import { NimbusError } from '../core/errors.ts';
import type { DeployResult } from '../deploy/deployer.ts';
import type { ApiDeps } from './context.ts';
import type { RouteDef } from './router.ts';
import { assertValid } from './schemas.ts';

function releasesOf(deps: ApiDeps) {
  if (!deps.releases) throw new NimbusError('NIMBUS_ERR_INTERNAL', 'releases are not wired on this platform');
  return deps.releases;
}

/** A new version made by a secret change: its number, never its secrets. */
function versionMade(result: DeployResult) {
  return { status: result.created ? 201 : 200, body: { version: result.version.version, created: result.created } };
}

export function releaseRoutes(deps: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/api/v1/functions/{name}/aliases',
      operationId: 'listAliases',
      handler: async (req) => ({ status: 200, body: { items: await releasesOf(deps).listAliases(req.params.name) } }),
    },
    {
      method: 'GET',
      path: '/api/v1/functions/{name}/aliases/{alias}',
      operationId: 'getAlias',
      handler: async (req) => ({ status: 200, body: await releasesOf(deps).getAlias(req.params.name, req.params.alias) }),
    },
    {
      method: 'PUT',
      path: '/api/v1/functions/{name}/aliases/{alias}',
      operationId: 'setAlias',
      handler: async (req) => {
        const body = assertValid<{ routes: { version: number; weight: number }[] }>('SetAliasRequest', await req.json());
        return { status: 200, body: await releasesOf(deps).setAlias(req.params.name, req.params.alias, body.routes) };
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/functions/{name}/aliases/{alias}',
      operationId: 'deleteAlias',
      handler: async (req) => {
        await releasesOf(deps).deleteAlias(req.params.name, req.params.alias);
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/functions/{name}/rollback',
      operationId: 'rollbackAlias',
      handler: async (req) => {
        const body = assertValid<{ alias?: string }>('RollbackRequest', (await req.json()) ?? {});
        return { status: 200, body: await releasesOf(deps).rollback(req.params.name, body.alias ?? 'live') };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/functions/{name}/secrets',
      operationId: 'listSecrets',
      handler: async (req) => {
        const { version, names } = await releasesOf(deps).secretNames(req.params.name);
        return { status: 200, body: { version, items: names.map((name) => ({ name })) } };
      },
    },
    {
      method: 'PUT',
      path: '/api/v1/functions/{name}/secrets/{secret}',
      operationId: 'setSecret',
      handler: async (req) => {
        const body = assertValid<{ value: string }>('SetSecretRequest', await req.json());
        return versionMade(await releasesOf(deps).setSecret(req.params.name, req.params.secret, body.value));
      },
    },
    {
      method: 'DELETE',
      path: '/api/v1/functions/{name}/secrets/{secret}',
      operationId: 'deleteSecret',
      handler: async (req) => versionMade(await releasesOf(deps).removeSecret(req.params.name, req.params.secret)),
    },
  ];
}
