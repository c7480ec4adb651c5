/**
 * The AWS-compatible endpoint against the real platform, with the unmodified official SDK
 * clients (@aws-sdk/client-lambda, @aws-sdk/client-sfn) pointed at it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  LambdaClient,
  ListFunctionsCommand,
  ListVersionsByFunctionCommand,
  PublishVersionCommand,
  ResourceNotFoundException,
  InvalidParameterValueException,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  DeleteFunctionCommand,
  GetAccountSettingsCommand,
  PutFunctionConcurrencyCommand,
  PutFunctionEventInvokeConfigCommand,
} from '@aws-sdk/client-lambda';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  TaskDoesNotExist,
  StartExecutionCommand,
  StartSyncExecutionCommand,
  StateMachineAlreadyExists,
  StopExecutionCommand,
  type HistoryEvent,
  DeleteStateMachineCommand,
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  ListStateMachinesCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  UpdateStateMachineCommand,
  ValidateStateMachineDefinitionCommand,
  InvalidDefinition,
  TestStateCommand,
} from '@aws-sdk/client-sfn';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { cli, eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { asyncSucceeded } from '../helpers/aws.ts';
import { sdkSigner } from '../helpers/sigv4.ts';
import { makeZip } from '../helpers/zip.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const FN_ARN = (name: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;

const CODE_V1 = `
export const main = async (event) => {
  console.log('got ' + JSON.stringify(event));
  if (event && event.fail) throw new TypeError('bad input: ' + event.fail);
  return { got: event, v: 1, greeting: process.env.GREETING ?? null };
};`;
const CODE_V2 = CODE_V1.replace('v: 1', 'v: 2');

const decode = (p: Uint8Array | undefined) => JSON.parse(Buffer.from(p ?? []).toString('utf8'));

describe('AWS-compatible endpoint with the official SDK clients', () => {
  let p: RunningPlatform;
  let lambda: LambdaClient;
  let sfn: SFNClient;
  let credentials: { accessKeyId: string; secretAccessKey: string };

  before(async () => {
    p = await startPlatform();
    const res = await p.api('/api/v1/aws-keys', { method: 'POST', body: JSON.stringify({ description: 'e2e' }) });
    assert.equal(res.status, 201);
    credentials = (await res.json()) as typeof credentials;
    lambda = new LambdaClient({ endpoint: p.url, region: REGION, credentials, maxAttempts: 1 });
    // StartSyncExecution's endpoint is `sync-<host>` on AWS; an IP-address endpoint has no such name.
    sfn = new SFNClient({ endpoint: p.url, region: REGION, credentials, maxAttempts: 1, disableHostPrefix: true });
  });
  after(async () => {
    lambda?.destroy();
    sfn?.destroy();
    await p.stop();
    p.cleanup();
  });

  it('creates a function from a zip, invokes it both ways, tails its log', async () => {
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'greeter',
        Runtime: 'nodejs20.x',
        Role: `arn:aws:iam::${ACCOUNT}:role/any`,
        Handler: 'index.main',
        Code: { ZipFile: makeZip({ 'index.mjs': CODE_V1 }) },
        Environment: { Variables: { GREETING: 'hi' } },
      }),
    );
    assert.equal(created.FunctionArn, FN_ARN('greeter'));
    assert.equal(created.Handler, 'index.main');
    assert.equal(created.Version, '$LATEST');

    const out = await lambda.send(new InvokeCommand({ FunctionName: 'greeter', Payload: JSON.stringify({ n: 1 }), LogType: 'Tail' }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    assert.deepEqual(decode(out.Payload), { got: { n: 1 }, v: 1, greeting: 'hi' });
    const tail = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    assert.match(tail, /got \{"n":1\}/);
    assert.match(tail, /REPORT RequestId: /);

    const failed = await lambda.send(new InvokeCommand({ FunctionName: FN_ARN('greeter'), Payload: JSON.stringify({ fail: 'x' }) }));
    assert.equal(failed.StatusCode, 200);
    assert.equal(failed.FunctionError, 'Unhandled');
    const err = decode(failed.Payload);
    assert.equal(err.errorType, 'TypeError');
    assert.match(err.errorMessage, /bad input: x/);

    const queued = await lambda.send(new InvokeCommand({ FunctionName: 'greeter', InvocationType: 'Event', Payload: JSON.stringify({ n: 2 }) }));
    assert.equal(queued.StatusCode, 202);
    await asyncSucceeded(p, queued.$metadata.requestId!);

    const dry = await lambda.send(new InvokeCommand({ FunctionName: 'greeter', InvocationType: 'DryRun' }));
    assert.equal(dry.StatusCode, 204);
    // a version or alias that is not there is not found, whatever the invocation type
    for (const Qualifier of ['99', '99999999999999999999999', 'nope']) {
      for (const InvocationType of ['Event', 'RequestResponse', 'DryRun'] as const) {
        await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'greeter', Qualifier, InvocationType, Payload: '{}' })), (e: Error) => e.name === 'ResourceNotFoundException', `${InvocationType} ${Qualifier}`);
      }
    }
  });

  it('updates configuration and code, publishes a version and invokes it by qualifier', async () => {
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'greeter', MemorySize: 256, Timeout: 5, Environment: { Variables: { GREETING: 'hello' } } }));
    const conf = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'greeter' }));
    assert.equal(conf.MemorySize, 256);
    assert.equal(conf.Timeout, 5);
    assert.deepEqual(conf.Environment?.Variables, { GREETING: 'hello' });

    const published1 = await lambda.send(new PublishVersionCommand({ FunctionName: 'greeter' }));
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'greeter', ZipFile: makeZip({ 'index.mjs': CODE_V2 }) }));
    const latest = await lambda.send(new InvokeCommand({ FunctionName: 'greeter', Payload: '{}' }));
    assert.equal(decode(latest.Payload).v, 2, 'the new code serves $LATEST');
    assert.equal(decode(latest.Payload).greeting, 'hello', 'configuration carried into the new code');
    const old = await lambda.send(new InvokeCommand({ FunctionName: 'greeter', Qualifier: published1.Version, Payload: '{}' }));
    assert.equal(decode(old.Payload).v, 1, 'the published version keeps its code');
    assert.equal(old.ExecutedVersion, published1.Version);

    const versions = await lambda.send(new ListVersionsByFunctionCommand({ FunctionName: 'greeter' }));
    assert.deepEqual(versions.Versions?.map((v) => v.Version), ['$LATEST', published1.Version]);
    const got = await lambda.send(new GetFunctionCommand({ FunctionName: 'greeter' }));
    assert.equal(got.Configuration?.MemorySize, 256);
  });

  it('lists functions with Marker pagination and answers errors as the SDK expects', async () => {
    // CommonJS, and Lambda's callback style with a handler in a subfolder
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'pg-a', Runtime: 'nodejs20.x', Role: 'r', Handler: 'index.handler', Code: { ZipFile: makeZip({ 'index.js': 'exports.handler = async () => 1;' }) } }));
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'pg-b',
        Runtime: 'nodejs18.x',
        Role: 'r',
        Handler: 'src/app.run',
        Code: { ZipFile: makeZip({ 'src/app.js': "const two = require('./two.js');\nexports.run = (event, context, callback) => callback(null, two() + context.functionName);", 'src/two.js': 'module.exports = () => 2;' }) },
      }),
    );
    assert.equal(decode((await lambda.send(new InvokeCommand({ FunctionName: 'pg-a' }))).Payload), 1);
    assert.equal(decode((await lambda.send(new InvokeCommand({ FunctionName: 'pg-b' }))).Payload), '2pg-b');
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await lambda.send(new ListFunctionsCommand({ MaxItems: 2, Marker: marker }));
      names.push(...(page.Functions ?? []).map((f) => f.FunctionName!));
      marker = page.NextMarker;
      pages++;
    } while (marker);
    assert.deepEqual(names, ['greeter', 'pg-a', 'pg-b']);
    assert.equal(pages, 2);

    await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'nope' })), (e) => e instanceof ResourceNotFoundException && e.$metadata.httpStatusCode === 404);
    await lambda.send(new DeleteFunctionCommand({ FunctionName: 'pg-b' }));
    await assert.rejects(lambda.send(new GetFunctionCommand({ FunctionName: 'pg-b' })), (e) => e instanceof ResourceNotFoundException);
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'pg-b' })), (e) => e instanceof ResourceNotFoundException);
    await assert.rejects(
      // python3.* runs where the app runtime can (test/e2e/aws-code.test.ts); other languages never do
      lambda.send(new CreateFunctionCommand({ FunctionName: 'rb', Runtime: 'ruby3.3', Role: 'r', Handler: 'index.handler', Code: { ZipFile: makeZip({ 'index.rb': '' }) } })),
      (e) => e instanceof InvalidParameterValueException && /ruby3\.3 is not supported by Nimbus/.test(e.message),
    );
  });

  it('refuses unknown keys, a wrong secret and a tampered signature', async () => {
    const stranger = new LambdaClient({ endpoint: p.url, region: REGION, credentials: { accessKeyId: 'NKIAUNKNOWN', secretAccessKey: 'x' }, maxAttempts: 1 });
    await assert.rejects(stranger.send(new ListFunctionsCommand({})), (e: Error & { $metadata?: { httpStatusCode?: number } }) => e.name === 'UnrecognizedClientException' && e.$metadata?.httpStatusCode === 403);
    const wrong = new LambdaClient({ endpoint: p.url, region: REGION, credentials: { ...credentials, secretAccessKey: credentials.secretAccessKey + 'x' }, maxAttempts: 1 });
    await assert.rejects(wrong.send(new ListFunctionsCommand({})), (e: Error & { $metadata?: { httpStatusCode?: number } }) => e.name === 'InvalidSignatureException' && e.$metadata?.httpStatusCode === 403);
    const tampering = new LambdaClient({ endpoint: p.url, region: REGION, credentials, maxAttempts: 1 });
    // After signing, change one character of the signature in the Authorization header.
    tampering.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        headers.authorization = headers.authorization.replace(/Signature=([0-9a-f])/, (_, c: string) => `Signature=${c === '0' ? '1' : '0'}`);
        return next(args);
      },
      { step: 'finalizeRequest', priority: 'low', name: 'tamper' },
    );
    await assert.rejects(tampering.send(new ListFunctionsCommand({})), (e: Error) => e.name === 'InvalidSignatureException');
    const unsigned = await fetch(`${p.url}/2015-03-31/functions/`);
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    for (const c of [stranger, wrong, tampering]) c.destroy();

    // An unknown key is refused from the headers, before a byte of the (announced, huge) body.
    const answer = await new Promise<{ status: number; type: string }>((resolve, reject) => {
      const r = request(`${p.url}/2015-03-31/functions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(2 ** 40),
          'x-amz-date': '20260101T000000Z',
          authorization: 'AWS4-HMAC-SHA256 Credential=NKIASTRANGER/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=00',
        },
      });
      r.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['x-amzn-errortype']) });
        r.destroy();
      });
      r.on('error', reject);
      r.flushHeaders();
    });
    assert.deepEqual(answer, { status: 403, type: 'UnrecognizedClientException' });
  });

  it('runs a state machine that calls the function by ARN: sync, async, history, pagination, stop, task token', async () => {
    const definition = JSON.stringify({ StartAt: 'Call', States: { Call: { Type: 'Task', Resource: FN_ARN('greeter'), End: true } } });
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: 'flow', definition, roleArn: 'arn:aws:iam::000000000000:role/x' }));
    assert.equal(stateMachineArn, `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:flow`);
    await assert.rejects(
      sfn.send(new CreateStateMachineCommand({ name: 'flow', definition: definition.replace('End', 'Comment":"x","End'), roleArn: 'r' })),
      (e) => e instanceof StateMachineAlreadyExists,
    );

    const sync = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn, input: JSON.stringify({ k: 'sync' }) }));
    assert.equal(sync.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(sync.output!).got, { k: 'sync' });

    const arns: string[] = [];
    for (let i = 0; i < 3; i++) arns.push((await sfn.send(new StartExecutionCommand({ stateMachineArn, name: `run-${i}`, input: JSON.stringify({ i }) }))).executionArn!);
    for (const executionArn of arns) {
      await eventually(async () => (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status === 'SUCCEEDED', 20_000);
    }
    const listed: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'SUCCEEDED', maxResults: 2, nextToken }));
      listed.push(...(page.executions ?? []).map((e) => e.executionArn!));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    assert.equal(listed.length, 4, 'three async runs and the sync one');
    assert.ok(pages >= 2);
    for (const a of arns) assert.ok(listed.includes(a));

    const events: HistoryEvent[] = [];
    nextToken = undefined;
    do {
      const page: { events?: HistoryEvent[]; nextToken?: string } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arns[0], maxResults: 2, nextToken }));
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    assert.equal(events[0].type, 'ExecutionStarted');
    assert.equal(events[0].id, 1);
    assert.equal(events.at(-1)!.type, 'ExecutionSucceeded');
    assert.ok(events.some((e) => e.type === 'LambdaFunctionSucceeded'), events.map((e) => e.type).join(','));
    assert.ok(events[0].timestamp instanceof Date);
    const reversed = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arns[0], reverseOrder: true, maxResults: 1 }));
    assert.equal(reversed.events![0].type, 'ExecutionSucceeded');

    await assert.rejects(sfn.send(new DescribeExecutionCommand({ executionArn: `${arns[0]}-missing` })), (e) => e instanceof ExecutionDoesNotExist);
  });

  it('stops a waiting execution; a callback task takes SendTaskHeartbeat, then completes with SendTaskSuccess', async () => {
    const waiting = await sfn.send(
      new CreateStateMachineCommand({ name: 'sleepy', roleArn: 'r', definition: JSON.stringify({ StartAt: 'W', States: { W: { Type: 'Wait', Seconds: 3600, End: true } } }) }),
    );
    const started = await sfn.send(new StartExecutionCommand({ stateMachineArn: waiting.stateMachineArn, name: 'to-stop' }));
    await sfn.send(new StopExecutionCommand({ executionArn: started.executionArn, error: 'Manual', cause: 'test' }));
    const stopped = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    assert.equal(stopped.status, 'ABORTED');

    const callback = await sfn.send(
      new CreateStateMachineCommand({
        name: 'callback',
        roleArn: 'r',
        definition: JSON.stringify({
          StartAt: 'Ask',
          States: {
            Ask: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: FN_ARN('greeter'), Payload: { 'token.$': '$$.Task.Token' } }, End: true },
          },
        }),
      }),
    );
    const run = await sfn.send(new StartExecutionCommand({ stateMachineArn: callback.stateMachineArn, name: 'cb-1' }));
    // The token reaches the function; the test reads it where the platform shows it.
    const token = await eventually(async () => {
      const list = (await (await p.api('/api/v1/executions?workflow=callback&status=RUNNING')).json()) as { items: Array<{ executionId: string }> };
      if (list.items.length === 0) return null;
      const ex = (await (await p.api(`/api/v1/executions/${list.items[0].executionId}`)).json()) as { waitingFor?: Array<{ taskToken?: string | null }> };
      return ex.waitingFor?.find((w) => w.taskToken)?.taskToken ?? null;
    }, 20_000);
    // A heartbeat on the waiting task is taken; one on a token no task holds is TaskDoesNotExist.
    assert.deepEqual(Object.keys(await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }))).filter((k) => k !== '$metadata'), []);
    await assert.rejects(sfn.send(new SendTaskHeartbeatCommand({ taskToken: token.slice(0, -4) + 'AAAA' })), (e: unknown) => e instanceof TaskDoesNotExist);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approved: true }) }));
    const done = await eventually(async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
      return d.status === 'SUCCEEDED' ? d : null;
    }, 20_000);
    assert.deepEqual(JSON.parse(done.output!), { approved: true });
    // The task is over: its token no longer takes a heartbeat.
    await assert.rejects(sfn.send(new SendTaskHeartbeatCommand({ taskToken: token })), (e: unknown) => e instanceof TaskDoesNotExist);
  });

  it('maps concurrency and event-invoke config onto Nimbus settings; reads account settings', async () => {
    const c = await lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: 'greeter', ReservedConcurrentExecutions: 25 }));
    assert.equal(c.ReservedConcurrentExecutions, 25);
    const scale = (await (await p.api('/api/v1/functions/greeter/scale')).json()) as { settings?: { maxInstances?: number }; override?: { maxInstances?: number } };
    assert.match(JSON.stringify(scale), /"maxInstances":3\b/, 'ceil(25 / 10 per instance) instances');
    await lambda.send(
      new PutFunctionEventInvokeConfigCommand({ FunctionName: 'greeter', MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 120, DestinationConfig: { OnFailure: { Destination: FN_ARN('pg-a') } } }),
    );
    const policy = JSON.stringify(await (await p.api('/api/v1/functions/greeter/async-policy')).json());
    assert.match(policy, /"maxAttempts":1\b/);
    assert.match(policy, /"maxEventAgeMs":120000\b/);
    assert.match(policy, /"onFailure":\{"kind":"function","name":"pg-a"\}/);
    await assert.rejects(
      lambda.send(new PutFunctionEventInvokeConfigCommand({ FunctionName: 'greeter', DestinationConfig: { OnSuccess: { Destination: `arn:aws:sqs:${REGION}:${ACCOUNT}:q` } } })),
      (e: Error) => e.name === 'UnsupportedOperationException' && /only Lambda function ARNs/.test(e.message),
    );
    const account = await lambda.send(new GetAccountSettingsCommand({}));
    assert.ok((account.AccountUsage?.FunctionCount ?? 0) === 2);
  });

  it('accepts a presigned URL until it expires; a key removed with the CLI is refused', async () => {
    const made = await cli(p, ['aws-keys', 'create', '--json', '--description', 'temp']);
    assert.equal(made.code, 0, made.stderr);
    const key = JSON.parse(made.stdout) as { accessKeyId: string; secretAccessKey: string };
    const url = new URL(p.url);
    const signer = sdkSigner(key, REGION, 'lambda');
    const presigned = (await signer.presign(
      { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/2015-03-31/functions/greeter/configuration', query: {}, headers: { host: url.host } } as never,
      { expiresIn: 60 },
    )) as { query: Record<string, string> };
    const target = `${p.url}/2015-03-31/functions/greeter/configuration?${new URLSearchParams(presigned.query).toString()}`;
    const ok = await fetch(target);
    assert.equal(ok.status, 200, await ok.clone().text());
    assert.equal(((await ok.json()) as { FunctionName: string }).FunctionName, 'greeter');
    const old = (await signer.presign(
      { method: 'GET', protocol: 'http:', hostname: url.hostname, port: Number(url.port), path: '/2015-03-31/functions/greeter/configuration', query: {}, headers: { host: url.host } } as never,
      { expiresIn: 60, signingDate: new Date(Date.now() - 120_000) },
    )) as { query: Record<string, string> };
    const expired = await fetch(`${p.url}/2015-03-31/functions/greeter/configuration?${new URLSearchParams(old.query).toString()}`);
    assert.equal(expired.status, 403);
    assert.equal(expired.headers.get('x-amzn-errortype'), 'InvalidSignatureException');

    // The lines `aws-keys create` prints work when pasted into a shell: the key, the region
    // to sign for and the endpoint (they once held a <placeholder> the shell read as a redirect).
    const shown = await cli(p, ['aws-keys', 'create', '--description', 'pasted']);
    assert.equal(shown.code, 0, shown.stderr);
    const exportLine = shown.stdout.split('\n').find((l) => l.trim().startsWith('export '));
    assert.ok(exportLine, shown.stdout);
    assert.match(shown.stdout, new RegExp(`--endpoint-url ${p.url.replace(/[.]/g, '\\.')}\\b`));
    const pasted = spawnSync('bash', ['-c', `${exportLine}\nprintf '%s\\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_REGION" "$AWS_DEFAULT_REGION"`], { encoding: 'utf8' });
    assert.equal(pasted.status, 0, pasted.stderr);
    const [pastedId, pastedSecret, pastedRegion, pastedDefault] = pasted.stdout.split('\n');
    assert.deepEqual([pastedRegion, pastedDefault], [REGION, REGION]);
    const fromPaste = new LambdaClient({ endpoint: p.url, region: pastedRegion, credentials: { accessKeyId: pastedId, secretAccessKey: pastedSecret }, maxAttempts: 1 });
    assert.ok(((await fromPaste.send(new ListFunctionsCommand({}))).Functions ?? []).some((f) => f.FunctionName === 'greeter'));
    fromPaste.destroy();
    assert.equal((await cli(p, ['aws-keys', 'rm', pastedId])).code, 0);

    const listed = await cli(p, ['aws-keys', 'ls']);
    assert.match(listed.stdout, new RegExp(key.accessKeyId));
    assert.ok(!listed.stdout.includes(key.secretAccessKey), 'ls never shows a secret');
    assert.equal((await cli(p, ['aws-keys', 'rm', key.accessKeyId])).code, 0);
    const client = new LambdaClient({ endpoint: p.url, region: REGION, credentials: key, maxAttempts: 1 });
    await assert.rejects(client.send(new ListFunctionsCommand({})), (e: Error) => e.name === 'UnrecognizedClientException');
    client.destroy();
  });
  it('validates, updates, lists, redrives, fails a callback task and deletes state machines', async () => {
    const bad = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: JSON.stringify({ StartAt: 'Nope', States: {} }) }));
    assert.equal(bad.result, 'FAIL');
    assert.ok((bad.diagnostics ?? []).length > 0);
    const good = await sfn.send(new ValidateStateMachineDefinitionCommand({ definition: JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', End: true } } }) }));
    assert.equal(good.result, 'OK');
    await assert.rejects(sfn.send(new CreateStateMachineCommand({ name: 'broken', roleArn: 'r', definition: '{"StartAt":"X"}' })), (e) => e instanceof InvalidDefinition);

    const failing = { StartAt: 'Call', States: { Call: { Type: 'Task', Resource: FN_ARN('greeter'), End: true } } };
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: 'failing', roleArn: 'r', definition: JSON.stringify(failing) }));
    const run = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'f1', input: JSON.stringify({ fail: 'boom' }) }));
    const failed = await eventually(async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
      return d.status === 'FAILED' ? d : null;
    }, 20_000);
    assert.equal(failed.redriveStatus, 'REDRIVABLE');
    await sfn.send(new RedriveExecutionCommand({ executionArn: run.executionArn }));
    const again = await eventually(async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: run.executionArn }));
      return d.status === 'FAILED' && d.redriveCount === 1 ? d : null;
    }, 20_000);
    assert.equal(again.redriveCount, 1);

    const updated = { StartAt: 'P', States: { P: { Type: 'Pass', Result: { updated: true }, End: true } } };
    await sfn.send(new UpdateStateMachineCommand({ stateMachineArn, definition: JSON.stringify(updated) }));
    assert.deepEqual(JSON.parse((await sfn.send(new DescribeStateMachineCommand({ stateMachineArn }))).definition!).States.P.Result, { updated: true });
    const forRun = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn: run.executionArn }));
    assert.equal(JSON.parse(forRun.definition!).States.Call.Type, 'Task', 'the execution keeps the version it ran');
    const names = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.map((m) => m.name);
    assert.ok(names?.includes('failing') && names.includes('flow'));

    const cbRun = await sfn.send(new StartExecutionCommand({ stateMachineArn: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:callback`, name: 'cb-2' }));
    const token = await eventually(async () => {
      const list = (await (await p.api('/api/v1/executions?workflow=callback&status=RUNNING')).json()) as { items: Array<{ executionId: string }> };
      if (list.items.length === 0) return null;
      const ex = (await (await p.api(`/api/v1/executions/${list.items[0].executionId}`)).json()) as { waitingFor?: Array<{ taskToken?: string | null }> };
      return ex.waitingFor?.find((w) => w.taskToken)?.taskToken ?? null;
    }, 20_000);
    await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'Denied', cause: 'no' }));
    const denied = await eventually(async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: cbRun.executionArn }));
      return d.status === 'FAILED' ? d : null;
    }, 20_000);
    assert.equal(denied.error, 'Denied');

    // A version's ARN names one version: deleting or updating the whole machine through it is refused.
    const refused = (e: Error) => e.name === 'ValidationException';
    await assert.rejects(sfn.send(new DeleteStateMachineCommand({ stateMachineArn: `${stateMachineArn}:1` })), refused);
    await assert.rejects(sfn.send(new UpdateStateMachineCommand({ stateMachineArn: `${stateMachineArn}:1`, definition: JSON.stringify(updated) })), refused);
    assert.ok((await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.some((m) => m.name === 'failing'), 'still there');
    await sfn.send(new DeleteStateMachineCommand({ stateMachineArn }));
    const after = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines?.map((m) => m.name);
    assert.ok(!after?.includes('failing'));
  });
  it('TestState runs one state: Pass, a Task calling the function, Catch, Retry, Choice, Fail', async () => {
    const run = (state: unknown, input: unknown = {}) => sfn.send(new TestStateCommand({ definition: JSON.stringify(state), roleArn: 'r', input: JSON.stringify(input) }));
    const pass = await run({ Type: 'Pass', Result: { a: 1 }, ResultPath: '$.r', Next: 'After' }, { x: 1 });
    assert.equal(pass.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(pass.output!), { x: 1, r: { a: 1 } });
    assert.equal(pass.nextState, 'After');
    const task = await run({ Type: 'Task', Resource: FN_ARN('greeter'), End: true }, { q: 2 });
    assert.equal(task.status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(task.output!).got, { q: 2 });
    const caught = await run({ Type: 'Task', Resource: FN_ARN('greeter'), Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Handle' }], End: true }, { fail: 'c' });
    assert.equal(caught.status, 'CAUGHT_ERROR');
    assert.equal(caught.nextState, 'Handle');
    assert.equal(caught.error, 'TypeError');
    const retry = await run({ Type: 'Task', Resource: FN_ARN('greeter'), Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 2 }], End: true }, { fail: 'r' });
    assert.equal(retry.status, 'RETRIABLE');
    const choice = await run({ Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThan: 5, Next: 'Big' }], Default: 'Small' }, { n: 9 });
    assert.equal(choice.nextState, 'Big');
    const fail = await run({ Type: 'Fail', Error: 'Nope', Cause: 'because' });
    assert.equal(fail.status, 'FAILED');
    assert.equal(fail.error, 'Nope');
  });
});
