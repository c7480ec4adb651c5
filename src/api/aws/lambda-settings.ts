/**
 * Lambda's settings operations over Nimbus's own: PutFunctionConcurrency (→ the scale
 * override's maxInstances), PutFunctionEventInvokeConfig (→ the async policy),
 * GetAccountSettings (the platform's limits).
 */
import { applyPatch } from '../scale.ts';
import { awsErr, lambdaErrorOf } from './errors.ts';
import { functionArn, notFound, parseFunctionName } from './lambda-functions.ts';
import { jsonBody, type AwsContext, type AwsRequest, type AwsResponse } from './protocol.ts';

function intIn(body: Record<string, unknown>, field: string, min: number, max: number): number | undefined {
  const v = body[field];
  if (v == null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw awsErr.invalidParameter(`${field} must be a whole number from ${min} to ${max}`);
  return v;
}

/**
 * Reserved concurrency R becomes a cap of ceil(R / per-instance concurrency) instances:
 * Nimbus runs several invocations per instance, so the cap is approximate (docs/aws.md).
 */
export async function putFunctionConcurrency(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const { name } = parseFunctionName(req.params.name);
  const reserved = intIn(jsonBody(req), 'ReservedConcurrentExecutions', 0, 100_000);
  if (reserved === undefined) throw awsErr.invalidParameter('ReservedConcurrentExecutions is required');
  if (reserved === 0) throw awsErr.unsupported(400, 'ReservedConcurrentExecutions 0 (throttle every invocation) is not supported by Nimbus: delete the function or its triggers instead');
  const deployed = await ctx.api.catalog.resolve(name);
  if (!deployed) throw notFound(ctx, name);
  const maxInstances = Math.max(1, Math.ceil(reserved / deployed.version.config.concurrency));
  try {
    await applyPatch(ctx.api, name, { maxInstances, minInstances: Math.min(deployed.version.config.minInstances, maxInstances) });
  } catch (error) {
    throw lambdaErrorOf(error);
  }
  await ctx.meta.set(name, { reservedConcurrency: reserved });
  return { status: 200, body: { ReservedConcurrentExecutions: reserved } };
}

export async function deleteFunctionConcurrency(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const { name } = parseFunctionName(req.params.name);
  if (!(await ctx.api.store.functions.get(name))) throw notFound(ctx, name);
  try {
    await applyPatch(ctx.api, name, { maxInstances: null, minInstances: null });
  } catch (error) {
    throw lambdaErrorOf(error);
  }
  await ctx.meta.set(name, { reservedConcurrency: null });
  return { status: 204 };
}

export async function getFunctionConcurrency(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const { name } = parseFunctionName(req.params.name);
  if (!(await ctx.api.store.functions.get(name))) throw notFound(ctx, name);
  const reserved = (await ctx.meta.metaOf(name)).reservedConcurrency;
  return { status: 200, body: reserved === null ? {} : { ReservedConcurrentExecutions: reserved } };
}

/** A destination must be a Lambda function here: Nimbus has no SQS, SNS or EventBridge to send to. */
function destinationFunction(arn: unknown, field: string): string {
  const m = typeof arn === 'string' ? /^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:([A-Za-z0-9_-]{1,64})$/.exec(arn) : null;
  if (!m) {
    throw awsErr.unsupported(400, `DestinationConfig.${field}.Destination ${String(arn)}: only Lambda function ARNs are supported by Nimbus (no SQS, SNS or EventBridge); topics and webhooks are set with the Nimbus API (docs/triggers.md)`);
  }
  return m[1];
}

/** Retries, event age and function destinations map to the async policy (maxAttempts = retries + 1). */
export async function putFunctionEventInvokeConfig(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const { name, qualifier } = parseFunctionName(req.params.name, req.query.get('Qualifier'));
  if (qualifier !== undefined && qualifier !== '$LATEST') throw awsErr.unsupported(400, 'PutFunctionEventInvokeConfig for a version is not supported by Nimbus: the async policy is per function');
  const body = jsonBody(req);
  const retries = intIn(body, 'MaximumRetryAttempts', 0, 2);
  const ageS = intIn(body, 'MaximumEventAgeInSeconds', 60, 21_600);
  if (!(await ctx.api.store.functions.get(name))) throw notFound(ctx, name);
  if (!ctx.api.asyncSystem) throw awsErr.unsupported(500, 'async invocation is not enabled in this platform');
  const policy: Record<string, unknown> = {};
  if (retries !== undefined) policy.maxAttempts = retries + 1;
  if (ageS !== undefined) policy.maxEventAgeMs = ageS * 1000;
  const destinations = (body.DestinationConfig ?? {}) as Record<string, { Destination?: unknown } | undefined>;
  for (const [field, key] of [['OnSuccess', 'onSuccess'], ['OnFailure', 'onFailure']] as const) {
    const arn = destinations[field]?.Destination;
    if (arn != null) policy[key] = { kind: 'function', name: destinationFunction(arn, field) };
  }
  const now = ctx.api.clock.now();
  try {
    await ctx.api.asyncSystem.policies.put(name, policy, now);
  } catch (error) {
    throw lambdaErrorOf(error);
  }
  return {
    status: 200,
    body: {
      FunctionArn: functionArn(ctx, name, '$LATEST'),
      LastModified: now / 1000,
      ...(retries === undefined ? {} : { MaximumRetryAttempts: retries }),
      ...(ageS === undefined ? {} : { MaximumEventAgeInSeconds: ageS }),
      ...(body.DestinationConfig == null ? {} : { DestinationConfig: body.DestinationConfig }),
    },
  };
}

export async function getAccountSettings(ctx: AwsContext): Promise<AwsResponse> {
  const functions = await ctx.api.store.functions.list();
  let total = 0;
  const facts = await ctx.meta.all();
  for (const f of functions) total += facts.get(f.name)?.codeSize ?? 0;
  return {
    status: 200,
    body: {
      AccountLimit: {
        TotalCodeSize: 75 * 1024 ** 3,
        CodeSizeUnzipped: ctx.codeLimitBytes * 4,
        CodeSizeZipped: ctx.codeLimitBytes,
        ConcurrentExecutions: 1000,
        UnreservedConcurrentExecutions: 1000,
      },
      AccountUsage: { TotalCodeSize: total, FunctionCount: functions.length },
    },
  };
}
