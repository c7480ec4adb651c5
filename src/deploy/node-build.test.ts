/**
 * Which packages are bundled from their Node build (node-build-choice.ts), decided on small
 * fake packages (fixtures/node-build/node_modules): each builds its name and `:node` or
 * `:browser` into its exports, so the bundle's text says which build it holds.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { isNimbusError } from '../core/errors.ts';
import { bundlePath } from './bundle.ts';
import { checkNodeBuildList, firstState, nextState, outcome } from './node-build-choice.ts';

const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/node-build/${name}`, import.meta.url));
const bundle = (name: string, nodeBuild: string[] = []) => bundlePath(fixture(name), 'isolate', false, { nodeBuild });

describe('the choice of Node builds, as values', () => {
  it('puts a package whose browser build fails on trial, then back for good when its Node build fails too', () => {
    const first = firstState(['listed']);
    assert.equal(nextState(first, []), null, 'nothing found: the build stands');
    assert.equal(nextState(first, [{ package: 'listed', root: 'node_modules/listed', why: 'x' }]), null, 'a listed package never changes side');
    const trial = nextState(first, [{ package: 'a', root: 'node_modules/a', why: 'browser: unresolved' }])!;
    assert.deepEqual([...trial.trial], [['a', 'browser: unresolved']]);
    const back = nextState(trial, [{ package: 'a', root: 'node_modules/a', why: 'node: worker_threads' }])!;
    assert.deepEqual([...back.trial], []);
    assert.deepEqual([...back.refused], [['a', 'browser: unresolved; its Node build does not work either: node: worker_threads']]);
    assert.equal(nextState(back, [{ package: 'a', root: 'node_modules/a', why: 'again' }]), null, 'a package goes back at most once: the builds settle');
    const said = outcome(back, new Set(['listed']));
    assert.deepEqual(said.choices, [{ package: 'listed', why: 'listed in nodeBuild' }]);
    assert.match(said.warnings.join('\n'), /package "a": browser: unresolved; its Node build does not work either/);
    assert.deepEqual(outcome(firstState(['gone']), new Set()).warnings, ['nodeBuild lists "gone", which the function does not import']);
  });

  it('checks a nodeBuild list as npm package names', () => {
    assert.deepEqual(checkNodeBuildList(['debug', '@scope/pkg', 'debug'], 'nodeBuild'), ['debug', '@scope/pkg']);
    for (const bad of ['debug', [1], ['../x'], ['Upper'], [''], {}]) {
      assert.throws(() => checkNodeBuildList(bad, 'nodeBuild'), (e: unknown) => isNimbusError(e) && e.code === 'NIMBUS_ERR_VALIDATION' && /nodeBuild must be a list of npm package names/.test(e.message));
    }
  });
});

describe('bundling with Node builds (fake packages)', () => {
  it('bundles a package from its browser build unless it is listed; listed, from its Node build, its dependencies as usual', async () => {
    const edge = await bundle('asked.mjs');
    assert.match(edge.code, /twoway:browser/);
    assert.doesNotMatch(edge.code, /twoway:node/);
    assert.equal(edge.nodeBuilds, undefined);
    const node = await bundle('asked.mjs', ['twoway']);
    assert.match(node.code, /twoway:node/);
    assert.doesNotMatch(node.code, /twoway:browser/);
    assert.match(node.code, /exports\.name = "helper"/, 'its own files import one another as in Node');
    assert.match(node.code, /dep:browser/, 'a package it depends on keeps its own (browser) build');
    assert.match(node.code, /isatty/, 'the Node layer gives it tty');
    assert.deepEqual(node.nodeBuilds, [{ package: 'twoway', why: 'listed in nodeBuild' }]);
  });

  it('fails the deploy when a listed package\'s Node build needs a built-in Nimbus does not provide, naming both', async () => {
    assert.match((await bundle('threads.mjs')).code, /threads:browser/);
    await assert.rejects(bundle('threads.mjs', ['threads']), (e: unknown) => {
      assert.ok(isNimbusError(e), String(e));
      assert.equal(e.code, 'NIMBUS_ERR_UNSUPPORTED_MODULE');
      assert.equal(e.extra.module, 'worker_threads');
      assert.equal(e.extra.importedBy, 'threads');
      assert.match(e.message, /"worker_threads" imported by package "threads" \(its Node build, listed in nodeBuild\)/);
      return true;
    });
  });

  it('takes a package from its Node build where its browser build fails and the Node build works, saying why', async () => {
    const built = await bundle('auto.mjs');
    for (const pkg of ['brokenbrowser', 'nodeonly', 'halfmap', 'httpbrowser']) assert.match(built.code, new RegExp(`${pkg}:node`), pkg);
    assert.match(built.code, /optional:/);
    assert.doesNotMatch(built.code, /exports\.more = |exports\.present = /, 'a require() its own map leaves out is a path its browser build does not take');
    const why = Object.fromEntries((built.nodeBuilds ?? []).map((c) => [c.package, c.why]));
    assert.deepEqual(Object.keys(why).sort(), ['brokenbrowser', 'halfmap', 'httpbrowser', 'nodeonly']);
    assert.match(why.brokenbrowser!, /Could not resolve "\.\/shim-never-published" \(imported by brokenbrowser\/browser\.js\)/);
    assert.match(why.nodeonly!, /its browser map leaves out "nodeonly" \(maps it to false\), which auto\.mjs imports/);
    assert.match(why.halfmap!, /leaves out "\.\/lib\/impl\.mjs" \(maps it to false\), which its own code imports/);
    assert.match(why.httpbrowser!, /imports the Node built-in "http", which Nimbus does not provide/);
    assert.deepEqual(built.warnings, []);
  });

  it('tries no Node build for a package with no browser build, nor for one whose own map leaves out a built-in', async () => {
    const built = await bundle('plain.mjs');
    assert.equal(built.nodeBuilds, undefined);
    assert.equal(built.warnings.length, 1, built.warnings.join('\n'));
    assert.match(built.warnings[0]!, /"http" imported by package "plainhttp" is not available in functions/);
    assert.doesNotMatch(built.code, /randomBytes\(/, 'isomorphic keeps its browser build: crypto left out');
  });

  it('keeps a package on its browser build when its Node build fails too, and says so in the refusal', async () => {
    await assert.rejects(bundle('nowhere.mjs'), (e: unknown) => {
      assert.ok(isNimbusError(e), String(e));
      assert.equal(e.code, 'NIMBUS_ERR_BUILD_FAILED');
      assert.match(e.message, /Could not resolve "\.\/gone" \(package "nowhere": .*its Node build does not work either: it imports the Node built-in "child_process"/);
      return true;
    });
  });

  it('warns of a listed package the function does not import', async () => {
    const built = await bundle('asked.mjs', ['threads']);
    assert.match(built.code, /twoway:browser/);
    assert.deepEqual(built.warnings, ['nodeBuild lists "threads", which the function does not import']);
    assert.deepEqual(built.nodeBuilds, []);
  });
});
