/**
 * Lambda's REST-JSON routes: method + date-prefixed path → operation. A path Lambda has but
 * Nimbus does not implement answers UnsupportedOperationException naming the operation.
 */
import { awsErr } from './errors.ts';
import * as aliases from './lambda-aliases.ts';
import * as fns from './lambda-functions.ts';
import { invoke } from './lambda-invoke.ts';
import * as settings from './lambda-settings.ts';
import type { AwsContext, AwsRequest, AwsResponse } from './protocol.ts';

type Op = (ctx: AwsContext, req: AwsRequest) => Promise<AwsResponse>;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly operation: string;
  readonly op: Op;
}

const FN = '/functions/(?<name>[^/]+)';
const route = (method: string, path: string, operation: string, op: Op): Route => ({ method, pattern: new RegExp(`^${path}/?$`), operation, op });

const ROUTES: readonly Route[] = [
  route('POST', '/2015-03-31/functions', 'CreateFunction', fns.createFunction),
  route('GET', '/2015-03-31/functions', 'ListFunctions', fns.listFunctions),
  route('GET', `/2015-03-31${FN}`, 'GetFunction', fns.getFunction),
  route('DELETE', `/2015-03-31${FN}`, 'DeleteFunction', fns.deleteFunction),
  route('GET', `/2015-03-31${FN}/configuration`, 'GetFunctionConfiguration', fns.getFunctionConfiguration),
  route('PUT', `/2015-03-31${FN}/configuration`, 'UpdateFunctionConfiguration', fns.updateFunctionConfiguration),
  route('PUT', `/2015-03-31${FN}/code`, 'UpdateFunctionCode', fns.updateFunctionCode),
  route('POST', `/2015-03-31${FN}/invocations`, 'Invoke', invoke),
  route('POST', `/2015-03-31${FN}/versions`, 'PublishVersion', fns.publishVersion),
  route('GET', `/2015-03-31${FN}/versions`, 'ListVersionsByFunction', fns.listVersionsByFunction),
  route('POST', `/2015-03-31${FN}/aliases`, 'CreateAlias', aliases.createAlias),
  route('GET', `/2015-03-31${FN}/aliases`, 'ListAliases', aliases.listAliases),
  route('GET', `/2015-03-31${FN}/aliases/(?<alias>[^/]+)`, 'GetAlias', aliases.getAlias),
  route('PUT', `/2015-03-31${FN}/aliases/(?<alias>[^/]+)`, 'UpdateAlias', aliases.updateAlias),
  route('DELETE', `/2015-03-31${FN}/aliases/(?<alias>[^/]+)`, 'DeleteAlias', aliases.deleteAlias),
  route('PUT', `/2017-10-31${FN}/concurrency`, 'PutFunctionConcurrency', settings.putFunctionConcurrency),
  route('DELETE', `/2017-10-31${FN}/concurrency`, 'DeleteFunctionConcurrency', settings.deleteFunctionConcurrency),
  route('GET', `/2019-09-30${FN}/concurrency`, 'GetFunctionConcurrency', settings.getFunctionConcurrency),
  route('PUT', `/2019-09-25${FN}/event-invoke-config`, 'PutFunctionEventInvokeConfig', settings.putFunctionEventInvokeConfig),
  route('GET', '/2016-08-19/account-settings', 'GetAccountSettings', (ctx) => settings.getAccountSettings(ctx)),
];

/** A path segment's percent-encoding undone; a malformed one (`%zz`) is the caller's error, not the platform's. */
function decodePathPart(name: string, raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw awsErr.invalidParameter(`the ${name} in the path is not valid percent-encoding: ${raw.slice(0, 200)}`);
  }
}

export function lambdaRoute(method: string, path: string): { operation: string; op: Op; params: Record<string, string> } {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.groups ?? {})) params[k] = decodePathPart(k, v);
    return { operation: r.operation, op: r.op, params };
  }
  throw awsErr.unsupported(404, `${method} ${path} is a Lambda operation Nimbus does not implement (docs/aws.md lists the supported ones)`);
}
