/**
 * Step Functions' execution operations over the workflow engine: StartExecution,
 * StartSyncExecution, DescribeExecution, ListExecutions, StopExecution, GetExecutionHistory,
 * RedriveExecution, SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat.
 */
import { isNimbusError } from '../../core/errors.ts';
import type { ExecStatus, ExecutionRow } from '../../store/workflow-ports.ts';
import { awsErr } from './errors.ts';
import { parseAwsJson, type AwsContext } from './protocol.ts';
import { awsHistory } from './sfn-history.ts';
import { engineOf, executionArn, executionOf, machineArn, maxResults, parseMachineArn, roleArn, seconds, sfnErrorOf, stringField, type SfnOp } from './sfn-arns.ts';

/** How long StartSyncExecution waits (Express workflows' own limit). */
const SYNC_TIMEOUT_MS = 5 * 60_000;
const STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']);

function inputOf(body: Record<string, unknown>): unknown {
  const text = stringField(body, 'input', false) ?? '{}';
  return parseAwsJson(text, 'the input', (why) => awsErr.sfn('InvalidExecutionInput', `Invalid State Machine Execution Input: ${why}`));
}

function nameOf(body: Record<string, unknown>): string | undefined {
  const name = stringField(body, 'name', false);
  if (name !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_-]{0,79}$/.test(name)) {
    throw awsErr.sfn('InvalidName', `Invalid Name: '${name}' (Nimbus takes 1-80 letters, digits, "-" or "_", starting with a letter or digit)`);
  }
  return name;
}

/** StartExecution's and StartSyncExecution's arguments as the engine takes them. */
function startArgs(body: Record<string, unknown>) {
  const { name: machine, version } = parseMachineArn(body.stateMachineArn);
  const options = { name: nameOf(body), source: 'aws', ...(version === undefined ? {} : { version }) };
  return { machine, options, input: inputOf(body) };
}

function repeatRefused(error: unknown, body: Record<string, unknown>): never {
  if (isNimbusError(error) && error.code === 'NIMBUS_ERR_STATE_CONFLICT') {
    throw awsErr.sfn('ExecutionAlreadyExists', `Execution Already Exists: an execution named '${String(body.name)}' exists with another input`);
  }
  if (isNimbusError(error) && error.code === 'NIMBUS_ERR_WORKFLOW_NOT_FOUND') {
    throw awsErr.sfn('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
  }
  throw sfnErrorOf(error, 'ValidationException');
}

const startExecution: SfnOp = async (ctx, body) => {
  const s = startArgs(body);
  try {
    const { execution } = await engineOf(ctx).start(s.machine, s.input, s.options);
    return { executionArn: executionArn(ctx, execution.machine, execution.name), startDate: seconds(execution.startedAt) };
  } catch (error) {
    repeatRefused(error, body);
  }
};

const startSyncExecution: SfnOp = async (ctx, body) => {
  const s = startArgs(body);
  let execution: ExecutionRow;
  try {
    execution = (await engineOf(ctx).run(s.machine, s.input, SYNC_TIMEOUT_MS, s.options)).execution;
  } catch (error) {
    repeatRefused(error, body);
  }
  const row = await engineOf(ctx).describe(execution.id);
  const base = {
    executionArn: executionArn(ctx, row.machine, row.name),
    stateMachineArn: machineArn(ctx, row.machine),
    name: row.name,
    startDate: seconds(row.startedAt),
    stopDate: seconds(row.stoppedAt ?? ctx.api.clock.now()),
    input: row.input,
    inputDetails: { included: true },
    billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: (row.stoppedAt ?? ctx.api.clock.now()) - row.startedAt },
  };
  if (row.status === 'RUNNING') {
    return { ...base, status: 'TIMED_OUT', error: 'States.Timeout', cause: `still running after ${SYNC_TIMEOUT_MS / 1000} s; DescribeExecution follows it` };
  }
  if (row.status === 'SUCCEEDED') return { ...base, status: 'SUCCEEDED', output: row.output ?? 'null', outputDetails: { included: true } };
  return { ...base, status: row.status === 'TIMED_OUT' ? 'TIMED_OUT' : 'FAILED', ...(row.error === null ? {} : { error: row.error }), ...(row.cause === null ? {} : { cause: row.cause }) };
};

function describeView(ctx: AwsContext, row: ExecutionRow): Record<string, unknown> {
  return {
    executionArn: executionArn(ctx, row.machine, row.name),
    stateMachineArn: machineArn(ctx, row.machine),
    name: row.name,
    status: row.status,
    startDate: seconds(row.startedAt),
    ...(row.stoppedAt === null ? {} : { stopDate: seconds(row.stoppedAt) }),
    input: row.input,
    inputDetails: { included: true },
    ...(row.output === null ? {} : { output: row.output, outputDetails: { included: true } }),
    ...(row.error === null ? {} : { error: row.error }),
    ...(row.cause === null ? {} : { cause: row.cause }),
    redriveCount: row.redriveCount,
    redriveStatus: row.status === 'RUNNING' || row.status === 'SUCCEEDED' ? 'NOT_REDRIVABLE' : 'REDRIVABLE',
  };
}

