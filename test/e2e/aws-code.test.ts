/**
 * Lambda code as real zips carry it, with the unmodified official SDK client: a zip with its
 * own node_modules/ (resolved at CreateFunction and UpdateFunctionCode), and a zip whose
 * imports try to reach the host's files (refused); python3.* functions on the app runtime;
 * the history of a state machine calling a function by ARN (LambdaFunction* events).
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  InvokeCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { CreateStateMachineCommand, GetExecutionHistoryCommand, SFNClient, StartSyncExecutionCommand } from '@aws-sdk/client-sfn';
import { asyncSucceeded, awsKey } from '../helpers/aws.ts';
import { startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { makeZip } from '../helpers/zip.ts';

const REGION = 'us-east-1';
const decode = (p: Uint8Array | undefined) => JSON.parse(Buffer.from(p ?? []).toString('utf8'));

/** A zip as `npm install && zip -r` makes it: the handler, a CommonJS package and a scoped ES package with `exports`. */
function zipWithModules(shout: string): Buffer {
  return makeZip({
    'index.mjs': [
      "import greet from 'greet';",
      "import { shout } from '@acme/shout';",
      "import { version } from './lib/version.js';",
      'export const handler = async (event) => ({ text: shout(greet(event.who)), version, pkg: greet.pkgVersion });',
    ].join('\n'),
    'lib/version.js': "export const version = 'lib-1';\n",
    'node_modules/greet/package.json': JSON.stringify({ name: 'greet', version: '1.2.3', main: './lib/main.js' }),
    'node_modules/greet/lib/main.js': "const pkg = require('../package.json');\nmodule.exports = (who) => 'hello ' + who;\nmodule.exports.pkgVersion = pkg.version;\n",
    'node_modules/@acme/shout/package.json': JSON.stringify({ name: '@acme/shout', type: 'module', exports: { '.': { import: './esm/index.js', require: './cjs/index.cjs' } } }),
    'node_modules/@acme/shout/esm/index.js': `export const shout = (s) => s.toUpperCase() + ${JSON.stringify(shout)};\n`,
    'node_modules/@acme/shout/cjs/index.cjs': 'exports.shout = () => "the require build was picked";\n',
  });
}

