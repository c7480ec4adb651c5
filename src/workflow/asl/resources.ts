/**
 * Task resources: which Resource strings we accept, the neutral target the host invokes,
 * and how a raw result becomes the state's result (Step Functions' lambda:invoke wraps
 * the function output; the HTTP task turns a non-2xx status into an error).
 *
 *   arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]   → function, direct
 *   fn:<name>[:<qualifier>]                                            → function, direct
 *   arn:aws:states:::lambda:invoke[.waitForTaskToken]  (Parameters.FunctionName, Payload)
 *   arn:aws:states:::http:invoke  (ApiEndpoint, Method, Headers, QueryParameters, RequestBody)
 */
import { StatesError, StatesErrors } from './errors.ts';
import { isObject, preview, typeName } from './json.ts';
import type { Json, JsonObject, TaskTarget } from './types.ts';

export type ResourceSpec =
  | { readonly kind: 'function'; readonly name: string; readonly qualifier?: string }
  | { readonly kind: 'lambda-invoke'; readonly callback: boolean }
  | { readonly kind: 'http-invoke' };

const NAME = '[A-Za-z0-9_.-]+';
/** A version, an alias, or $LATEST. */
const QUALIFIER = '\\$LATEST|[A-Za-z0-9_.-]+';
const LAMBDA_ARN = new RegExp(`^arn:aws[a-z-]*:lambda:[^:]*:[^:]*:function:(${NAME})(?::(${QUALIFIER}))?$`);
const SHORT = new RegExp(`^fn:(${NAME})(?::(${QUALIFIER}))?$`);
const PARTIAL_ARN = new RegExp(`^(?:[^:]*:)?function:(${NAME})(?::(${QUALIFIER}))?$`);
const PLAIN = new RegExp(`^(${NAME})(?::(${QUALIFIER}))?$`);
const HTTP_METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']);

export const SUPPORTED_RESOURCES = [
  'arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]',
  'fn:<name>[:<qualifier>]',
  'arn:aws:states:::lambda:invoke',
  'arn:aws:states:::lambda:invoke.waitForTaskToken',
  'arn:aws:states:::http:invoke',
];

export function parseResource(resource: string): ResourceSpec | { error: string } {
  const lambda = LAMBDA_ARN.exec(resource) ?? SHORT.exec(resource);
  if (lambda !== null) {
    return lambda[2] === undefined ? { kind: 'function', name: lambda[1] } : { kind: 'function', name: lambda[1], qualifier: lambda[2] };
  }
  const integration = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:(lambda:invoke|http:invoke)(\.waitForTaskToken|\.sync(?::2)?)?$/.exec(resource);
  if (integration !== null) {
    const suffix = integration[2];
    if (integration[1] === 'lambda:invoke') {
      if (suffix !== undefined && suffix !== '.waitForTaskToken') {
        return { error: `"${resource}": lambda:invoke supports only the .waitForTaskToken suffix` };
      }
      return { kind: 'lambda-invoke', callback: suffix === '.waitForTaskToken' };
    }
    if (suffix !== undefined) return { error: `"${resource}": http:invoke takes no suffix` };
    return { kind: 'http-invoke' };
  }
  return { error: `unsupported Resource "${resource}"; use one of: ${SUPPORTED_RESOURCES.join(', ')}` };
}

/** Fields the resource needs from Parameters/Arguments when those are a static object. */
export function requiredParameters(spec: ResourceSpec): readonly string[] {
  if (spec.kind === 'lambda-invoke') return ['FunctionName'];
  if (spec.kind === 'http-invoke') return ['ApiEndpoint', 'Method'];
  return [];
}

function runtime(message: string): never {
  throw new StatesError(StatesErrors.Runtime, message);
}

function parseFunctionName(value: Json): { name: string; qualifier?: string } {
  if (typeof value !== 'string') return runtime(`FunctionName must be a string, got ${typeName(value)}`);
  const m = LAMBDA_ARN.exec(value) ?? SHORT.exec(value) ?? PARTIAL_ARN.exec(value) ?? PLAIN.exec(value);
  if (m === null) return runtime(`FunctionName "${value}" is neither a function name nor a Lambda function ARN`);
  return m[2] === undefined ? { name: m[1] } : { name: m[1], qualifier: m[2] };
}

