/** Writes RFC 7807 problems; the only way errors leave over HTTP. */
import type { ServerResponse } from 'node:http';
import { toProblem, isNimbusError } from '../core/errors.ts';
import { abandonsBody } from './body.ts';

export function sendProblem(
  res: ServerResponse,
  error: unknown,
  instance: string,
  extraHeaders: Record<string, string> = {},
  extraMembers: Record<string, unknown> = {},
): void {
  const problem = { ...toProblem(error, instance), ...extraMembers };
  const body = JSON.stringify(problem);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | number> = {
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
  };
  // The unread rest of the body would be taken for the next request: the connection ends with this answer.
  if (abandonsBody(error)) headers.connection = 'close';
  if (isNimbusError(error) && error.retryAfterSeconds !== undefined) headers['retry-after'] = String(error.retryAfterSeconds);
  if (isNimbusError(error) && Array.isArray(error.extra.allow)) headers.allow = (error.extra.allow as string[]).join(', ');
  res.writeHead(problem.status, headers);
  res.end(body);
}
