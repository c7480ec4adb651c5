/**
 * Lambda's function operations (REST-JSON, /2015-03-31/functions…) over the deployer and the
 * function store: CreateFunction, GetFunction, GetFunctionConfiguration, ListFunctions,
 * UpdateFunctionCode, UpdateFunctionConfiguration, DeleteFunction, PublishVersion,
 * ListVersionsByFunction. A Lambda version is a Nimbus version; `$LATEST` is the current one.
 */
import { createHash } from 'node:crypto';
import type { FunctionConfig, FunctionVersion } from '../../core/types.ts';
import { bundleTree } from '../../deploy/bundle.ts';
import type { DeploySource } from '../../deploy/deployer.ts';
import { mayHoldNativePackages } from '../../deploy/native-packages.ts';
import { AwsError, awsErr, lambdaErrorOf } from './errors.ts';
import type { LambdaMeta } from './lambda-meta.ts';
import { jsonBody, lambdaTime, str, type AwsContext, type AwsRequest, type AwsResponse } from './protocol.ts';
import { wholeNumber } from '../query.ts';
import { readZip } from './zip.ts';
import { pythonApp, pythonCommand, pythonUnavailable, PYTHON_RUNTIME } from './lambda-python.ts';

const EXPORT_NAME = /^[A-Za-z_$][\w$]*$/;
export const ENTRY = '__nimbus_lambda_entry.mjs';
const PROCESS = '__nimbus_lambda_process.mjs';

/**
 * Lambda code reads its environment from `process.env`; an isolate has no `process`. This
 * module runs before the function's own (imports evaluate in order) and gives it one; the
 * entry fills `env` from the invocation's context at each call.
 */
const PROCESS_SOURCE = 'globalThis.process ??= { env: {} };\nglobalThis.process.env ??= {};\n';

/** Exports the named handler as `handler`, keeping its arity (a 3-argument handler gets Lambda's callback). */
function entrySource(module: string, exported: string): string {
  return [
    `import './${PROCESS}';`,
    `import * as m from './${module}';`,
    `const h = m[${JSON.stringify(exported)}] ?? m.default?.[${JSON.stringify(exported)}];`,
    `if (typeof h !== 'function') throw new Error(${JSON.stringify(`Handler: ${module} does not export a function named ${exported}`)});`,
    `const withEnv = (context) => { if (context && context.env) Object.assign(globalThis.process.env, context.env); };`,
    `export const handler = h.length >= 3`,
    `  ? function (event, context, callback) { withEnv(context); return h(event, context, callback); }`,
    `  : function (event, context) { withEnv(context); return h(event, context); };`,
    '',
  ].join('\n');
}

export function functionArn(ctx: AwsContext, name: string, qualifier?: string): string {
  return `arn:aws:lambda:${ctx.region}:${ctx.accountId}:function:${name}${qualifier === undefined ? '' : ':' + qualifier}`;
}

/** FunctionName as Lambda takes it: a name, name:qualifier, a partial ARN or a full ARN. */
export function parseFunctionName(raw: string, qualifier?: string | null): { name: string; qualifier: string | undefined } {
  const m = /^(?:arn:aws[a-z-]*:lambda:[^:]*:)?(?:\d{12}:function:|[^:]*:function:)?([A-Za-z0-9_-]{1,64})(?::([$\w-]+))?$/.exec(raw);
  if (!m) throw awsErr.invalidParameter(`FunctionName ${raw} is not a function name or ARN`);
  const q = qualifier ?? m[2] ?? undefined;
  if (m[2] !== undefined && qualifier != null && qualifier !== m[2]) throw awsErr.invalidParameter('The derived qualifier from the function name does not match the specified qualifier.');
  return { name: m[1], qualifier: q };
}

export function notFound(ctx: AwsContext, name: string, qualifier?: string): AwsError {
  return awsErr.lambdaNotFound(`Function not found: ${functionArn(ctx, name, qualifier)}`);
}

