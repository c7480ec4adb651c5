/** Step Functions ARNs ↔ Nimbus workflow and execution names, and the shared helpers of sfn*.ts. */
import { isNimbusError } from '../../core/errors.ts';
import type { ExecutionRow } from '../../store/workflow-ports.ts';
import type { WorkflowEngine } from '../../workflow/engine/engine.ts';
import { AwsError, awsErr } from './errors.ts';
import type { AwsContext } from './protocol.ts';

export type SfnOp = (ctx: AwsContext, body: Record<string, unknown>) => Promise<unknown>;

export const machineArn = (ctx: AwsContext, name: string) => `arn:aws:states:${ctx.region}:${ctx.accountId}:stateMachine:${name}`;
export const executionArn = (ctx: AwsContext, machine: string, name: string) => `arn:aws:states:${ctx.region}:${ctx.accountId}:execution:${machine}:${name}`;
export const roleArn = (ctx: AwsContext) => `arn:aws:iam::${ctx.accountId}:role/nimbus`;

export function parseMachineArn(arn: unknown): { name: string; version: number | undefined } {
  const m = typeof arn === 'string' ? /^arn:aws[a-z-]*:states:[^:]*:[^:]*:stateMachine:([^:]+)(?::(\d+))?$/.exec(arn) : null;
  if (!m) throw awsErr.sfn('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${String(arn)}'`);
  return { name: m[1], version: m[2] === undefined ? undefined : Number(m[2]) };
}

/**
 * The state machine a call that acts on the whole machine names. A version's ARN (`…:N`) is
 * refused: acting on the machine would delete or change every version, which is not what it asks.
 */
export function wholeMachineOf(arn: unknown, op: string): string {
  const { name, version } = parseMachineArn(arn);
  if (version !== undefined) {
    throw awsErr.sfn('ValidationException', `${op} takes the state machine's ARN, not a version's (${String(arn)}); Nimbus does not delete or update single versions`);
  }
  return name;
}

export function parseExecutionArn(arn: unknown): { machine: string; name: string } {
  const m = typeof arn === 'string' ? /^arn:aws[a-z-]*:states:[^:]*:[^:]*:execution:([^:]+):([^:]+)$/.exec(arn) : null;
  if (!m) throw awsErr.sfn('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${String(arn)}'`);
  return { machine: m[1], name: m[2] };
}

export function engineOf(ctx: AwsContext): WorkflowEngine {
  if (!ctx.api.workflows) throw new AwsError(500, 'InternalServerError', 'workflows are not enabled in this platform');
  return ctx.api.workflows;
}

export async function executionOf(ctx: AwsContext, arn: unknown): Promise<ExecutionRow> {
  const { machine, name } = parseExecutionArn(arn);
  const row = await ctx.api.store.workflows.findExecutionByName(machine, name);
  if (!row) throw awsErr.sfn('ExecutionDoesNotExist', `Execution Does Not Exist: '${String(arn)}'`);
  return row;
}

/** Epoch seconds, as JSON 1.0 carries timestamps. */
export const seconds = (ms: number) => ms / 1000;

/** A platform error in Step Functions' vocabulary (`fallback` for validation errors). */
export function sfnErrorOf(error: unknown, fallback = 'ValidationException'): AwsError {
  if (error instanceof AwsError) return error;
  if (!isNimbusError(error)) return new AwsError(500, 'InternalServerError', 'the platform failed to handle the request; its log has the details', {}, error);
  const byCode: Record<string, string> = {
    NIMBUS_ERR_WORKFLOW_NOT_FOUND: 'StateMachineDoesNotExist',
    NIMBUS_ERR_EXECUTION_NOT_FOUND: 'ExecutionDoesNotExist',
    NIMBUS_ERR_VALIDATION: fallback,
    NIMBUS_ERR_BAD_REQUEST: 'ValidationException',
    // an input, output or definition past its size limit: AWS's length constraint on the member
    NIMBUS_ERR_PAYLOAD_TOO_LARGE: 'ValidationException',
    NIMBUS_ERR_TASK_TOKEN_NOT_FOUND: 'TaskDoesNotExist',
    NIMBUS_ERR_TASK_ALREADY_COMPLETED: 'TaskDoesNotExist',
    NIMBUS_ERR_TASK_TOKEN_EXPIRED: 'TaskTimedOut',
    NIMBUS_ERR_STATE_CONFLICT: 'ConflictException',
  };
  const type = byCode[error.code];
  if (type !== undefined) return awsErr.sfn(type, error.message);
  if (error.status === 503) return new AwsError(503, 'ServiceUnavailable', error.message, {}, error);
  return new AwsError(500, 'InternalServerError', error.message, {}, error);
}

/** A string member (required unless told). */
export function stringField(body: Record<string, unknown>, field: string, required = true): string | undefined {
  const v = body[field];
  if (v == null) {
    if (required) throw awsErr.sfn('ValidationException', `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
    return undefined;
  }
  if (typeof v !== 'string') throw awsErr.sfn('ValidationException', `${field} must be a string`);
  return v;
}

export function maxResults(body: Record<string, unknown>, fallback: number): number {
  const v = body.maxResults ?? 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1000) throw awsErr.sfn('ValidationException', 'maxResults must be a whole number from 0 to 1000');
  return v === 0 ? fallback : v;
}
