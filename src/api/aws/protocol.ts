/** What the AWS protocol handlers share: the request as they see it, their answer, the ARNs. */
import type { IncomingHttpHeaders } from 'node:http';
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

/** The body as a JSON object ({} when empty); anything else is AWS's SerializationException. */
export function jsonBody(req: AwsRequest): Record<string, unknown> {
  if (req.body.length === 0) return {};
  let v: unknown;
  try {
    v = JSON.parse(req.body.toString('utf8'));
  } catch (error) {
    throw new AwsError(400, 'SerializationException', `the body is not valid JSON: ${(error as Error).message}`);
  }
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