/** A numeric qualifier → that version; `$LATEST`/none → current; anything else names an alias. */
export function versionOf(qualifier: string | undefined): number | undefined {
  if (qualifier === undefined || qualifier === '$LATEST') return undefined;
  if (/^\d+$/.test(qualifier)) return Number(qualifier);
  return undefined;
}

export function isAliasQualifier(qualifier: string | undefined): qualifier is string {
  return qualifier !== undefined && qualifier !== '$LATEST' && !/^\d+$/.test(qualifier);
}

/** The version a qualifier names (an alias: its primary version), or ResourceNotFoundException. */
export async function resolveVersion(ctx: AwsContext, name: string, qualifier: string | undefined): Promise<FunctionVersion> {
  const info = await ctx.api.store.functions.get(name);
  if (!info) throw notFound(ctx, name, qualifier);
  let n = versionOf(qualifier) ?? info.currentVersion;
  if (isAliasQualifier(qualifier)) {
    const alias = await ctx.api.store.aliases.get(name, qualifier);
    if (!alias) throw notFound(ctx, name, qualifier);
    n = alias.routes[0].version;
  }
  const v = await ctx.api.store.functions.getVersion(name, n);
  if (!v) throw notFound(ctx, name, qualifier);
  return v;
}

export async function configurationOf(ctx: AwsContext, v: FunctionVersion, label: string): Promise<Record<string, unknown>> {
  const meta = await ctx.meta.metaOf(v.functionName);
  return {
    FunctionName: v.functionName,
    FunctionArn: functionArn(ctx, v.functionName, label === '$LATEST' ? undefined : label),
    // Through an alias, the ARN names the alias and Version the version it points at.
    Runtime: meta.runtime,
    Role: meta.role,
    Handler: meta.handler,
    CodeSize: meta.codeSize || v.codeBytes,
    Description: meta.description,
    Timeout: Math.ceil(v.config.timeoutMs / 1000),
    MemorySize: v.config.memoryMb,
    LastModified: lambdaTime(v.createdAt),
    CodeSha256: meta.codeSha256 || Buffer.from(v.codeHash, 'hex').toString('base64'),
    Version: isAliasQualifier(label) ? String(v.version) : label,
    Environment: { Variables: { ...v.config.env } },
    RevisionId: v.hash.slice(0, 8) + '-' + v.hash.slice(8, 12) + '-' + v.hash.slice(12, 16) + '-' + v.hash.slice(16, 20) + '-' + v.hash.slice(20, 32),
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: ['x86_64'],
    EphemeralStorage: { Size: 512 },
  };
}

const CREATE_FIELDS = new Set(['FunctionName', 'Runtime', 'Role', 'Handler', 'Code', 'Description', 'Timeout', 'MemorySize', 'Publish', 'Environment', 'PackageType', 'Architectures']);
const CODE_FIELDS = new Set(['FunctionName', 'ZipFile', 'Publish', 'DryRun', 'RevisionId', 'Architectures']);
const CONFIG_FIELDS = new Set(['FunctionName', 'Role', 'Handler', 'Description', 'Timeout', 'MemorySize', 'Environment', 'Runtime', 'RevisionId']);

/** Fields Nimbus does not implement are refused by name rather than ignored. */
export function onlyKnown(body: Record<string, unknown>, known: ReadonlySet<string>, op: string): void {
  for (const [k, v] of Object.entries(body)) {
    if (v === null || v === undefined || known.has(k)) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    throw awsErr.unsupported(400, `${op}: the field ${k} is not supported by Nimbus (docs/aws.md lists what is)`);
  }
}

function runtimeOf(ctx: AwsContext, runtime: string | undefined): string {
  if (runtime === undefined) throw awsErr.invalidParameter('Runtime is required for a Zip package: use nodejs20.x (or another nodejs* runtime) or python3.*');
  if (/^nodejs\d+\.x$/.test(runtime)) return runtime;
  if (PYTHON_RUNTIME.test(runtime)) {
    const why = pythonUnavailable(ctx.processIsolation, runtime);
    if (why !== null) throw awsErr.invalidParameter(`The runtime parameter of ${runtime} is not supported by this Nimbus platform: python functions run on the app runtime, and ${why}`);
    return runtime;
  }
  throw awsErr.invalidParameter(`The runtime parameter of ${runtime} is not supported by Nimbus: nodejs* runtimes (e.g. nodejs20.x) run in V8 isolates (on the node runtime when the zip has packages with native addons), python3.* on the app runtime; others are not offered`);
}

