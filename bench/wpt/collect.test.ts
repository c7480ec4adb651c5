import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import { buildModule, findTests, locationOf, parseMeta, runsInWorker, substitute, testName } from './collect.ts';

test('META lines: scripts in order, global list, long timeout; they end at the first code line', () => {
  const m = parseMeta('// META: global=window,worker\n// META: script=/common/a.js\n// META: timeout=long\n// META: script=../b.js\n\'use strict\';\n// META: script=/late.js\n');
  assert.deepEqual(m.scripts, ['/common/a.js', '../b.js']);
  assert.deepEqual(m.globals, ['window', 'worker']);
  assert.equal(m.timeoutLong, true);
  assert.equal(runsInWorker(m), true);
  assert.equal(runsInWorker(parseMeta('// META: global=window\n')), false);
  assert.equal(runsInWorker(parseMeta('test(() => {});\n')), true);
});

test('.sub. substitutions use WPT default hosts and ports; .https. files get the https origin', () => {
  assert.equal(substitute('{{host}}:{{ports[http][0]}} {{domains[www]}} {{ports[wss][0]}} {{GET[x]}}'), 'web-platform.test:8000 www.web-platform.test 8444 ');
  assert.equal(locationOf('a/b.https.any.js'), 'https://web-platform.test:8443/a/b.https.any.js');
  assert.equal(locationOf('a/b.any.js'), 'http://web-platform.test:8000/a/b.any.js');
});

// A WPT tree in miniature, with a stand-in harness exposing the globals the module uses.
const wpt = mkdtempSync(join(tmpdir(), 'wpt-collect-'));
after(() => rmSync(wpt, { recursive: true, force: true }));
const put = (p: string, text: string) => {
  mkdirSync(dirname(join(wpt, p)), { recursive: true });
  writeFileSync(join(wpt, p), text);
};
put(
  'resources/testharness.js',
  `(function (g) {
  const tests = []; let cb;
  g.test = (f, name) => { try { f(); tests.push({ name, status: 0, message: null }); } catch (e) { tests.push({ name, status: 1, message: String(e) }); } };
  g.promise_test = (f, name) => { tests.push(null); const i = tests.length - 1; g.__pending = (g.__pending || []).concat(Promise.resolve().then(f).then(() => { tests[i] = { name, status: 0, message: null }; }, (e) => { tests[i] = { name, status: 1, message: String(e) }; })); };
  g.add_completion_callback = (f) => { cb = f; };
  g.done = () => Promise.all(g.__pending || []).then(() => cb(tests, { status: 0, message: null }));
  g.timeout = () => cb(tests.filter(Boolean), { status: 2, message: null });
})(self);`,
);
put('dir/resources/helper.js', 'function helper() { return 41 + 1; }\n');
put('dir/resources/data.json', '[1,2,3]');
put('dir/a.any.js', '// META: script=resources/helper.js\ntest(() => { if (helper() !== 42) throw new Error("no helper"); }, "helper loaded");\npromise_test(() => fetch("resources/data.json").then((r) => r.json()).then((d) => { if (d.length !== 3) throw new Error("bad data"); }), "data served");\ntest(() => { if (location.pathname !== "/dir/a.any.js") throw new Error(location.href); }, "location");\n');
put('dir/window-only.any.js', '// META: global=window\ntest(() => {}, "x");\n');
put('dir/throws.any.js', 'test(() => {}, "before");\nnull.boom;\n');
put('dir/resources/umd.js', '(function (f) { if (typeof exports === "object" && typeof module !== "undefined") module.exports = f(); else self.umd = f(); })(() => 7);\n');
put('dir/umd.any.js', '// META: script=resources/umd.js\ntest(() => { if (self.umd !== 7) throw new Error("no global"); }, "umd global");\n');
put('dir/split.any.js', '// META: variant=?1-2\n// META: variant=?3-last\ntest(() => {}, "search " + location.search);\n');

test('finds worker-scope .any.js files, skips window-only ones, names absent directories', () => {
  const { files, skipped, absent } = findTests(wpt, ['dir', 'nope']);
  assert.deepEqual(files.map(testName), ['dir/a.any.js', 'dir/split.any.js?1-2', 'dir/split.any.js?3-last', 'dir/throws.any.js', 'dir/umd.any.js']);
  assert.deepEqual(skipped.map((s) => s.path), ['dir/window-only.any.js']);
  assert.deepEqual(absent, ['nope']);
});

async function runModule(source: string): Promise<{ harness: { status: number; message: string | null }; tests: { name: string; status: number }[] }> {
  const mod = (await import('data:text/javascript,' + encodeURIComponent(source))) as { default: { fetch(): Promise<Response> } };
  return (await (await mod.default.fetch()).json()) as never;
}

test('the built module loads META helpers, serves named JSON from memory, sets location, answers results', async () => {
  const built = buildModule(wpt, { path: 'dir/a.any.js', dir: 'dir' }, 5000);
  assert.deepEqual(built.missing, []);
  const out = await runModule(built.source);
  assert.deepEqual(out.tests.map((t) => [t.name, t.status]), [['helper loaded', 0], ['data served', 0], ['location', 0]]);
  assert.equal(out.harness.status, 0);
  // The classic-script form (workerd's) is the same code registered as a fetch listener.
  assert.doesNotMatch(built.classic, /export default/);
  assert.match(built.classic, /addEventListener\('fetch', \(event\) => event\.respondWith\(__wptHandler\.fetch\(event\.request\)\)\);\n$/);
  assert.equal(built.classic.length - built.source.length > 0, true);
});

test('a test file that throws while loading keeps the subtests before it and reports a harness error', async () => {
  const out = await runModule(buildModule(wpt, { path: 'dir/throws.any.js', dir: 'dir' }, 5000).source);
  assert.deepEqual(out.tests.map((t) => [t.name, t.status]), [['before', 0]]);
  assert.equal(out.harness.status, 1);
  assert.match(out.harness.message ?? '', /uncaught while loading/);
});

test('a file with META variants is one test per variant, each run with its query string in location', async () => {
  assert.deepEqual(parseMeta('// META: variant=?1-1000\n// META: variant=?wss\ntest(() => {});\n').variants, ['?1-1000', '?wss']);
  const variants = findTests(wpt, ['dir']).files.filter((f) => f.path === 'dir/split.any.js');
  const names = [];
  for (const f of variants) names.push((await runModule(buildModule(wpt, f, 5000).source)).tests.map((t) => t.name));
  assert.deepEqual(names, [['search ?1-2'], ['search ?3-last']]);
});

test('helpers run as classic scripts even in the CommonJS form: a UMD helper sets its global', async () => {
  const built = buildModule(wpt, { path: 'dir/umd.any.js', dir: 'dir' }, 5000);
  const mod = { exports: {} as { fetch?: () => Promise<Response> } };
  new Function('module', 'exports', 'require', built.commonjs)(mod, mod.exports, () => undefined);
  const out = (await (await mod.exports.fetch!()).json()) as { tests: { name: string; status: number }[] };
  assert.deepEqual(out.tests.map((t) => [t.name, t.status]), [['umd global', 0]]);
});
