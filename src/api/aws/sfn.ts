/**
 * Step Functions (JSON 1.0, `X-Amz-Target: AWSStepFunctions.<Operation>`) over the workflow
 * engine: state machines, executions, history, task tokens. Operations Nimbus does not
 * implement answer UnknownOperationException / UnsupportedOperation naming themselves.
 */
import { createHash } from 'node:crypto';
import { NAME_PATTERN } from '../../workflow/engine/engine.ts';
import { parseStateMachine } from '../../workflow/asl/index.ts';
import { isNimbusError } from '../../core/errors.ts';
import { AwsError, awsErr } from './errors.ts';
import { parseAwsJson, type AwsContext, type AwsResponse } from './protocol.ts';
import { engineOf, executionOf, machineArn, maxResults, parseMachineArn, roleArn, seconds, sfnErrorOf, stringField, wholeMachineOf, type SfnOp } from './sfn-arns.ts';
import { SFN_EXECUTION_OPS } from './sfn-executions.ts';
import { testState } from './sfn-test-state.ts';


function definitionOf(body: Record<string, unknown>): string {
  const def = stringField(body, 'definition')!;
  try {
    parseStateMachine(def);
  } catch (error) {
    throw awsErr.sfn('InvalidDefinition', isNimbusError(error) ? error.message : String(error));
  }
  return def;
}

function refuseFields(body: Record<string, unknown>, op: string, fields: readonly string[]): void {
  for (const f of fields) {
    const v = body[f];
    if (v == null || (Array.isArray(v) && v.length === 0)) continue;
    throw awsErr.sfn('ValidationException', `${op}: the field ${f} is not supported by Nimbus (docs/aws.md lists what is)`);
  }
}