const isPython = (runtime: string) => PYTHON_RUNTIME.test(runtime);

/** The deploy source and config of a python function's code (the app's command carries its settings). */
function pythonDeploy(ctx: AwsContext, zip: Buffer, name: string, handler: string, runtime: string, config: Record<string, unknown>, current: FunctionConfig | null): { source: DeploySource; config: Record<string, unknown> } {
  // A new python function without MemorySize or Timeout gets Lambda's defaults (128 MB, 3 s):
  // the bootstrap is told them for its context object.
  const memory = (config.memoryMb as number | undefined) ?? current?.memoryMb ?? 128;
  const timeout = (config.timeoutMs as number | undefined) ?? current?.timeoutMs ?? 3000;
  const { app, command } = pythonApp(zip, ctx.codeLimitBytes * 4, handler, runtime, name, functionArn(ctx, name), memory, timeout);
  // One call at a time per instance, as on Lambda (module globals, /tmp, print() to that call's log).
  const created = current ? {} : { concurrency: 1, memoryMb: memory, timeoutMs: timeout };
  return { source: { kind: 'app', app }, config: { ...config, ...created, runtime: 'app', app: { command } } };
}

function zipOf(body: Record<string, unknown>, where: string): Buffer {
  const code = body[where === 'Code' ? 'Code' : 'ZipFile'];
  const z = where === 'Code' ? (code as Record<string, unknown> | undefined)?.ZipFile : code;
  if (where === 'Code') {
    const c = (code ?? {}) as Record<string, unknown>;
    for (const k of ['S3Bucket', 'S3Key', 'S3ObjectVersion', 'ImageUri', 'SourceKMSKeyArn']) {
      if (c[k] != null) throw awsErr.unsupported(400, `Code.${k} is not supported by Nimbus: send the zip itself as Code.ZipFile`);
    }
  }
  if (typeof z !== 'string' || z.length === 0) throw awsErr.invalidParameter(`${where === 'Code' ? 'Code.ZipFile' : 'ZipFile'} is required (the function's zip, base64)`);
  return Buffer.from(z, 'base64');
}

/**
 * The tree to bundle: every file of the zip (its node_modules/ resolve as npm lays them out)
 * plus an entry that exports the named handler as `handler`.
 */
function sourcesOf(ctx: AwsContext, zip: Buffer, handler: string): { files: Map<string, Buffer>; entry: string } {
  const { file, exported } = handlerParts(handler);
  if (!EXPORT_NAME.test(exported)) throw awsErr.invalidParameter(`Handler ${handler} must be <file>.<export>, e.g. index.handler`);
  const files = readZip(zip, ctx.codeLimitBytes * 4);
  const module = ['.mjs', '.js', '.cjs'].map((ext) => file + ext).find((f) => files.has(f));
  if (!module) throw awsErr.invalidParameter(`Handler ${handler}: the zip has no ${file}.mjs, ${file}.js or ${file}.cjs`);
  files.set(PROCESS, Buffer.from(PROCESS_SOURCE));
  files.set(ENTRY, Buffer.from(entrySource(module, exported)));
  return { files, entry: ENTRY };
}

/**
 * The deploy of a nodejs* zip: bundled for the isolates, unless its node_modules hold a
 * package with a native addon that the code imports (found as `nimbus deploy --runtime node`
 * finds them, deploy/native-packages.ts): then built for the node runtime, those packages
 * shipped as files beside the bundle. The runtime is chosen again at every code update.
 */