const describeExecution: SfnOp = async (ctx, body) => describeView(ctx, await executionOf(ctx, body.executionArn));

/** nextToken is the id of the last execution of the page (ids sort by start time). */
const listExecutions: SfnOp = async (ctx, body) => {
  if (body.mapRunArn != null) throw awsErr.sfn('ValidationException', 'ListExecutions: mapRunArn is not supported by Nimbus (Map runs are part of their execution)');
  if (body.redriveFilter != null) throw awsErr.sfn('ValidationException', 'ListExecutions: redriveFilter is not supported by Nimbus');
  const { name } = parseMachineArn(body.stateMachineArn);
  if (!(await ctx.api.store.workflows.getMachine(name))) throw awsErr.sfn('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
  const status = body.statusFilter == null ? undefined : String(body.statusFilter);
  if (status !== undefined && !STATUSES.has(status)) throw awsErr.sfn('ValidationException', `statusFilter must be one of ${[...STATUSES].join(', ')}`);
  const max = maxResults(body, 100);
  if (status === 'PENDING_REDRIVE') return { executions: [] };
  const before = body.nextToken == null ? undefined : String(body.nextToken);
  const rows = await engineOf(ctx).list({ machine: name, status: status as ExecStatus | undefined, before, limit: max + 1 });
  const page = rows.slice(0, max);
  return {
    executions: page.map((r) => ({
      executionArn: executionArn(ctx, r.machine, r.name),
      stateMachineArn: machineArn(ctx, r.machine),
      name: r.name,
      status: r.status,
      startDate: seconds(r.startedAt),
      ...(r.stoppedAt === null ? {} : { stopDate: seconds(r.stoppedAt) }),
      redriveCount: r.redriveCount,
    })),
    ...(rows.length > max ? { nextToken: page[page.length - 1].id } : {}),
  };
};

const stopExecution: SfnOp = async (ctx, body) => {
  const row = await executionOf(ctx, body.executionArn);
  if (row.status !== 'RUNNING') return { stopDate: seconds(row.stoppedAt ?? ctx.api.clock.now()) };
  const after = await engineOf(ctx).stop(row.id, stringField(body, 'error', false), stringField(body, 'cause', false));
  return { stopDate: seconds(after.stoppedAt ?? ctx.api.clock.now()) };
};

/** nextToken is the offset into the (possibly reversed) event list. */
const getExecutionHistory: SfnOp = async (ctx, body) => {
  const row = await executionOf(ctx, body.executionArn);
  const max = maxResults(body, 100);
  const journal = (await engineOf(ctx).history(row.id, 0, row.historyCount + 1000)) as Array<Record<string, unknown>>;
  const events = awsHistory(journal, body.includeExecutionData !== false, roleArn(ctx));
  if (body.reverseOrder === true) events.reverse();
  const offset = body.nextToken == null ? 0 : Number(body.nextToken);
  if (!Number.isInteger(offset) || offset < 0) throw awsErr.sfn('InvalidToken', `Invalid Token: '${String(body.nextToken)}'`);
  const page = events.slice(offset, offset + max);
  return {
    events: page,
    ...(offset + max < events.length ? { nextToken: String(offset + max) } : {}),
  };
};

const redriveExecution: SfnOp = async (ctx, body) => {
  const row = await executionOf(ctx, body.executionArn);
  try {
    await engineOf(ctx).redrive(row.id);
  } catch (error) {
    if (isNimbusError(error) && error.code === 'NIMBUS_ERR_STATE_CONFLICT') throw awsErr.sfn('ExecutionNotRedrivable', error.message);
    throw error;
  }
  return { redriveDate: seconds(ctx.api.clock.now()) };
};

const sendTaskSuccess: SfnOp = async (ctx, body) => {
  const token = stringField(body, 'taskToken')!;
  const text = stringField(body, 'output')!;
  const output = parseAwsJson(text, 'the output', (why) => awsErr.sfn('InvalidOutput', `Invalid Output: ${why}`));
  await engineOf(ctx).completeTask(token, { type: 'success', output: output as never });
  return {};
};

const sendTaskFailure: SfnOp = async (ctx, body) => {
  const token = stringField(body, 'taskToken')!;
  await engineOf(ctx).completeTask(token, { type: 'failure', error: stringField(body, 'error', false), cause: stringField(body, 'cause', false) });
  return {};
};

const sendTaskHeartbeat: SfnOp = async (ctx, body) => {
  await engineOf(ctx).completeTask(stringField(body, 'taskToken')!, { type: 'heartbeat' });
  return {};
};

export const SFN_EXECUTION_OPS: Record<string, SfnOp> = {
  StartExecution: startExecution,
  StartSyncExecution: startSyncExecution,
  DescribeExecution: describeExecution,
  ListExecutions: listExecutions,
  StopExecution: stopExecution,
  GetExecutionHistory: getExecutionHistory,
  RedriveExecution: redriveExecution,
  SendTaskSuccess: sendTaskSuccess,
  SendTaskFailure: sendTaskFailure,
  SendTaskHeartbeat: sendTaskHeartbeat,
};
