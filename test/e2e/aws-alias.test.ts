/**
 * Lambda aliases through the AWS-compatible endpoint, with the unmodified official client
 * (@aws-sdk/client-lambda) against the real platform: the same aliases the REST API and the
 * CLI see (releases), invoked through, split by RoutingConfig, listed, deleted.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateAliasCommand,
  CreateFunctionCommand,
  DeleteAliasCommand,
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  InvokeCommand,
  LambdaClient,
  ListAliasesCommand,
  PreconditionFailedException,
  PublishVersionCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import { invocationRecord, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { makeZip } from '../helpers/zip.ts';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const ALIAS_ARN = (fn: string, alias: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn}:${alias}`;
const code = (v: number) => `export const handler = async (event) => ({ v: ${v}, got: event });`;
const decode = (p: Uint8Array | undefined) => JSON.parse(Buffer.from(p ?? []).toString('utf8'));

interface RecordView {
  readonly version: number;
  readonly alias: string | null;
}

describe('Lambda aliases through the AWS endpoint with the official client', () => {
  let p: RunningPlatform;
  let lambda: LambdaClient;

  before(async () => {
    p = await startPlatform();
    const res = await p.api('/api/v1/aws-keys', { method: 'POST', body: JSON.stringify({ description: 'e2e aliases' }) });
    assert.equal(res.status, 201);
    const credentials = (await res.json()) as { accessKeyId: string; secretAccessKey: string };
    lambda = new LambdaClient({ endpoint: p.url, region: REGION, credentials, maxAttempts: 1 });
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'canary', Runtime: 'nodejs20.x', Role: 'r', Handler: 'index.handler', Code: { ZipFile: makeZip({ 'index.mjs': code(1) }) } }));
    assert.equal((await lambda.send(new PublishVersionCommand({ FunctionName: 'canary' }))).Version, '1');
    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'canary', ZipFile: makeZip({ 'index.mjs': code(2) }) }));
    assert.equal((await lambda.send(new PublishVersionCommand({ FunctionName: 'canary' }))).Version, '2');
  });
  after(async () => {
    lambda?.destroy();
    await p.stop();
    p.cleanup();
  });

  const recordOf = (id: string) => invocationRecord<RecordView>(p, id, { ms: 20_000 });

  it('creates an alias, invokes through it (the record names it), and the REST API sees the same alias', async () => {
    const created = await lambda.send(new CreateAliasCommand({ FunctionName: 'canary', Name: 'prod', FunctionVersion: '1', Description: 'what users get' }));
    assert.equal(created.AliasArn, ALIAS_ARN('canary', 'prod'));
    assert.equal(created.Name, 'prod');
    assert.equal(created.FunctionVersion, '1');
    assert.equal(created.Description, 'what users get');
    assert.equal(created.RoutingConfig, undefined);
    assert.match(created.RevisionId ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const out = await lambda.send(new InvokeCommand({ FunctionName: 'canary', Qualifier: 'prod', Payload: JSON.stringify({ n: 1 }) }));
    assert.equal(out.FunctionError, undefined, Buffer.from(out.Payload ?? []).toString());
    assert.deepEqual(decode(out.Payload), { v: 1, got: { n: 1 } }, 'the alias serves version 1, not $LATEST (2)');
    assert.equal(out.ExecutedVersion, '1');
    const record = await recordOf(out.$metadata.requestId!);
    assert.equal(record.alias, 'prod');
    assert.equal(record.version, 1);

    // The alias in an ARN, as Lambda clients also give it.
    const byArn = await lambda.send(new InvokeCommand({ FunctionName: ALIAS_ARN('canary', 'prod'), Payload: '{}' }));
    assert.equal(decode(byArn.Payload).v, 1);

    // An Event invocation through the alias keeps it until it runs.
    const queued = await lambda.send(new InvokeCommand({ FunctionName: 'canary', Qualifier: 'prod', InvocationType: 'Event', Payload: '{}' }));
    assert.equal(queued.StatusCode, 202);
    const async = await recordOf(queued.$metadata.requestId!);
    assert.equal(async.alias, 'prod');
    assert.equal(async.version, 1);

    const conf = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'canary', Qualifier: 'prod' }));
    assert.equal(conf.FunctionArn, ALIAS_ARN('canary', 'prod'));
    assert.equal(conf.Version, '1');

    const rest = await p.api('/api/v1/functions/canary/aliases/prod');
    assert.equal(rest.status, 200);
    assert.deepEqual(((await rest.json()) as { routes: unknown }).routes, [{ version: 1, weight: 100 }]);
  });

  it('updates the alias to a 90/10 RoutingConfig and answers it back; the REST API sees the split', async () => {
    const before = await lambda.send(new GetAliasCommand({ FunctionName: 'canary', Name: 'prod' }));
    const updated = await lambda.send(new UpdateAliasCommand({ FunctionName: 'canary', Name: 'prod', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1 } }, RevisionId: before.RevisionId }));
    assert.equal(updated.FunctionVersion, '1', 'FunctionVersion absent: the primary stays');
    assert.deepEqual(updated.RoutingConfig?.AdditionalVersionWeights, { '2': 0.1 });
    assert.notEqual(updated.RevisionId, before.RevisionId);
    const got = await lambda.send(new GetAliasCommand({ FunctionName: 'canary', Name: 'prod' }));
    assert.equal(got.FunctionVersion, '1');
    assert.deepEqual(got.RoutingConfig?.AdditionalVersionWeights, { '2': 0.1 });
    assert.equal(got.Description, 'what users get', 'Description absent: kept');
    const rest = (await (await p.api('/api/v1/functions/canary/aliases/prod')).json()) as { routes: unknown };
    assert.deepEqual(rest.routes, [{ version: 1, weight: 90 }, { version: 2, weight: 10 }]);

    // Whichever version serves a call, the answer, the header and the record agree on it.
    for (let i = 0; i < 10; i++) {
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'canary', Qualifier: 'prod', Payload: '{}' }));
      const v = decode(out.Payload).v as number;
      assert.ok(v === 1 || v === 2);
      assert.equal(out.ExecutedVersion, String(v));
      const record = await recordOf(out.$metadata.requestId!);
      assert.deepEqual([record.alias, record.version], ['prod', v]);
    }

    // A stale RevisionId is refused; moving the primary and dropping the split with {}.
    await assert.rejects(
      lambda.send(new UpdateAliasCommand({ FunctionName: 'canary', Name: 'prod', FunctionVersion: '2', RevisionId: before.RevisionId })),
      (e) => e instanceof PreconditionFailedException && e.$metadata.httpStatusCode === 412,
    );
    const moved = await lambda.send(new UpdateAliasCommand({ FunctionName: 'canary', Name: 'prod', FunctionVersion: '2', RoutingConfig: { AdditionalVersionWeights: {} } }));
    assert.equal(moved.FunctionVersion, '2');
    assert.equal(moved.RoutingConfig, undefined);
    assert.equal(decode((await lambda.send(new InvokeCommand({ FunctionName: 'canary', Qualifier: 'prod', Payload: '{}' }))).Payload).v, 2);
  });

  it('lists aliases with Marker pagination and deletes them', async () => {
    for (const name of ['a-one', 'b-two', 'c-three']) await lambda.send(new CreateAliasCommand({ FunctionName: 'canary', Name: name, FunctionVersion: '1' }));
    const names: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    do {
      const page = await lambda.send(new ListAliasesCommand({ FunctionName: 'canary', MaxItems: 2, Marker: marker }));
      for (const a of page.Aliases ?? []) {
        names.push(a.Name!);
        assert.equal(a.AliasArn, ALIAS_ARN('canary', a.Name!));
      }
      marker = page.NextMarker;
      pages++;
    } while (marker);
    assert.deepEqual(names, ['a-one', 'b-two', 'c-three', 'prod']);
    assert.equal(pages, 2);
    const onOne = await lambda.send(new ListAliasesCommand({ FunctionName: 'canary', FunctionVersion: '1' }));
    assert.deepEqual(onOne.Aliases?.map((a) => a.Name), ['a-one', 'b-two', 'c-three']);

    await lambda.send(new DeleteAliasCommand({ FunctionName: 'canary', Name: 'b-two' }));
    await assert.rejects(lambda.send(new GetAliasCommand({ FunctionName: 'canary', Name: 'b-two' })), (e) => e instanceof ResourceNotFoundException);
    await assert.rejects(lambda.send(new InvokeCommand({ FunctionName: 'canary', Qualifier: 'b-two' })), (e) => e instanceof ResourceNotFoundException && /canary:b-two/.test(e.message));
    assert.equal((await p.api('/api/v1/functions/canary/aliases/b-two')).status, 404);
    const left = await lambda.send(new ListAliasesCommand({ FunctionName: 'canary' }));
    assert.deepEqual(left.Aliases?.map((a) => a.Name), ['a-one', 'c-three', 'prod']);
    assert.equal(left.NextMarker, undefined);
  });

  it('answers a missing function or alias, a duplicate alias and what Nimbus cannot route in AWS error shapes', async () => {
    await assert.rejects(lambda.send(new GetAliasCommand({ FunctionName: 'nope', Name: 'prod' })), (e) => e instanceof ResourceNotFoundException && e.$metadata.httpStatusCode === 404 && /function:nope/.test(e.message));
    await assert.rejects(lambda.send(new CreateAliasCommand({ FunctionName: 'nope', Name: 'prod', FunctionVersion: '1' })), (e) => e instanceof ResourceNotFoundException);
    await assert.rejects(lambda.send(new ListAliasesCommand({ FunctionName: 'nope' })), (e) => e instanceof ResourceNotFoundException);
    await assert.rejects(
      lambda.send(new GetAliasCommand({ FunctionName: 'canary', Name: 'missing' })),
      (e) => e instanceof ResourceNotFoundException && e.message === `Alias not found: ${ALIAS_ARN('canary', 'missing')}`,
    );
    await assert.rejects(lambda.send(new UpdateAliasCommand({ FunctionName: 'canary', Name: 'missing', FunctionVersion: '1' })), (e) => e instanceof ResourceNotFoundException);
    await assert.rejects(
      lambda.send(new CreateAliasCommand({ FunctionName: 'canary', Name: 'prod', FunctionVersion: '1' })),
      (e) => e instanceof ResourceConflictException && e.$metadata.httpStatusCode === 409 && /Alias already exists/.test(e.message),
    );
    assert.equal((await lambda.send(new GetAliasCommand({ FunctionName: 'canary', Name: 'prod' }))).FunctionVersion, '2', 'the refused create changed nothing');
    await assert.rejects(lambda.send(new CreateAliasCommand({ FunctionName: 'canary', Name: 'gone', FunctionVersion: '9' })), (e) => e instanceof ResourceNotFoundException);
    await assert.rejects(
      lambda.send(new CreateAliasCommand({ FunctionName: 'canary', Name: 'three', FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.1, '3': 0.1 } } })),
      (e) => e instanceof InvalidParameterValueException && /at most two versions/.test(e.message),
    );
    await assert.rejects(lambda.send(new CreateAliasCommand({ FunctionName: 'canary', Name: 'latest', FunctionVersion: '$LATEST' })), (e) => e instanceof InvalidParameterValueException && /\$LATEST/.test(e.message));
    await assert.rejects(lambda.send(new CreateAliasCommand({ FunctionName: 'canary', Name: '9lives', FunctionVersion: '1' })), (e) => e instanceof InvalidParameterValueException);
    await assert.rejects(lambda.send(new DeleteAliasCommand({ FunctionName: 'nope', Name: 'prod' })), (e) => e instanceof ResourceNotFoundException);
    await lambda.send(new DeleteAliasCommand({ FunctionName: 'canary', Name: 'never-was' }));
  });

  it('an unqualified Invoke follows an alias named live (the Nimbus default target) and says which version ran; $LATEST does not', async () => {
    await lambda.send(new CreateAliasCommand({ FunctionName: 'canary', Name: 'live', FunctionVersion: '1' }));
    const plain = await lambda.send(new InvokeCommand({ FunctionName: 'canary', Payload: '{}' }));
    assert.equal(decode(plain.Payload).v, 1);
    assert.equal(plain.ExecutedVersion, '1');
    assert.equal((await recordOf(plain.$metadata.requestId!)).alias, 'live');
    const latest = await lambda.send(new InvokeCommand({ FunctionName: 'canary', Qualifier: '$LATEST', Payload: '{}' }));
    assert.equal(decode(latest.Payload).v, 2);
    assert.equal(latest.ExecutedVersion, '$LATEST');
    await lambda.send(new DeleteAliasCommand({ FunctionName: 'canary', Name: 'live' }));
    const after = await lambda.send(new InvokeCommand({ FunctionName: 'canary', Payload: '{}' }));
    assert.deepEqual([decode(after.Payload).v, after.ExecutedVersion], [2, '$LATEST']);
  });
});