async function nodeDeploy(ctx: AwsContext, zip: Buffer, handler: string, config: Record<string, unknown>): Promise<{ source: DeploySource; config: Record<string, unknown> }> {
  const tree = sourcesOf(ctx, zip, handler);
  const onIsolates = { source: { kind: 'tree', ...tree } as const, config: { ...config, runtime: 'isolate' } };
  if (!mayHoldNativePackages(tree.files.keys())) return onIsolates;
  let built;
  try {
    built = await bundleTree(tree.files, tree.entry, 'node');
  } catch (error) {
    throw lambdaErrorOf(error);
  }
  if (built.shipped === undefined) return onIsolates;
  const { files, executable } = built.shipped;
  return {
    source: { kind: 'bundle', code: built.code, ...(built.sourceMap === null ? {} : { sourceMap: built.sourceMap }), packages: { files, executable } },
    config: { ...config, runtime: 'node' },
  };
}

/** `dir/file.func` → the file (without extension) and the function it names. */
export function handlerParts(handler: string): { file: string; exported: string } {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0 || dot === handler.length - 1) throw awsErr.invalidParameter(`Handler ${handler} must be <file>.<function>, e.g. index.handler`);
  return { file: handler.slice(0, dot), exported: handler.slice(dot + 1) };
}

function configInput(body: Record<string, unknown>): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (body.MemorySize != null) config.memoryMb = body.MemorySize;
  if (body.Timeout != null) {
    if (typeof body.Timeout !== 'number') throw awsErr.invalidParameter('Timeout must be a number of seconds');
    config.timeoutMs = body.Timeout * 1000;
  }
  if (body.Environment != null) {
    const vars = (body.Environment as { Variables?: unknown }).Variables ?? {};
    if (typeof vars !== 'object' || vars === null) throw awsErr.invalidParameter('Environment.Variables must be a map of strings');
    config.env = vars;
  }
  return config;
}

function zipMeta(zip: Buffer): Pick<LambdaMeta, 'codeSha256' | 'codeSize'> {
  return { codeSha256: createHash('sha256').update(zip).digest('base64'), codeSize: zip.length };
}

async function deploy(ctx: AwsContext, name: string, source: DeploySource, config: Record<string, unknown>): Promise<FunctionVersion> {
  try {
    return (await ctx.api.deployer.deploy({ name, source, config })).version;
  } catch (error) {
    throw lambdaErrorOf(error);
  }
}

async function publishLabel(ctx: AwsContext, v: FunctionVersion, publish: unknown): Promise<string> {
  if (publish !== true) return '$LATEST';
  await ctx.meta.set(v.functionName, (meta) => (meta.published.includes(v.version) ? {} : { published: [...meta.published, v.version] }));
  return String(v.version);
}

export async function createFunction(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const body = jsonBody(req);
  onlyKnown(body, CREATE_FIELDS, 'CreateFunction');
  const named = parseFunctionName(str(body, 'FunctionName', true)!);
  if (named.qualifier !== undefined) throw awsErr.invalidParameter(`FunctionName ${String(body.FunctionName)} names a version or alias; CreateFunction takes the function's name alone`);
  const name = named.name;
  if (body.PackageType != null && body.PackageType !== 'Zip') throw awsErr.unsupported(400, 'PackageType Image is not supported by Nimbus: send a Zip package');
  const runtime = runtimeOf(ctx, str(body, 'Runtime'));
  const handler = str(body, 'Handler') ?? 'index.handler';
  // Every field is checked before anything is deployed: a refused request leaves no function behind.
  const [role, description] = [str(body, 'Role') ?? '', str(body, 'Description') ?? ''];
  const zip = zipOf(body, 'Code');
  if (await ctx.api.store.functions.get(name)) throw awsErr.conflict(`Function already exist: ${name}`);
  const built = isPython(runtime) ? pythonDeploy(ctx, zip, name, handler, runtime, configInput(body), null) : await nodeDeploy(ctx, zip, handler, configInput(body));
  const version = await deploy(ctx, name, built.source, built.config);
  await ctx.meta.set(name, { runtime, handler, role, description, ...zipMeta(zip), published: [], reservedConcurrency: null });
  return { status: 201, body: await configurationOf(ctx, version, await publishLabel(ctx, version, body.Publish)) };
}

