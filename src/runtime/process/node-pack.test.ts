import assert from 'node:assert/strict';
import { realpathSync } from 'node:fs';
import { dirname } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { addonFiles, isNodePack, packNodeFunction, unpackNodeFunction } from './node-pack.ts';

test('a bundle with its packages packs canonically and unpacks to the same', () => {
  const a = packNodeFunction('code()', { files: { 'node_modules/b/x.js': 'eA==', 'node_modules/a/x.js': 'eQ==' } });
  const b = packNodeFunction('code()', { files: { 'node_modules/a/x.js': 'eQ==', 'node_modules/b/x.js': 'eA==' }, executable: [] });
  assert.equal(a, b);
  assert.equal(isNodePack(a), true);
  assert.equal(isNodePack('code()'), false);
  assert.deepEqual(unpackNodeFunction(a), { bundle: 'code()', files: { files: { 'node_modules/a/x.js': 'eQ==', 'node_modules/b/x.js': 'eA==' }, executable: [] } });
  assert.deepEqual(unpackNodeFunction('code()'), { bundle: 'code()', files: null });
});

test('packages must be files under node_modules/, with paths that stay inside', () => {
  assert.throws(() => packNodeFunction('c', { files: { 'index.js': 'eA==' } }), /not under node_modules\//);
  assert.throws(() => packNodeFunction('c', { files: { 'node_modules/../x': 'eA==' } }), /must be relative/);
  assert.throws(() => packNodeFunction('c', { files: {} }), /source\.packages\.files is empty/);
});

test("only the .node files Node registers are its addons (better-sqlite3's SQLite extension is not)", () => {
  const modules = realpathSync(fileURLToPath(new URL('../../../node_modules/', import.meta.url)));
  const found = addonFiles(dirname(modules), ['node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'node_modules/better-sqlite3/build/Release/test_extension.node', 'node_modules/better-sqlite3/package.json']);
  assert.deepEqual(found, [{ path: 'node_modules/better-sqlite3/build/Release/better_sqlite3.node', package: 'better-sqlite3', file: 'build/Release/better_sqlite3.node' }]);
});
