/**
 * Lambda's alias operations (/2015-03-31/functions/{name}/aliases…): CreateAlias, GetAlias,
 * UpdateAlias, ListAliases, DeleteAlias, over the same Releases service as the REST API
 * (releases/releases.ts). The routing mapping is in alias-routing.ts.
 */
import { isNimbusError } from '../../core/errors.ts';
import type { FunctionAlias } from '../../core/types.ts';
import type { Releases } from '../../releases/releases.ts';
import { aliasRevisionId, aliasVersionOf, routesOf, routingOf } from './alias-routing.ts';
import { AwsError, awsErr, lambdaErrorOf } from './errors.ts';
import { functionArn, notFound, onlyKnown, pageArgs, parseFunctionName } from './lambda-functions.ts';
import { jsonBody, str, type AwsContext, type AwsRequest, type AwsResponse } from './protocol.ts';

const CREATE_FIELDS = new Set(['Name', 'FunctionVersion', 'Description', 'RoutingConfig']);
const UPDATE_FIELDS = new Set(['FunctionVersion', 'Description', 'RoutingConfig', 'RevisionId']);

function releasesOf(ctx: AwsContext): Releases {
  if (!ctx.api.releases) throw new AwsError(500, 'ServiceException', 'releases are not wired on this platform', { Type: 'Service' });
  return ctx.api.releases;
}

function additionalWeights(body: Record<string, unknown>): unknown {
  const rc = body.RoutingConfig;
  if (rc === undefined || rc === null) return undefined;
  if (typeof rc !== 'object' || Array.isArray(rc)) throw awsErr.invalidParameter('RoutingConfig must be an object');
  return (rc as Record<string, unknown>).AdditionalVersionWeights ?? {};
}

/** Errors of the releases service in Lambda's words, naming the ARN as Lambda does. */
async function translated<T>(ctx: AwsContext, name: string, alias: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isNimbusError(error)) {
      if (error.code === 'NIMBUS_ERR_FUNCTION_NOT_FOUND') throw notFound(ctx, name);
      if (error.code === 'NIMBUS_ERR_ALIAS_NOT_FOUND') throw awsErr.lambdaNotFound(`Alias not found: ${functionArn(ctx, name, alias)}`);
      if (error.code === 'NIMBUS_ERR_VERSION_NOT_FOUND') throw awsErr.lambdaNotFound(`Function not found: ${functionArn(ctx, name)} (${error.message})`);
    }
    throw lambdaErrorOf(error);
  }
}

/** The Lambda alias Descriptions of a function, by alias name. */
async function descriptionsOf(ctx: AwsContext, name: string): Promise<Readonly<Record<string, string>>> {
  return (await ctx.meta.metaOf(name)).aliasDescriptions ?? {};
}

function configurationOf(ctx: AwsContext, a: FunctionAlias, descriptions: Readonly<Record<string, string>>): Record<string, unknown> {
  return {
    AliasArn: functionArn(ctx, a.functionName, a.name),
    Name: a.name,
    ...routingOf(a.routes),
    // An alias may be named as a member of every object (`constructor`, `toString`): only the function's own descriptions count.
    Description: Object.hasOwn(descriptions, a.name) ? descriptions[a.name] : '',
    RevisionId: aliasRevisionId(a),
  };
}

async function setDescription(ctx: AwsContext, name: string, alias: string, description: string | undefined): Promise<void> {
  if (description === undefined) return;
  await ctx.meta.set(name, (meta) => {
    const { [alias]: _old, ...rest } = meta.aliasDescriptions ?? {};
    return { aliasDescriptions: description === '' ? rest : { ...rest, [alias]: description } };
  });
}

async function forgetDescription(ctx: AwsContext, name: string, alias: string): Promise<void> {
  if (!Object.hasOwn(await descriptionsOf(ctx, name), alias)) return;
  await ctx.meta.set(name, (meta) => {
    const { [alias]: _gone, ...rest } = meta.aliasDescriptions ?? {};
    return { aliasDescriptions: rest };
  });
}

function nameOf(req: AwsRequest): string {
  const { name, qualifier } = parseFunctionName(req.params.name);
  if (qualifier !== undefined) throw awsErr.invalidParameter('FunctionName must not carry a qualifier for alias operations');
  return name;
}

