import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isNimbusError } from '../core/errors.ts';
import { bundleTree } from './bundle.ts';

const tree = (files: Record<string, string>) => new Map(Object.entries(files).map(([k, v]) => [k, Buffer.from(v)]));

describe('bundleTree (a Lambda zip with node_modules/)', () => {
  const host = mkdtempSync(join(tmpdir(), 'nimbus-host-'));
  const secret = join(host, 'secret.js');
  writeFileSync(secret, "module.exports = 'HOST-SECRET';\n");
  after(() => rmSync(host, { recursive: true, force: true }));

  for (const target of ['isolate', 'node'] as const) {
    it(`resolves the tree's packages and refuses a host file (${target})`, async () => {
      const built = await bundleTree(tree({ 'main.js': "export const v = require('dep').v;", 'node_modules/dep/package.json': '{"main":"lib.js"}', 'node_modules/dep/lib.js': "exports.v = 'from-dep';" }), 'main.js', target);
      assert.match(built.code, /from-dep/);
      await assert.rejects(bundleTree(tree({ 'main.js': `export { default } from ${JSON.stringify(secret)};` }), 'main.js', target), (e: unknown) => {
        assert.ok(isNimbusError(e) && /only the files sent/.test(e.message), String(e));
        return true;
      });
    });
  }

  it("for the node runtime, a package of the tree with a native addon stays a require and is shipped as files, with what it depends on", async () => {
    const built = await bundleTree(
      tree({
        'main.js': "const nat = require('nat'); const plain = require('plain'); export const v = nat.v + plain.v;",
        'node_modules/nat/package.json': JSON.stringify({ name: 'nat', version: '1.0.0', main: 'index.js', dependencies: { helper: '1' } }),
        'node_modules/nat/index.js': "exports.v = require('helper') + require('./build/Release/nat.node');",
        'node_modules/nat/build/Release/nat.node': 'not really an addon',
        'node_modules/helper/package.json': JSON.stringify({ name: 'helper', version: '2.0.0' }),
        'node_modules/helper/index.js': "module.exports = 'h';",
        'node_modules/plain/package.json': JSON.stringify({ name: 'plain', main: 'p.js' }),
        'node_modules/plain/p.js': "exports.v = 'BUNDLED-PLAIN';",
      }),
      'main.js',
      'node',
    );
    assert.deepEqual(built.shipped?.packages.map((p) => [p.name, p.why]), [['nat', 'native addon build/Release/nat.node'], ['helper', 'a dependency of nat']]);
    assert.deepEqual(Object.keys(built.shipped?.files ?? {}).sort(), ['node_modules/helper/index.js', 'node_modules/helper/package.json', 'node_modules/nat/build/Release/nat.node', 'node_modules/nat/index.js', 'node_modules/nat/package.json']);
    assert.match(built.code, /require\("nat"\)/);
    assert.match(built.code, /BUNDLED-PLAIN/);
  });

  it('refuses a path that is both a file and a directory, and climbing paths', async () => {
    await assert.rejects(bundleTree(tree({ a: 'x', 'a/b.js': 'y', 'main.js': '' }), 'main.js'), (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION' && /both a file and a directory/.test(e.message));
    await assert.rejects(bundleTree(tree({ '../x.js': 'y', 'main.js': '' }), 'main.js'), (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION');
    // A name the file system cannot create is the sender's error, not ENAMETOOLONG (a 500 over the Lambda API).
    await assert.rejects(bundleTree(tree({ [`${'a'.repeat(300)}.js`]: 'y', 'main.js': '' }), 'main.js'), (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION' && /at most 255/.test(e.message));
  });
});