export async function getFunction(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const { name, qualifier } = parseFunctionName(req.params.name, req.query.get('Qualifier'));
  const v = await resolveVersion(ctx, name, qualifier);
  const reserved = (await ctx.meta.metaOf(name)).reservedConcurrency;
  return {
    status: 200,
    body: {
      Configuration: await configurationOf(ctx, v, qualifier ?? '$LATEST'),
      Code: { RepositoryType: 'Nimbus', Location: `${ctx.api.publicUrl()}/api/v1/functions/${encodeURIComponent(name)}` },
      Tags: {},
      ...(reserved === null ? {} : { Concurrency: { ReservedConcurrentExecutions: reserved } }),
    },
  };
}

export async function getFunctionConfiguration(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const { name, qualifier } = parseFunctionName(req.params.name, req.query.get('Qualifier'));
  return { status: 200, body: await configurationOf(ctx, await resolveVersion(ctx, name, qualifier), qualifier ?? '$LATEST') };
}

export function pageArgs(req: AwsRequest): { marker: string | null; max: number } {
  const raw = req.query.get('MaxItems');
  const max = raw === null ? 50 : wholeNumber(raw);
  if (max === null || max < 1 || max > 10_000) throw awsErr.invalidParameter('MaxItems must be a whole number from 1 to 10000');
  return { marker: req.query.get('Marker'), max };
}

export async function listFunctions(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  if (req.query.get('FunctionVersion') === 'ALL') throw awsErr.unsupported(400, 'ListFunctions with FunctionVersion=ALL is not supported by Nimbus: use ListVersionsByFunction');
  const { marker, max } = pageArgs(req);
  const infos = (await ctx.api.store.functions.list()).sort((a, b) => (a.name < b.name ? -1 : 1)).filter((i) => marker === null || i.name > marker);
  const page = infos.slice(0, max);
  const Functions = [];
  for (const info of page) {
    const v = await ctx.api.store.functions.getVersion(info.name, info.currentVersion);
    if (v) Functions.push(await configurationOf(ctx, v, '$LATEST'));
  }
  return { status: 200, body: { Functions, ...(infos.length > max ? { NextMarker: page[page.length - 1].name } : {}) } };
}

export async function updateFunctionCode(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const body = jsonBody(req);
  for (const k of ['S3Bucket', 'S3Key', 'S3ObjectVersion', 'ImageUri']) if (body[k] != null) throw awsErr.unsupported(400, `${k} is not supported by Nimbus: send ZipFile`);
  onlyKnown(body, CODE_FIELDS, 'UpdateFunctionCode');
  const { name } = parseFunctionName(req.params.name);
  if (!(await ctx.api.store.functions.get(name))) throw notFound(ctx, name);
  const zip = zipOf(body, 'ZipFile');
  const meta = await ctx.meta.metaOf(name);
  const current = await resolveVersion(ctx, name, undefined);
  const built = isPython(meta.runtime) ? pythonDeploy(ctx, zip, name, meta.handler, meta.runtime, {}, current.config) : await nodeDeploy(ctx, zip, meta.handler, {});
  if (body.DryRun === true) return { status: 200, body: await configurationOf(ctx, current, '$LATEST') };
  const version = await deploy(ctx, name, built.source, built.config);
  await ctx.meta.set(name, zipMeta(zip));
  return { status: 200, body: await configurationOf(ctx, version, await publishLabel(ctx, version, body.Publish)) };
}

