/**
 * A Lambda zip whose node_modules/ hold a package with a native addon (better-sqlite3, the
 * platform's own copy, laid out in the zip as npm installs it), through the official client:
 * CreateFunction and UpdateFunctionCode deploy it to the node runtime with the package shipped
 * as files beside the bundle, and it queries an in-memory database; the function keeps its
 * Lambda runtime name; a native package the zip lacks a dependency of is refused, naming it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, InvalidParameterValueException, InvokeCommand, LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { shippedFiles } from '../../src/deploy/native-packages.ts';
import { awsKey } from '../helpers/aws.ts';
import { ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { makeZip } from '../helpers/zip.ts';

const REGION = 'us-east-1';
const decode = (p: Uint8Array | undefined) => JSON.parse(Buffer.from(p ?? []).toString('utf8'));

const handler = (tag: string) => `
import Database from 'better-sqlite3';
const db = new Database(':memory:');
db.exec("create table notes (id integer primary key, text text); insert into notes (text) values ('first'), ('second')");
export const handler = async (event) => ({
  tag: ${JSON.stringify(tag)},
  rows: db.prepare('select id, text from notes where id >= ? order by id').all(event.from ?? 1),
  version: db.prepare('select sqlite_version() as v').get().v,
  greeting: process.env.GREETING ?? null,
});
`;

/** better-sqlite3 and the packages it depends on, as files under node_modules/ (build-only files left out, as a zip of an install would keep them). */
function installed(): Record<string, Buffer> {
  const { files } = shippedFiles(new Map([['better-sqlite3', { dir: join(ROOT, 'node_modules/better-sqlite3'), why: 'the test' }]]));
  return Object.fromEntries(Object.entries(files).map(([path, b64]) => [path, Buffer.from(b64, 'base64')]));
}

describe('Lambda zips with a native addon in node_modules/, through the official client', () => {
  let p: RunningPlatform;
  let lambda: LambdaClient;
  let modules: Record<string, Buffer>;

  before(async () => {
    modules = installed();
    p = await startPlatform({ args: ['--api-body-limit', '16m'] });
    lambda = new LambdaClient({ endpoint: p.url, region: REGION, credentials: await awsKey(p), maxAttempts: 1 });
  });
  after(async () => {
    lambda?.destroy();
    await p?.stop();
    p?.cleanup();
  });

  it('CreateFunction runs it on the node runtime with the package shipped as files; UpdateFunctionCode too', async () => {
    await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'notes',
        Runtime: 'nodejs20.x',
        Role: 'arn:aws:iam::000000000000:role/x',
        Handler: 'index.handler',
        Environment: { Variables: { GREETING: 'hi' } },
        Code: { ZipFile: makeZip({ 'index.mjs': handler('v1'), ...modules }) },
      }),
    );
    const first = await lambda.send(new InvokeCommand({ FunctionName: 'notes', Payload: Buffer.from(JSON.stringify({ from: 2 })) }));
    assert.equal(first.FunctionError, undefined, Buffer.from(first.Payload ?? []).toString());
    const body = decode(first.Payload);
    assert.deepEqual([body.tag, body.rows, body.greeting], ['v1', [{ id: 2, text: 'second' }], 'hi']);
    assert.match(body.version, /^3\.\d+/);
    const config = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'notes' }));
    assert.equal(config.Runtime, 'nodejs20.x');
    const fn = (await (await p.api('/api/v1/functions/notes')).json()) as { current: { config: { runtime: string } } };
    assert.equal(fn.current.config.runtime, 'node');

    await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: 'notes', ZipFile: makeZip({ 'index.mjs': handler('v2'), ...modules }) }));
    const second = decode((await lambda.send(new InvokeCommand({ FunctionName: 'notes', Payload: Buffer.from('{}') }))).Payload);
    assert.deepEqual([second.tag, second.rows.length], ['v2', 2]);
  });

  it('a zip without the native packages stays on the isolates', async () => {
    await lambda.send(new CreateFunctionCommand({ FunctionName: 'plain', Runtime: 'nodejs20.x', Role: 'r', Handler: 'index.handler', Code: { ZipFile: makeZip({ 'index.mjs': 'export const handler = async () => 1;\n' }) } }));
    const fn = (await (await p.api('/api/v1/functions/plain')).json()) as { current: { config: { runtime: string } } };
    assert.equal(fn.current.config.runtime, 'isolate');
  });

  it('a native package whose dependency is not in the zip is refused, naming it', async () => {
    const without = Object.fromEntries(Object.entries(modules).filter(([path]) => !path.startsWith('node_modules/bindings/')));
    await assert.rejects(
      lambda.send(new CreateFunctionCommand({ FunctionName: 'nobindings', Runtime: 'nodejs20.x', Role: 'r', Handler: 'index.handler', Code: { ZipFile: makeZip({ 'index.mjs': handler('x'), ...without }) } })),
      (e: unknown) => e instanceof InvalidParameterValueException && /better-sqlite3 depends on bindings, which is not/.test(e.message),
    );
  });
});