describe('Lambda zips with node_modules/, through the official client', () => {
  let p: RunningPlatform;
  let lambda: LambdaClient;
  let sfn: SFNClient;

  before(async () => {
    p = await startPlatform();
    const credentials = await awsKey(p);
    lambda = new LambdaClient({ endpoint: p.url, region: REGION, credentials, maxAttempts: 1 });
    sfn = new SFNClient({ endpoint: p.url, region: REGION, credentials, maxAttempts: 1, disableHostPrefix: true });
  });
  after(async () => {
    lambda?.destroy();
    sfn?.destroy();
    await p?.stop();
    p?.cleanup();
  });

  it('reports a Task on a Lambda function ARN as LambdaFunction* events, the lambda:invoke integration as Task* (GetExecutionHistory)', async () => {
    const code = "export const handler = async (e) => { if (e.fail) throw new RangeError('no: ' + e.fail); return { doubled: e.n * 2 }; };\n";
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'hist', Runtime: 'nodejs20.x', Role: 'r', Handler: 'index.handler', Code: { ZipFile: makeZip({ 'index.mjs': code }) } }));
    const arn = `arn:aws:lambda:${REGION}:000000000000:function:hist`;
    const machine = async (name: string, states: Record<string, unknown>, startAt: string) =>
      (await sfn.send(new CreateStateMachineCommand({ name, roleArn: 'arn:aws:iam::000000000000:role/x', definition: JSON.stringify({ StartAt: startAt, States: states }) }))).stateMachineArn!;
    const history = async (machineArn: string, input: unknown, includeExecutionData = true) => {
      const run = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn: machineArn, input: JSON.stringify(input) }));
      const out = await sfn.send(new GetExecutionHistoryCommand({ executionArn: run.executionArn!, includeExecutionData }));
      return out.events ?? [];
    };

    const direct = await machine('direct', { Call: { Type: 'Task', Resource: arn, TimeoutSeconds: 30, End: true } }, 'Call');
    const ok = await history(direct, { n: 21 });
    assert.deepEqual(ok.map((e) => e.type), ['ExecutionStarted', 'TaskStateEntered', 'LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionSucceeded', 'TaskStateExited', 'ExecutionSucceeded']);
    assert.deepEqual(ok.map((e) => e.id), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(ok.map((e) => e.previousEventId), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual(ok[2].lambdaFunctionScheduledEventDetails, { resource: arn, input: '{"n":21}', inputDetails: { truncated: false }, timeoutInSeconds: 30 });
    assert.deepEqual(ok[4].lambdaFunctionSucceededEventDetails, { output: '{"doubled":42}', outputDetails: { truncated: false } });
    assert.equal(ok[2].taskScheduledEventDetails, undefined);

    const failed = await history(direct, { fail: 'x' }, false);
    const types = failed.map((e) => e.type);
    assert.deepEqual(types.slice(2, 5), ['LambdaFunctionScheduled', 'LambdaFunctionStarted', 'LambdaFunctionFailed'], types.join(','));
    assert.equal(failed[4].lambdaFunctionFailedEventDetails?.error, 'RangeError');
    assert.match(failed[4].lambdaFunctionFailedEventDetails?.cause ?? '', /no: x/);
    assert.deepEqual(failed[2].lambdaFunctionScheduledEventDetails, { resource: arn, timeoutInSeconds: 30 });

    const optimized = await machine('optimized', { Call: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: arn, 'Payload.$': '$' }, End: true } }, 'Call');
    const integ = (await history(optimized, { n: 1 })).map((e) => e.type);
    assert.ok(integ.includes('TaskScheduled') && integ.includes('TaskSucceeded') && !integ.some((t) => t?.startsWith('LambdaFunction')), integ.join(','));
  });

  it('bundles the packages of the zip at CreateFunction and again at UpdateFunctionCode', async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'withmods', Runtime: 'nodejs20.x', Role: 'arn:aws:iam::000000000000:role/x', Handler: 'index.handler', Code: { ZipFile: zipWithModules('!') } }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'withmods', Payload: JSON.stringify({ who: 'ada' }) }));
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    assert.deepEqual(decode(out.Payload), { text: 'HELLO ADA!', version: 'lib-1', pkg: '1.2.3' });

    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'withmods', ZipFile: zipWithModules('?!') }));
    const again = await lambda.send(new InvokeCommand({ FunctionName: 'withmods', Payload: JSON.stringify({ who: 'bob' }) }));
    assert.deepEqual(decode(again.Payload), { text: 'HELLO BOB?!', version: 'lib-1', pkg: '1.2.3' });
  });

  it('names a package missing from the zip', async () => {
    const zip = makeZip({ 'index.mjs': "import x from 'not-in-the-zip';\nexport const handler = async () => x;\n" });
    await assert.rejects(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'nomods', Runtime: 'nodejs20.x', Role: 'r', Handler: 'index.handler', Code: { ZipFile: zip } })),
      (e: unknown) => e instanceof InvalidParameterValueException && /not-in-the-zip/.test(e.message),
    );
  });

  it('does not bundle host files a zip imports by absolute or climbing paths, or entries that climb out', async () => {
    // A host file that would bundle cleanly if it were reachable: JavaScript, not /etc/passwd.
    const dir = mkdtempSync(join(tmpdir(), 'nimbus-host-'));
    const secret = join(dir, 'secret.mjs');
    writeFileSync(secret, "export default 'HOST-SECRET';\n");
    after(() => rmSync(dir, { recursive: true, force: true }));
    const climb = '../'.repeat(20) + secret.slice(1);
    const attempts: Record<string, Buffer> = {
      absolute: makeZip({ 'index.mjs': `import text from ${JSON.stringify(secret)};\nexport const handler = async () => text;\n` }),
      climbing: makeZip({ 'index.mjs': `import text from ${JSON.stringify(climb)};\nexport const handler = async () => text;\n` }),
      'package main climbing': makeZip({
        'index.mjs': "import text from 'evil';\nexport const handler = async () => text;\n",
        'node_modules/evil/package.json': JSON.stringify({ name: 'evil', main: climb }),
      }),
      'absolute /etc/passwd': makeZip({ 'index.mjs': "import text from '/etc/passwd';\nexport const handler = async () => text;\n" }),
      'require of a host file': makeZip({ 'index.js': `exports.handler = async () => require(${JSON.stringify(secret)}).default;\n` }),
      'entry named ..': makeZip({ 'index.mjs': 'export const handler = async () => 1;\n', '../../escaped.mjs': 'x' }),
    };
    for (const [what, zip] of Object.entries(attempts)) {
      await assert.rejects(
        lambda.send(new CreateFunctionCommand({ FunctionName: 'escape', Runtime: 'nodejs20.x', Role: 'r', Handler: 'index.handler', Code: { ZipFile: zip } })),
        (e: unknown) => {
          assert.ok(e instanceof InvalidParameterValueException, `${what}: ${String(e)}`);
          assert.match(e.message, /only the files sent|must be relative/, what);
          return true;
        },
        what,
      );
    }
  });
});