function stringMap(value: Json | undefined, field: string): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) return runtime(`${field} must be an object, got ${typeName(value)}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = typeof v === 'string' ? v : Array.isArray(v) ? v.map((x) => String(x)).join(',') : String(v);
  }
  return out;
}

/** Turns the state's effective input into what the host must run. */
export function buildTask(spec: ResourceSpec, effectiveInput: Json): { target: TaskTarget; payload: Json } {
  if (spec.kind === 'function') {
    const target: TaskTarget = spec.qualifier === undefined
      ? { kind: 'function', name: spec.name, integration: 'direct' }
      : { kind: 'function', name: spec.name, qualifier: spec.qualifier, integration: 'direct' };
    return { target, payload: effectiveInput };
  }
  if (!isObject(effectiveInput)) {
    return runtime(`the ${spec.kind === 'lambda-invoke' ? 'lambda:invoke' : 'http:invoke'} parameters must be an object, got ${typeName(effectiveInput)}`);
  }
  if (spec.kind === 'lambda-invoke') {
    const fn = parseFunctionName(effectiveInput.FunctionName);
    const qualifier = typeof effectiveInput.Qualifier === 'string' ? effectiveInput.Qualifier : fn.qualifier;
    const target: TaskTarget = qualifier === undefined
      ? { kind: 'function', name: fn.name, integration: 'invoke' }
      : { kind: 'function', name: fn.name, qualifier, integration: 'invoke' };
    const payload = Object.prototype.hasOwnProperty.call(effectiveInput, 'Payload') ? effectiveInput.Payload : {};
    return { target, payload };
  }
  const url = effectiveInput.ApiEndpoint;
  if (typeof url !== 'string' || !/^https?:\/\//i.test(url)) {
    return runtime(`ApiEndpoint must be an http(s) URL, got ${preview(url ?? null)}`);
  }
  const method = typeof effectiveInput.Method === 'string' ? effectiveInput.Method.toUpperCase() : '';
  if (!HTTP_METHODS.has(method)) {
    return runtime(`Method must be one of ${[...HTTP_METHODS].join(', ')}, got ${preview(effectiveInput.Method ?? null)}`);
  }
  const options: JsonObject = {};
  for (const key of ['Authentication', 'Transform', 'InvocationConfig']) {
    if (effectiveInput[key] !== undefined) options[key] = effectiveInput[key];
  }
  return {
    target: {
      kind: 'http',
      method,
      url,
      headers: stringMap(effectiveInput.Headers, 'Headers'),
      query: stringMap(effectiveInput.QueryParameters, 'QueryParameters'),
      options,
    },
    payload: effectiveInput.RequestBody === undefined ? null : effectiveInput.RequestBody,
  };
}

export type TaskOutcome = { ok: true; result: Json } | { ok: false; error: string; cause: string };

/** Converts what the host reported into the state's raw result (or an error). */
export function taskResult(
  spec: ResourceSpec,
  target: TaskTarget,
  output: Json,
  taskId: string,
  executedVersion: string | undefined,
): TaskOutcome {
  if (spec.kind === 'lambda-invoke' && !spec.callback) {
    const version = executedVersion ?? (target.kind === 'function' && target.qualifier !== undefined && /^\d+$/.test(target.qualifier) ? target.qualifier : '$LATEST');
    return {
      ok: true,
      result: {
        ExecutedVersion: version,
        Payload: output,
        SdkHttpMetadata: { HttpHeaders: { 'X-Amz-Executed-Version': version }, HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: taskId },
        StatusCode: 200,
      },
    };
  }
  if (spec.kind === 'http-invoke') {
    const status = isObject(output) ? output.StatusCode : undefined;
    if (typeof status !== 'number') {
      return { ok: false, error: StatesErrors.Runtime, cause: `the HTTP task result must be an object with a numeric StatusCode, got ${preview(output)}` };
    }
    if (status < 200 || status > 299) {
      return { ok: false, error: `States.Http.StatusCode.${status}`, cause: JSON.stringify(output) };
    }
  }
  return { ok: true, result: output };
}
