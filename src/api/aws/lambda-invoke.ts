/**
 * Lambda Invoke (POST /2015-03-31/functions/{name}/invocations) over the dispatcher and the
 * durable async queue: RequestResponse, Event, DryRun; X-Amz-Function-Error with Lambda's
 * error payload when the function fails; LogType Tail → the last 4 KB of the log, base64.
 */
import type { ErrorCode } from '../../core/errors.ts';
import type { InvocationRecord } from '../../core/types.ts';
import { AwsError, awsErr, lambdaErrorOf } from './errors.ts';
import { isAliasQualifier, notFound, parseFunctionName, resolveVersion, versionOf } from './lambda-functions.ts';
import { lambdaErrorObject } from './lambda-python.ts';
import type { AwsContext, AwsRequest, AwsResponse } from './protocol.ts';
import { lambdaUnparsable, parseAwsJson } from './protocol.ts';

/** Failures of the function itself: Lambda answers 200 with X-Amz-Function-Error. */
const FUNCTION_FAILURES: Partial<Record<ErrorCode, string>> = {
  NIMBUS_ERR_FUNCTION_ERROR: 'Error',
  NIMBUS_ERR_FUNCTION_INIT: 'Runtime.ImportModuleError',
  NIMBUS_ERR_TIMEOUT: 'Sandbox.Timedout',
  NIMBUS_ERR_CPU_LIMIT: 'Sandbox.Timedout',
  NIMBUS_ERR_MEMORY_LIMIT: 'Runtime.OutOfMemory',
  NIMBUS_ERR_INSTANCE_CRASHED: 'Runtime.ExitError',
};
const TAIL_BYTES = 4096;

function header(req: AwsRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function eventOf(body: Buffer): unknown {
  if (body.length === 0) return {};
  return parseAwsJson(body.toString('utf8'), 'the payload', lambdaUnparsable);
}

/** The log as Lambda's tail shows it (START, the lines, END, REPORT), its last 4 KB, base64. */
export function logTail(record: InvocationRecord | null, invocationId: string, version: string): string {
  const lines = [`START RequestId: ${invocationId} Version: ${version}`];
  for (const l of record?.logs ?? []) lines.push(`${new Date(l.t).toISOString()}\t${invocationId}\t${l.level.toUpperCase()}\t${l.msg}`);
  lines.push(`END RequestId: ${invocationId}`);
  if (record) {
    lines.push(`REPORT RequestId: ${invocationId}\tDuration: ${record.durationMs.toFixed(2)} ms\tBilled Duration: ${record.billedMs} ms\tMemory Size: ${record.memoryMb} MB${record.coldStart ? `\tInit Duration: ${record.initMs.toFixed(2)} ms` : ''}`);
  }
  const all = Buffer.from(lines.join('\n') + '\n');
  return all.subarray(Math.max(0, all.length - TAIL_BYTES)).toString('base64');
}

export async function invoke(ctx: AwsContext, req: AwsRequest): Promise<AwsResponse> {
  const { name, qualifier } = parseFunctionName(req.params.name, req.query.get('Qualifier'));
  const type = header(req, 'x-amz-invocation-type') ?? 'RequestResponse';
  const logType = header(req, 'x-amz-log-type') ?? 'None';
  if (logType !== 'None' && logType !== 'Tail') throw awsErr.invalidParameter(`LogType must be None or Tail, not ${logType}`);
  const version = versionOf(qualifier);
  if (type === 'DryRun') {
    await resolveVersion(ctx, name, qualifier);
    return { status: 204 };
  }
  if (req.body.length > ctx.payloadLimitBytes) {
    throw new AwsError(413, 'RequestTooLargeException', `Request must be smaller than ${ctx.payloadLimitBytes} bytes for the Invoke operation`, { Type: 'User' });
  }
  const event = eventOf(req.body);
  if (type === 'Event') {
    // A function, version or alias that is not there is ResourceNotFoundException, as for RequestResponse.
    await resolveVersion(ctx, name, qualifier);
    const current = await ctx.api.store.functions.get(name);
    if (!current) throw notFound(ctx, name, qualifier);
    if (version !== undefined && version !== current.currentVersion) {
      throw awsErr.unsupported(400, `Event invocations of version ${version} are not supported by Nimbus: the async queue runs the current version ($LATEST = ${current.currentVersion})`);
    }
    if (!ctx.api.asyncSystem) throw new AwsError(500, 'ServiceException', 'async invocation is not enabled in this platform', { Type: 'Service' });
    try {
      // Through an alias the item keeps it (`name@alias`) and follows it when it runs.
      const target = isAliasQualifier(qualifier) ? `${name}@${qualifier}` : name;
      const { id } = await ctx.api.asyncSystem.submit(target, event, { source: 'Lambda Invoke (Event)' });
      return { status: 202, headers: { 'x-amzn-requestid': id, 'x-nimbus-invocation-id': id } };
    } catch (error) {
      throw lambdaErrorOf(error);
    }
  }
  if (type !== 'RequestResponse') throw awsErr.invalidParameter(`InvocationType must be RequestResponse, Event or DryRun, not ${type}`);
  const outcome = await ctx.api.dispatcher.invoke({
    functionName: name,
    trigger: 'api',
    triggerSource: 'Lambda Invoke',
    input: { kind: 'event', event },
    requestBytes: req.body.length,
    // A version, an alias or $LATEST: the dispatcher follows it (an alias by its weights) and records the alias.
    ...(qualifier === undefined ? {} : { qualifier }),
  });
  // The version that ran; an unqualified call that followed the `live` alias names its version too.
  const latest = qualifier === '$LATEST' || (qualifier === undefined && !outcome.record?.alias);
  const executed = latest ? '$LATEST' : String(outcome.record?.version ?? version ?? qualifier);
  const headers: Record<string, string> = { 'x-amzn-requestid': outcome.invocationId, 'x-nimbus-invocation-id': outcome.invocationId, 'x-amz-executed-version': executed };
  if (logType === 'Tail') headers['x-amz-log-result'] = logTail(outcome.record, outcome.invocationId, executed);
  if (outcome.ok) {
    return { status: 200, body: Buffer.from(JSON.stringify(outcome.value ?? null)), headers: { ...headers, 'content-type': 'application/json' } };
  }
  const failure = FUNCTION_FAILURES[outcome.error.code];
  if (failure === undefined) {
    if (outcome.error.code === 'NIMBUS_ERR_FUNCTION_NOT_FOUND' || outcome.error.code === 'NIMBUS_ERR_VERSION_NOT_FOUND' || outcome.error.code === 'NIMBUS_ERR_ALIAS_NOT_FOUND') {
      throw notFound(ctx, name, qualifier);
    }
    throw lambdaErrorOf(outcome.error);
  }
  const extra = outcome.error.extra;
  // A python function's bootstrap answers Lambda's own error object (lambda-python.ts).
  const payload = lambdaErrorObject(extra) ?? {
    errorType: typeof extra.errorName === 'string' ? extra.errorName : failure,
    errorMessage: typeof extra.errorMessage === 'string' ? extra.errorMessage : outcome.error.message,
    trace: [],
  };
  return { status: 200, body: Buffer.from(JSON.stringify(payload)), headers: { ...headers, 'content-type': 'application/json', 'x-amz-function-error': 'Unhandled' } };
}