const PY_V1 = `
import os
from helpers.text import shout

COUNT = 0

def lambda_handler(event, context):
    global COUNT
    COUNT += 1
    print('got', event.get('who'), 'call', COUNT)
    if event.get('fail'):
        raise ValueError('bad input: ' + event['fail'])
    left = context.get_remaining_time_in_millis()
    return {'text': shout('hello ' + event.get('who', '')), 'v': 1, 'greeting': os.environ.get('GREETING'),
            'name': context.function_name, 'arn': context.invoked_function_arn, 'memory': context.memory_limit_in_mb,
            'left_ok': 0 < left <= int(os.environ.get('EXPECT_TIMEOUT_MS', '3000')), 'calls': COUNT}
`;

function pyZip(code: string): Buffer {
  return makeZip({ 'lambda_function.py': code, 'helpers/__init__.py': '', 'helpers/text.py': 'def shout(s):\n    return s.upper()\n' });
}

describe('python3.* Lambda functions on the app runtime, through the official client', () => {
  let p: RunningPlatform;
  let lambda: LambdaClient;
  let unavailable: string | false = false;

  before(async () => {
    p = await startPlatform();
    const credentials = await awsKey(p);
    lambda = new LambdaClient({ endpoint: p.url, region: REGION, credentials, maxAttempts: 1 });
    const { items } = (await (await p.api('/api/v1/runtimes')).json()) as { items: Array<{ kind: string; isolation?: { network: string; hostNetworkAllowed: boolean } }> };
    const app = items.find((r) => r.kind === 'app')?.isolation;
    if (!existsSync('/usr/bin/python3')) unavailable = 'no /usr/bin/python3';
    else if (app?.network !== 'namespace' && !app?.hostNetworkAllowed) unavailable = 'no network namespace for apps';
  });
  after(async () => {
    lambda?.destroy();
    await p?.stop();
    p?.cleanup();
  });

  const create = (name: string, code: Buffer, extra: Record<string, unknown> = {}) =>
    lambda.send(new CreateFunctionCommand({ FunctionName: name, Runtime: 'python3.12', Role: 'arn:aws:iam::000000000000:role/x', Handler: 'lambda_function.lambda_handler', Code: { ZipFile: code }, ...extra }));

  it('where the app runtime cannot run python, refuses the runtime saying why', async (t) => {
    if (!unavailable) return t.skip('this host runs python functions (the next tests)');
    await assert.rejects(create('py', pyZip(PY_V1)), (e: unknown) => e instanceof InvalidParameterValueException && /python3\.12 is not supported by this Nimbus platform: python functions run on the app runtime, and/.test(e.message));
  });

  it('creates one from a zip and invokes it both ways; print() is in the log tail; errors are Lambda\'s', async (t) => {
    if (unavailable) return t.skip(`needs the app runtime with python: ${unavailable}`);
    const created = await create('py', pyZip(PY_V1), { Environment: { Variables: { GREETING: 'hi' } } });
    assert.equal(created.Runtime, 'python3.12');
    assert.equal(created.MemorySize, 128);
    assert.equal(created.Timeout, 3);

    const out = await lambda.send(new InvokeCommand({ FunctionName: 'py', Payload: JSON.stringify({ who: 'ada' }), LogType: 'Tail' }));
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    const value = decode(out.Payload);
    assert.deepEqual(value, { text: 'HELLO ADA', v: 1, greeting: 'hi', name: 'py', arn: `arn:aws:lambda:${REGION}:000000000000:function:py`, memory: 128, left_ok: true, calls: 1 });
    const tail = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    assert.match(tail, /got ada call 1/);
    assert.match(tail, /REPORT RequestId: /);

    const failed = await lambda.send(new InvokeCommand({ FunctionName: 'py', Payload: JSON.stringify({ fail: 'x' }), LogType: 'Tail' }));
    assert.equal(failed.FunctionError, 'Unhandled');
    const err = decode(failed.Payload);
    assert.equal(err.errorType, 'ValueError');
    assert.equal(err.errorMessage, 'bad input: x');
    assert.ok(Array.isArray(err.stackTrace) && err.stackTrace.some((l: string) => /lambda_function\.py", line \d+, in lambda_handler/.test(l)), JSON.stringify(err));
    assert.match(Buffer.from(failed.LogResult ?? '', 'base64').toString('utf8'), /\[ERROR\] ValueError: bad input: x/);

    const queued = await lambda.send(new InvokeCommand({ FunctionName: 'py', InvocationType: 'Event', Payload: JSON.stringify({ who: 'eve' }) }));
    assert.equal(queued.StatusCode, 202);
    await asyncSucceeded(p, queued.$metadata.requestId!);
  });

  it('takes new code and new configuration', async (t) => {
    if (unavailable) return t.skip(`needs the app runtime with python: ${unavailable}`);
    assert.equal((await lambda.send(new PublishVersionCommand({ FunctionName: 'py' }))).Version, '1');
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'py', ZipFile: pyZip(PY_V1.replace("'v': 1", "'v': 2")) }));
    await lambda.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'py', Timeout: 7, MemorySize: 256, Environment: { Variables: { GREETING: 'yo', EXPECT_TIMEOUT_MS: '7000' } } }));
    const conf = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'py' }));
    assert.equal(conf.Runtime, 'python3.12');
    assert.equal(conf.Timeout, 7);
    const out = decode((await lambda.send(new InvokeCommand({ FunctionName: 'py', Payload: JSON.stringify({ who: 'bo' }) }))).Payload);
    assert.equal(out.v, 2);
    assert.equal(out.greeting, 'yo');
    assert.equal(out.memory, 256);
    assert.equal(out.left_ok, true);
    const published = await lambda.send(new InvokeCommand({ FunctionName: 'py', Qualifier: '1', Payload: JSON.stringify({ who: 'old' }) }));
    assert.equal(published.ExecutedVersion, '1');
    assert.equal(decode(published.Payload).v, 1);
  });

  it('runs in a state machine by ARN: its exception type is the error a Catch matches and the history names', async (t) => {
    if (unavailable) return t.skip(`needs the app runtime with python: ${unavailable}`);
    const sfn = new SFNClient({ endpoint: p.url, region: REGION, credentials: await awsKey(p), maxAttempts: 1, disableHostPrefix: true });
    t.after(() => sfn.destroy());
    const arn = `arn:aws:lambda:${REGION}:000000000000:function:py`;
    const definition = {
      StartAt: 'Call',
      States: {
        Call: { Type: 'Task', Resource: arn, Catch: [{ ErrorEquals: ['ValueError'], ResultPath: '$.caught', Next: 'Caught' }], End: true },
        Caught: { Type: 'Pass', End: true },
      },
    };
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: 'pymachine', roleArn: 'arn:aws:iam::000000000000:role/x', definition: JSON.stringify(definition) }));
    const ok = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn, input: JSON.stringify({ who: 'sf' }) }));
    assert.equal(ok.status, 'SUCCEEDED', ok.cause);
    assert.equal(JSON.parse(ok.output!).text, 'HELLO SF');
    const caught = await sfn.send(new StartSyncExecutionCommand({ stateMachineArn, input: JSON.stringify({ fail: 'z' }) }));
    assert.equal(caught.status, 'SUCCEEDED', caught.cause);
    const out = JSON.parse(caught.output!);
    assert.equal(out.caught.Error, 'ValueError');
    assert.match(out.caught.Cause, /bad input: z/);
    const events = (await sfn.send(new GetExecutionHistoryCommand({ executionArn: caught.executionArn! }))).events ?? [];
    const failed = events.find((e) => e.type === 'LambdaFunctionFailed');
    assert.equal(failed?.lambdaFunctionFailedEventDetails?.error, 'ValueError', events.map((e) => e.type).join(','));
  });

  it('answers an import failure as Runtime.ImportModuleError; refuses a missing module, a forged Handler and other runtimes', async (t) => {
    if (unavailable) return t.skip(`needs the app runtime with python: ${unavailable}`);
    await create('pybroken', makeZip({ 'lambda_function.py': 'import not_a_module\ndef lambda_handler(e, c):\n    return 1\n' }));
    const out = await lambda.send(new InvokeCommand({ FunctionName: 'pybroken', Payload: '{}' }));
    assert.equal(out.FunctionError, 'Unhandled');
    const err = decode(out.Payload);
    assert.equal(err.errorType, 'Runtime.ImportModuleError');
    assert.match(err.errorMessage, /Unable to import module 'lambda_function': No module named 'not_a_module'/);

    await assert.rejects(create('pymissing', makeZip({ 'other.py': '' })), (e: unknown) => e instanceof InvalidParameterValueException && /no lambda_function\.py/.test(e.message));
    await assert.rejects(
      create('pyclimb', makeZip({ 'lambda_function.py': 'def lambda_handler(e, c):\n    return 1\n', '../../outside.py': 'x = 1\n' })),
      (e: unknown) => e instanceof InvalidParameterValueException && /must be relative/.test(e.message),
    );
    for (const handler of ["lambda_function.lambda_handler'; touch /tmp/pwned; '", 'lambda_function.x y', '../x.handler']) {
      await assert.rejects(create('pyforged', pyZip(PY_V1), { Handler: handler }), InvalidParameterValueException, handler);
    }
    await assert.rejects(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'javafn', Runtime: 'java21', Role: 'r', Handler: 'a.b', Code: { ZipFile: pyZip(PY_V1) } })),
      (e: unknown) => e instanceof InvalidParameterValueException && /java21 is not supported by Nimbus/.test(e.message),
    );
  });
});
