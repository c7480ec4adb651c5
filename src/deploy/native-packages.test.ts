import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { mayHoldNativePackages, nativeReason, shippedFiles } from './native-packages.ts';

const MODULES = fileURLToPath(new URL('../../node_modules/', import.meta.url));
const sqlite = realpathSync(join(MODULES, 'better-sqlite3'));

test('a package is native for its compiled addon, its binding.gyp, a loader of paths computed at run time, or an optional dependency with an addon; a plain one is not', () => {
  assert.match(nativeReason(sqlite) ?? '', /^native addon build\/Release\/\w+\.node$/);
  assert.equal(nativeReason(realpathSync(join(MODULES, 'hono'))), null);
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-native-'));
  try {
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'a', dependencies: { 'node-gyp-build': '^4' } }));
    assert.equal(nativeReason(dir), 'loads a file by a path computed at run time (node-gyp-build)');
    writeFileSync(join(dir, 'binding.gyp'), '{}');
    assert.equal(nativeReason(dir), 'native addon (binding.gyp), not built');
    // The addon for this platform in an optional dependency, as sharp's @img/sharp-linux-x64.
    const pick = join(dir, 'pick');
    mkdirSync(join(pick, 'node_modules', '@img', 'pick-linux-x64', 'lib'), { recursive: true });
    writeFileSync(join(pick, 'package.json'), JSON.stringify({ name: 'pick', optionalDependencies: { '@img/pick-linux-x64': '1', '@img/pick-darwin-arm64': '1' } }));
    writeFileSync(join(pick, 'node_modules', '@img', 'pick-linux-x64', 'package.json'), JSON.stringify({ name: '@img/pick-linux-x64' }));
    assert.equal(nativeReason(pick), null);
    writeFileSync(join(pick, 'node_modules', '@img', 'pick-linux-x64', 'lib', 'pick.node'), '');
    assert.equal(nativeReason(pick), 'loads the native addon of its optional dependency @img/pick-linux-x64 (lib/pick.node)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('better-sqlite3 ships with its dependencies, without its sources and build intermediates', () => {
  const shipped = shippedFiles(new Map([['better-sqlite3', { dir: sqlite, why: 'native addon' }]]));
  const paths = Object.keys(shipped.files);
  assert.ok(paths.includes('node_modules/better-sqlite3/build/Release/better_sqlite3.node'));
  assert.ok(paths.includes('node_modules/better-sqlite3/lib/index.js'));
  assert.ok(paths.includes('node_modules/bindings/bindings.js'));
  assert.deepEqual(paths.filter((p) => /\.(?:c|cpp|h|o|a|gyp|gypi|mk)$|Makefile$|obj\.target/.test(p)), []);
  assert.deepEqual(shipped.packages.slice(0, 2).map((p) => [p.name, p.why]), [['better-sqlite3', 'native addon'], ['bindings', 'a dependency of better-sqlite3']]);
  assert.equal(shipped.bytes, Object.values(shipped.files).reduce((n, b64) => n + Buffer.from(b64, 'base64').byteLength, 0));
});

test('a dependency installed inside the package that needs it stays inside it', () => {
  const root = mkdtempSync(join(tmpdir(), 'nimbus-native-'));
  try {
    const outer = join(root, 'node_modules', 'outer');
    const inner = join(outer, 'node_modules', 'inner');
    mkdirSync(inner, { recursive: true });
    writeFileSync(join(outer, 'package.json'), JSON.stringify({ name: 'outer', version: '1.0.0', gypfile: true, dependencies: { inner: '1' } }));
    writeFileSync(join(inner, 'package.json'), JSON.stringify({ name: 'inner', version: '2.0.0' }));
    writeFileSync(join(inner, 'index.js'), 'module.exports = 2;');
    const shipped = shippedFiles(new Map([['outer', { dir: realpathSync(outer), why: 'native addon (binding.gyp), not built' }]]));
    assert.deepEqual(Object.keys(shipped.files).sort(), ['node_modules/outer/node_modules/inner/index.js', 'node_modules/outer/node_modules/inner/package.json', 'node_modules/outer/package.json']);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a first look at a tree: a .node file, a binding.gyp or a loader package under node_modules/ may be a native package; nothing else is', () => {
  assert.equal(mayHoldNativePackages(['index.mjs', 'node_modules/hono/package.json', 'lib/x.node.js']), false);
  assert.equal(mayHoldNativePackages(['addon.node']), false);
  assert.equal(mayHoldNativePackages(['node_modules/a/build/Release/a.node']), true);
  assert.equal(mayHoldNativePackages(['node_modules/@s/b/binding.gyp']), true);
  assert.equal(mayHoldNativePackages(['node_modules/x/node_modules/node-gyp-build/package.json']), true);
  assert.equal(mayHoldNativePackages(['node_modules/bindings/package.json']), true);
});

test('shipped from a tree (within): a dependency Node would find outside it is not there, and the ship is refused naming it', () => {
  const root = mkdtempSync(join(tmpdir(), 'nimbus-native-'));
  try {
    const tree = join(root, 'tree');
    const native = join(tree, 'node_modules', 'native');
    mkdirSync(native, { recursive: true });
    writeFileSync(join(native, 'package.json'), JSON.stringify({ name: 'native', dependencies: { outside: '1' } }));
    const outside = join(root, 'node_modules', 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'package.json'), JSON.stringify({ name: 'outside' }));
    writeFileSync(join(outside, 'host-secret.js'), 'x');
    const found = new Map([['native', { dir: realpathSync(native), why: 'native addon' }]]);
    // without a tree, Node's resolution finds it above
    assert.ok(Object.keys(shippedFiles(found).files).includes('node_modules/outside/host-secret.js'));
    assert.throws(() => shippedFiles(found, realpathSync(tree)), /native depends on outside, which is not in the files sent/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
