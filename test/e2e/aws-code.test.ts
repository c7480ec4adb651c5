/**
 * Lambda code as real zips carry it, with the unmodified official SDK client: a zip with its
 * own node_modules/ (resolved at CreateFunction and UpdateFunctionCode), and a zip whose
 * imports try to reach the host's files (refused).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CreateFunctionCommand, InvalidParameterValueException, InvokeCommand, LambdaClient, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
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

  before(async () => {
    p = await startPlatform();
    const res = await p.api('/api/v1/aws-keys', { method: 'POST', body: JSON.stringify({ description: 'e2e' }) });
    assert.equal(res.status, 201);
    const credentials = (await res.json()) as { accessKeyId: string; secretAccessKey: string };
    lambda = new LambdaClient({ endpoint: p.url, region: REGION, credentials, maxAttempts: 1 });
  });
  after(async () => {
    lambda?.destroy();
    await p?.stop();
    p?.cleanup();
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