async function machineInfo(ctx: AwsContext, arn: unknown) {
  const { name, version } = parseMachineArn(arn);
  const info = await ctx.api.store.workflows.getMachine(name);
  if (!info) throw awsErr.sfn('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
  return { name, version, info };
}

const createStateMachine: SfnOp = async (ctx, body) => {
  const name = stringField(body, 'name')!;
  if (!NAME_PATTERN.test(name)) throw awsErr.sfn('InvalidName', `Invalid Name: '${name}' (Nimbus takes 1-80 letters, digits, "-" or "_", starting with a letter or digit)`);
  if (body.type != null && body.type !== 'STANDARD') throw awsErr.sfn('ValidationException', `type ${String(body.type)} is not supported by Nimbus: every state machine is STANDARD (durable); StartSyncExecution works on them`);
  refuseFields(body, 'CreateStateMachine', ['loggingConfiguration', 'tracingConfiguration', 'tags', 'publish', 'versionDescription', 'encryptionConfiguration']);
  const definition = definitionOf(body);
  const existing = await ctx.api.store.workflows.getMachine(name);
  if (existing) {
    const current = await ctx.api.store.workflows.getMachineVersion(name, existing.currentVersion);
    const same = current && createHash('sha256').update(JSON.stringify(parseStateMachine(definition).definition)).digest('hex') === current.hash;
    if (!same) throw awsErr.sfn('StateMachineAlreadyExists', `State Machine Already Exists: '${machineArn(ctx, name)}'`);
    return { stateMachineArn: machineArn(ctx, name), creationDate: seconds(existing.createdAt) };
  }
  try {
    await engineOf(ctx).deploy(name, definition);
  } catch (error) {
    throw sfnErrorOf(error, 'InvalidDefinition');
  }
  const info = (await ctx.api.store.workflows.getMachine(name))!;
  return { stateMachineArn: machineArn(ctx, name), creationDate: seconds(info.createdAt) };
};

const describeStateMachine: SfnOp = async (ctx, body) => {
  const { name, version, info } = await machineInfo(ctx, body.stateMachineArn);
  const v = await ctx.api.store.workflows.getMachineVersion(name, version ?? info.currentVersion);
  if (!v) throw awsErr.sfn('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(body.stateMachineArn)}'`);
  return {
    stateMachineArn: machineArn(ctx, name),
    name,
    status: 'ACTIVE',
    definition: v.definition,
    roleArn: roleArn(ctx),
    type: 'STANDARD',
    creationDate: seconds(info.createdAt),
    revisionId: v.hash.slice(0, 32),
  };
};

const updateStateMachine: SfnOp = async (ctx, body) => {
  wholeMachineOf(body.stateMachineArn, 'UpdateStateMachine');
  const { name } = await machineInfo(ctx, body.stateMachineArn);
  refuseFields(body, 'UpdateStateMachine', ['loggingConfiguration', 'tracingConfiguration', 'publish', 'versionDescription', 'encryptionConfiguration']);
  if (body.definition == null) return { updateDate: seconds(ctx.api.clock.now()) };
  try {
    const { version } = await engineOf(ctx).deploy(name, definitionOf(body));
    return { updateDate: seconds(version.createdAt), revisionId: version.hash.slice(0, 32) };
  } catch (error) {
    throw sfnErrorOf(error, 'InvalidDefinition');
  }
};

const deleteStateMachine: SfnOp = async (ctx, body) => {
  const name = wholeMachineOf(body.stateMachineArn, 'DeleteStateMachine');
  try {
    await engineOf(ctx).delete(name);
  } catch (error) {
    if (isNimbusError(error) && error.code === 'NIMBUS_ERR_WORKFLOW_NOT_FOUND') return {};
    throw sfnErrorOf(error);
  }
  await ctx.api.asyncSystem?.forgetWorkflow();
  return {};
};


const listStateMachines: SfnOp = async (ctx, body) => {
  const max = maxResults(body, 100);
  const after = body.nextToken == null ? null : String(body.nextToken);
  const all = (await ctx.api.store.workflows.listMachines()).sort((a, b) => (a.name < b.name ? -1 : 1)).filter((m) => after === null || m.name > after);
  const page = all.slice(0, max);
  return {
    stateMachines: page.map((m) => ({ stateMachineArn: machineArn(ctx, m.name), name: m.name, type: 'STANDARD', creationDate: seconds(m.createdAt) })),
    ...(all.length > max ? { nextToken: page[page.length - 1].name } : {}),
  };
};

const validateStateMachineDefinition: SfnOp = async (_ctx, body) => {
  const def = stringField(body, 'definition')!;
  try {
    parseStateMachine(def);
    return { result: 'OK', diagnostics: [] };
  } catch (error) {
    const issues = (isNimbusError(error) ? (error.extra.errors as Array<{ path: string; message: string }> | undefined) : undefined) ?? [{ path: '', message: String((error as Error).message) }];
    return {
      result: 'FAIL',
      diagnostics: issues.map((i) => ({ severity: 'ERROR', code: 'SCHEMA_VALIDATION_FAILED', message: i.message, ...(i.path ? { location: i.path } : {}) })),
    };
  }
};

const describeStateMachineForExecution: SfnOp = async (ctx, body) => {
  const row = await executionOf(ctx, body.executionArn);
  const v = await ctx.api.store.workflows.getMachineVersion(row.machine, row.version);
  if (!v) throw awsErr.sfn('StateMachineDoesNotExist', `the state machine of ${String(body.executionArn)} is gone`);
  return { stateMachineArn: machineArn(ctx, row.machine), name: row.machine, definition: v.definition, roleArn: roleArn(ctx), updateDate: seconds(v.createdAt), revisionId: v.hash.slice(0, 32) };
};

const OPS: Record<string, SfnOp> = {
  CreateStateMachine: createStateMachine,
  DescribeStateMachine: describeStateMachine,
  UpdateStateMachine: updateStateMachine,
  DeleteStateMachine: deleteStateMachine,
  ListStateMachines: listStateMachines,
  ValidateStateMachineDefinition: validateStateMachineDefinition,
  DescribeStateMachineForExecution: describeStateMachineForExecution,
  TestState: testState,
  ...SFN_EXECUTION_OPS,
};

/** Step Functions operations Nimbus knows of but does not implement (the answer names them). */
const NOT_IMPLEMENTED = new Set([
  'CreateActivity', 'DeleteActivity', 'DescribeActivity', 'ListActivities', 'GetActivityTask', 'DescribeMapRun', 'ListMapRuns', 'UpdateMapRun',
  'CreateStateMachineAlias', 'DescribeStateMachineAlias', 'UpdateStateMachineAlias', 'DeleteStateMachineAlias', 'ListStateMachineAliases',
  'PublishStateMachineVersion', 'DeleteStateMachineVersion', 'ListStateMachineVersions', 'TagResource', 'UntagResource', 'ListTagsForResource',
]);

export async function sfnCall(ctx: AwsContext, target: string, bodyText: Buffer): Promise<AwsResponse> {
  const op = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
  const fn = OPS[op];
  if (!fn) {
    if (NOT_IMPLEMENTED.has(op)) throw new AwsError(400, 'UnsupportedOperation', `${op} is not supported by Nimbus (docs/aws.md lists the supported operations)`);
    throw new AwsError(400, 'UnknownOperationException', `Unknown operation ${target}`);
  }
  const body: unknown = bodyText.length === 0 ? {} : parseAwsJson(bodyText.toString('utf8'), 'the body', (why) => new AwsError(400, 'SerializationException', why));
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new AwsError(400, 'SerializationException', 'the body must be a JSON object');
  try {
    return { status: 200, body: await fn(ctx, body as Record<string, unknown>) };
  } catch (error) {
    throw sfnErrorOf(error);
  }
}

