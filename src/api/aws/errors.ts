/**
 * Errors in AWS's wire shape: the `x-amzn-ErrorType` header and a JSON body with `__type` and
 * `message`, at the status AWS uses for that name, so the SDKs raise their own error classes
 * (ResourceNotFoundException, ExecutionDoesNotExist…) and retry only what AWS retries.
 */
import type { ServerResponse } from 'node:http';
import { isNimbusError, type ErrorCode } from '../../core/errors.ts';

export class AwsError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    /** Extra members of the body (Lambda's `Type`, a throttle's `Reason`). */
    readonly members: Readonly<Record<string, unknown>> = {},
    /** What went wrong inside the platform, for its log (a 5xx answer says only that the log has it). */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** What the log should show of an error that became an answer: the platform's own error behind a 5xx, else the error itself. */
export function loggedErrorOf(error: unknown): unknown {
  return error instanceof AwsError && error.cause !== undefined ? error.cause : error;
}

export const awsErr = {
  lambdaNotFound: (what: string) => new AwsError(404, 'ResourceNotFoundException', what, { Type: 'User' }),
  invalidParameter: (what: string) => new AwsError(400, 'InvalidParameterValueException', what, { Type: 'User' }),
  conflict: (what: string) => new AwsError(409, 'ResourceConflictException', what, { Type: 'User' }),
  /** Step Functions answers every client error with 400. */
  sfn: (type: string, what: string) => new AwsError(400, type, what),
  /** An operation or field Nimbus does not implement (docs/aws.md lists them). */
  unsupported: (status: number, what: string) => new AwsError(status, 'UnsupportedOperationException', what, { Type: 'User' }),
};

/** How a platform error reads in Lambda's vocabulary (the SFN layer maps its own). */
const LAMBDA_BY_CODE: Partial<Record<ErrorCode, [number, string]>> = {
  NIMBUS_ERR_VALIDATION: [400, 'InvalidParameterValueException'],
  NIMBUS_ERR_BAD_REQUEST: [400, 'InvalidRequestContentException'],
  NIMBUS_ERR_BUILD_FAILED: [400, 'InvalidParameterValueException'],
  NIMBUS_ERR_INVALID_FUNCTION: [400, 'InvalidParameterValueException'],
  NIMBUS_ERR_FUNCTION_NOT_FOUND: [404, 'ResourceNotFoundException'],
  NIMBUS_ERR_VERSION_NOT_FOUND: [404, 'ResourceNotFoundException'],
  NIMBUS_ERR_ALIAS_NOT_FOUND: [404, 'ResourceNotFoundException'],
  NIMBUS_ERR_PAYLOAD_TOO_LARGE: [413, 'RequestTooLargeException'],
  NIMBUS_ERR_THROTTLED: [429, 'TooManyRequestsException'],
  NIMBUS_ERR_QUEUE_TIMEOUT: [429, 'TooManyRequestsException'],
  NIMBUS_ERR_CONFLICT: [409, 'ResourceConflictException'],
  NIMBUS_ERR_STATE_CONFLICT: [409, 'ResourceConflictException'],
  NIMBUS_ERR_SHUTTING_DOWN: [503, 'ServiceException'],
};

export function lambdaErrorOf(error: unknown): AwsError {
  if (error instanceof AwsError) return error;
  if (isNimbusError(error)) {
    const [status, type] = LAMBDA_BY_CODE[error.code] ?? [500, 'ServiceException'];
    return new AwsError(status, type, error.message, { Type: status >= 500 ? 'Service' : 'User' }, status >= 500 ? error : undefined);
  }
  return new AwsError(500, 'ServiceException', 'the platform failed to handle the request; its log has the details', { Type: 'Service' }, error);
}

export function sendAwsError(res: ServerResponse, error: AwsError, contentType = 'application/json'): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ __type: error.type, message: error.message, ...error.members });
  res.writeHead(error.status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'x-amzn-errortype': error.type,
  });
  res.end(body);
}