export async function createAlias(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const body = jsonBody(req);
  onlyKnown(body, CREATE_FIELDS, 'CreateAlias');
  const name = nameOf(req);
  const alias = str(body, 'Name', true)!;
  const routes = routesOf(aliasVersionOf(str(body, 'FunctionVersion', true), 'FunctionVersion'), additionalWeights(body));
  const description = str(body, 'Description');
  const releases = releasesOf(ctx);
  const existing = await translated(ctx, name, alias, async () => (await releases.listAliases(name)).find((a) => a.name === alias));
  if (existing) throw awsErr.conflict(`Alias already exists: ${functionArn(ctx, name, alias)}`);
  const saved = await translated(ctx, name, alias, () => releases.setAlias(name, alias, routes));
  await forgetDescription(ctx, name, alias);
  await setDescription(ctx, name, alias, description);
  return { status: 201, body: configurationOf(ctx, saved, await descriptionsOf(ctx, name)) };
}

export async function getAlias(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const name = nameOf(req);
  const alias = req.params.alias;
  const found = await translated(ctx, name, alias, () => releasesOf(ctx).getAlias(name, alias));
  return { status: 200, body: configurationOf(ctx, found, await descriptionsOf(ctx, name)) };
}

/** FunctionVersion and RoutingConfig each keep their current value when absent; `RoutingConfig: {}` removes the split. */
export async function updateAlias(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const body = jsonBody(req);
  onlyKnown(body, UPDATE_FIELDS, 'UpdateAlias');
  const name = nameOf(req);
  const alias = req.params.alias;
  const description = str(body, 'Description');
  const releases = releasesOf(ctx);
  const current = await translated(ctx, name, alias, () => releases.getAlias(name, alias));
  const revision = str(body, 'RevisionId');
  if (revision !== undefined && revision !== aliasRevisionId(current)) {
    throw new AwsError(412, 'PreconditionFailedException', `The Revision Id provided does not match the latest Revision Id of ${functionArn(ctx, name, alias)}: call GetAlias to get the latest one`, { Type: 'User' });
  }
  const now = routingOf(current.routes);
  const primary = body.FunctionVersion == null ? Number(now.FunctionVersion) : aliasVersionOf(body.FunctionVersion, 'FunctionVersion');
  const weights = body.RoutingConfig == null ? now.RoutingConfig?.AdditionalVersionWeights : additionalWeights(body);
  const routes = routesOf(primary, weights);
  const saved = await translated(ctx, name, alias, () => releases.setAlias(name, alias, routes));
  await setDescription(ctx, name, alias, description);
  return { status: 200, body: configurationOf(ctx, saved, await descriptionsOf(ctx, name)) };
}

/** Sorted by name; `Marker` is the last name of the previous page. `FunctionVersion` keeps aliases whose primary is that version. */
export async function listAliases(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const name = nameOf(req);
  const { marker, max } = pageArgs(req);
  const version = req.query.get('FunctionVersion');
  const aliases = await translated(ctx, name, '', () => releasesOf(ctx).listAliases(name));
  const descriptions = await descriptionsOf(ctx, name);
  const all = aliases
    .map((a) => configurationOf(ctx, a, descriptions))
    .filter((c) => version === null || c.FunctionVersion === version)
    .sort((a, b) => (String(a.Name) < String(b.Name) ? -1 : 1));
  const rest = marker === null ? all : all.filter((c) => String(c.Name) > marker);
  const page = rest.slice(0, max);
  return { status: 200, body: { Aliases: page, ...(rest.length > max ? { NextMarker: page[page.length - 1].Name } : {}) } };
}

/** As on Lambda, deleting an alias that does not exist succeeds; an unknown function is ResourceNotFoundException. */
export async function deleteAlias(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const name = nameOf(req);
  const alias = req.params.alias;
  try {
    await translated(ctx, name, alias, () => releasesOf(ctx).deleteAlias(name, alias));
  } catch (error) {
    if (!(error instanceof AwsError && error.message.startsWith('Alias not found'))) throw error;
  }
  await forgetDescription(ctx, name, alias);
  return { status: 204 };
}
