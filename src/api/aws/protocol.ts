/** What the AWS protocol handlers share: the request as they see it, their answer, the ARNs. */
import type { IncomingHttpHeaders } from 'node:http';
import { isNimbusError } from '../../core/errors.ts';
import { parseJsonBounded } from '../../core/json-depth.ts';
import type { ProcessIsolation } from '../../runtime/process/isolation.ts';
import type { ApiDeps } from '../context.ts';
import type { LambdaMetaStore } from './lambda-meta.ts';
import { AwsError, awsErr } from './errors.ts';

export interface AwsContext {
  readonly api: ApiDeps;
  readonly meta: LambdaMetaStore;
  readonly accountId: string;
  readonly region: string;
  /** Largest bundle a deploy takes (the zip may unpack to four times this). */
  readonly codeLimitBytes: number;
  /** Largest Invoke payload (the platform's payload limit). */
  readonly payloadLimitBytes: number;
  /** What the app runtime can enforce here; absent: no app runtime (python functions refused). */
  readonly processIsolation?: ProcessIsolation;
}

export interface AwsRequest {
  readonly method: string;
  /** Path segments captured by the route, decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface AwsResponse {
  readonly status: number;
  /** JSON-serialised unless a Buffer (sent as it is). */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * JSON text from a caller under the platform's depth bound (src/core/json-depth.ts), as at
 * every other door; text that is not JSON or nests too deep is `refuse`d with the parser's
 * reason, in the error the protocol uses for it.
 */
export function parseAwsJson(text: string, what: string, refuse: (why: string) => AwsError): unknown {
  try {
    return parseJsonBounded(text, what);
  } catch (error) {
    throw isNimbusError(error) ? refuse(error.message) : error;
  }
}

/** Lambda's answer to a body it cannot read as JSON. */
export const lambdaUnparsable = (why: string) => new AwsError(400, 'InvalidRequestContentException', `Could not parse request body into json: ${why}`, { Type: 'User' });

/** The body as a JSON object ({} when empty); not JSON, or too deep, is Lambda's InvalidRequestContentException. */
export function jsonBody(req: AwsRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  const v = parseAwsJson(req.body.toString('utf8'), 'the body', lambdaUnparsable);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw awsErr.invalidParameter('the request body must be a JSON object');
  return v as Record<string, unknown>;
}

/** A field that must be a string when present. */
export function str(body: Record<string, unknown>, field: string, required = false): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) {
    if (required) throw awsErr.invalidParameter(`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof v !== 'string') throw awsErr.invalidParameter(`${field} must be a string`);
  return v;
}

/** ISO-8601 as Lambda writes LastModified: 2024-01-02T03:04:05.000+0000 */
export function lambdaTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}