export async function updateFunctionConfiguration(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const body = jsonBody(req);
  onlyKnown(body, CONFIG_FIELDS, 'UpdateFunctionConfiguration');
  const { name } = parseFunctionName(req.params.name);
  const deployed = await ctx.api.catalog.resolve(name);
  if (!deployed) throw notFound(ctx, name);
  const meta = await ctx.meta.metaOf(name);
  const handler = str(body, 'Handler');
  if (handler !== undefined && handler !== meta.handler) {
    throw awsErr.unsupported(400, `UpdateFunctionConfiguration: changing Handler (${meta.handler} → ${handler}) is not supported by Nimbus, which keeps the built code rather than the zip; send the zip again with UpdateFunctionCode after CreateFunction with the new Handler`);
  }
  const runtime = body.Runtime == null ? meta.runtime : runtimeOf(ctx, str(body, 'Runtime'));
  if (isPython(runtime) !== isPython(meta.runtime)) {
    throw awsErr.unsupported(400, `UpdateFunctionConfiguration: changing Runtime from ${meta.runtime} to ${runtime} is not supported by Nimbus (another language needs other code): create a new function`);
  }
  // Checked before the new version is deployed, so a refused request changes nothing.
  const [role, description] = [str(body, 'Role'), str(body, 'Description')];
  const stored = deployed.stored ?? deployed.version;
  const config = configInput(body);
  let source: DeploySource;
  if (isPython(runtime)) {
    // The app's files as stored; its command carries memory, timeout and the interpreter.
    const app = JSON.parse(deployed.code) as { files: Record<string, string> };
    const memory = (config.memoryMb as number | undefined) ?? deployed.version.config.memoryMb;
    const timeout = (config.timeoutMs as number | undefined) ?? deployed.version.config.timeoutMs;
    config.app = { command: pythonCommand(meta.handler, runtime, name, functionArn(ctx, name), memory, timeout) };
    source = { kind: 'app', app };
  } else {
    const sourceMap = await ctx.api.store.functions.getSourceMap(name, stored.version);
    source = { kind: 'bundle', code: deployed.code, ...(sourceMap === null ? {} : { sourceMap }) };
  }
  const version = await deploy(ctx, name, source, config);
  await ctx.meta.set(name, (now) => ({ runtime: body.Runtime == null ? now.runtime : runtime, role: role ?? now.role, description: description ?? now.description }));
  return { status: 200, body: await configurationOf(ctx, version, '$LATEST') };
}

export async function deleteFunction(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const { name, qualifier } = parseFunctionName(req.params.name, req.query.get('Qualifier'));
  if (qualifier !== undefined && qualifier !== '$LATEST') throw awsErr.unsupported(400, 'DeleteFunction of one version is not supported by Nimbus: versions live as long as the function');
  if (!(await ctx.api.deployer.remove(name))) throw notFound(ctx, name);
  await ctx.api.asyncSystem?.forgetFunction(name);
  await ctx.meta.delete(name);
  return { status: 204 };
}

export async function publishVersion(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const body = jsonBody(req);
  const { name } = parseFunctionName(req.params.name);
  const v = await resolveVersion(ctx, name, undefined);
  const expected = str(body, 'CodeSha256');
  const conf = await configurationOf(ctx, v, '$LATEST');
  if (expected !== undefined && expected !== conf.CodeSha256) {
    throw new AwsError(412, 'PreconditionFailedException', `CodeSha256 ${expected} does not match the current code ${String(conf.CodeSha256)}`, { Type: 'User' });
  }
  return { status: 201, body: await configurationOf(ctx, v, await publishLabel(ctx, v, true)) };
}

export async function listVersionsByFunction(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const { name } = parseFunctionName(req.params.name);
  const latest = await resolveVersion(ctx, name, undefined);
  const { marker, max } = pageArgs(req);
  const all: Record<string, unknown>[] = [await configurationOf(ctx, latest, '$LATEST')];
  for (const n of (await ctx.meta.metaOf(name)).published) {
    const v = await ctx.api.store.functions.getVersion(name, n);
    if (v) all.push(await configurationOf(ctx, v, String(n)));
  }
  const start = marker === null ? 0 : all.findIndex((c) => c.Version === marker) + 1;
  const page = all.slice(start, start + max);
  return { status: 200, body: { Versions: page, ...(start + max < all.length ? { NextMarker: page[page.length - 1].Version } : {}) } };
}
