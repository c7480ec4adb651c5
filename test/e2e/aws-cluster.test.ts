/**
 * The AWS layer's state in the store. On a two-node cluster (PostgreSQL and NATS), a key made
 * with `nimbus aws-keys` on one node signs requests the other accepts, Lambda facts set on one
 * are read on the other, and a key removed on one is refused by the other at once. On one
 * node, a data directory from before (the JSON files) is imported on the first start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateFunctionCommand, GetFunctionConfigurationCommand, InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { clusterSkipReason, startCluster } from '../helpers/cluster.ts';
import { cli, eventually, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { makeZip } from '../helpers/zip.ts';

const skip = (await clusterSkipReason()) ?? false;
const REGION = 'us-east-1';
const CODE = 'export const main = async (event) => ({ echo: event, from: "lambda" });';
const decode = (p: Uint8Array | undefined) => JSON.parse(Buffer.from(p ?? []).toString('utf8'));
const client = (node: RunningPlatform, credentials: { accessKeyId: string; secretAccessKey: string }) =>
  new LambdaClient({ endpoint: node.url, region: REGION, credentials, maxAttempts: 1 });

test('a key made with nimbus aws-keys on node A signs a Lambda Invoke node B accepts; facts and removal are seen across nodes', { skip, timeout: 120_000 }, async () => {
  const cluster = await startCluster(2);
  try {
    const [a, b] = cluster.nodes;
    const made = await cli(a, ['aws-keys', 'create', '--description', 'made on A', '--json'], { NIMBUS_TOKEN: a.token });
    assert.equal(made.code, 0, made.stderr);
    const credentials = JSON.parse(made.stdout) as { accessKeyId: string; secretAccessKey: string };
    const listed = await cli(b, ['aws-keys', 'ls', '--json'], { NIMBUS_TOKEN: b.token });
    assert.deepEqual((JSON.parse(listed.stdout) as { accessKeyId: string; description: string }[]).map((k) => [k.accessKeyId, k.description]), [[credentials.accessKeyId, 'made on A']]);

    await client(a, credentials).send(
      new CreateFunctionCommand({ FunctionName: 'echo', Runtime: 'nodejs18.x', Role: 'role-on-a', Handler: 'app.main', Code: { ZipFile: makeZip({ 'app.mjs': CODE }) } }),
    );
    const onB = client(b, credentials);
    const conf = await onB.send(new GetFunctionConfigurationCommand({ FunctionName: 'echo' }));
    assert.deepEqual([conf.Runtime, conf.Handler, conf.Role], ['nodejs18.x', 'app.main', 'role-on-a'], 'the Lambda facts written on A are read on B');
    const out = await onB.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from(JSON.stringify({ n: 1 })) }));
    assert.equal(out.StatusCode, 200);
    assert.equal(out.FunctionError, undefined);
    assert.deepEqual(decode(out.Payload), { echo: { n: 1 }, from: 'lambda' });

    const removed = await cli(b, ['aws-keys', 'rm', credentials.accessKeyId], { NIMBUS_TOKEN: b.token });
    assert.equal(removed.code, 0, removed.stderr);
    await assert.rejects(client(a, credentials).send(new InvokeCommand({ FunctionName: 'echo' })), (e: Error) => e.name === 'UnrecognizedClientException');
  } finally {
    await cluster.close();
  }
});

test('a data directory from before: the JSON files are imported on the first start, renamed, and said so in the log', { timeout: 60_000 }, async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'nimbus-aws-upgrade-'));
  let p: RunningPlatform | undefined;
  try {
    // The files exactly as the file-based key store wrote them: a 32-byte key, and secrets under AES-256-GCM.
    const master = randomBytes(32);
    const accessKeyId = 'NKIA' + 'Q'.repeat(16);
    const secretAccessKey = randomBytes(30).toString('base64');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', master, iv);
    const ct = Buffer.concat([cipher.update(secretAccessKey, 'utf8'), cipher.final()]);
    writeFileSync(join(dataDir, 'aws-keys.key'), master, { mode: 0o600 });
    writeFileSync(join(dataDir, 'aws-keys.json'), JSON.stringify([{ accessKeyId, createdAt: 1, description: 'old', secret: Buffer.concat([iv, cipher.getAuthTag(), ct]).toString('base64') }]));
    writeFileSync(join(dataDir, 'aws-lambda.json'), JSON.stringify({ old: { runtime: 'nodejs18.x', handler: 'index.main', role: 'kept-role', description: '', codeSha256: '', codeSize: 0, published: [], reservedConcurrency: null } }));

    p = await startPlatform({ dataDir, args: ['--log-level', 'info'] });
    assert.match(p.output(), /imported aws-keys\.json into the store/);
    assert.match(p.output(), /imported aws-lambda\.json into the store/);
    for (const f of ['aws-keys.json', 'aws-keys.key', 'aws-lambda.json']) assert.ok(!existsSync(join(dataDir, f)) && existsSync(join(dataDir, f + '.imported')), `${f} renamed`);
    await p.deploy('old', 'export const handler = async () => "still here";');
    const credentials = { accessKeyId, secretAccessKey };
    const lambda = client(p, credentials);
    assert.equal((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'old' }))).Role, 'kept-role');
    assert.equal(decode((await lambda.send(new InvokeCommand({ FunctionName: 'old' }))).Payload), 'still here');
    await p.stop();

    p = await startPlatform({ dataDir, args: ['--log-level', 'info'] });
    assert.doesNotMatch(p.output(), /imported aws-keys/, 'imported once');
    assert.equal((await client(p, credentials).send(new GetFunctionConfigurationCommand({ FunctionName: 'old' }))).Role, 'kept-role');
    await p.stop();

    // Started with another secrets key, the node cannot open the key's seal: a plain 500 to the caller, the reason in the log.
    writeFileSync(join(dataDir, 'secrets.key'), randomBytes(32).toString('hex') + '\n', { mode: 0o600 });
    p = await startPlatform({ dataDir });
    await assert.rejects(client(p, credentials).send(new InvokeCommand({ FunctionName: 'old' })), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, 'ServiceException');
      assert.equal(e.$metadata?.httpStatusCode, 500);
      assert.doesNotMatch(e.message, /secret|NKIA/);
      return true;
    });
    const running = p;
    await eventually(async () => /does not open with this platform's key/.test(running.output()), 10_000);
  } finally {
    await p?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
