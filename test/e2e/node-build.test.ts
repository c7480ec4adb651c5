/**
 * Packages bundled from their Node build, end to end through the real server and CLI, with
 * the fake packages of src/deploy/fixtures/node-build: a function whose packages' browser
 * builds fail is deployed with their Node builds and answers with them, the CLI saying which
 * and why; a package listed in nimbus.json is taken from its Node build; a listed package
 * whose Node build needs a built-in functions do not have fails the deploy naming both.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cli, ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';

const FIXTURES = join(ROOT, 'src/deploy/fixtures/node-build');

describe('packages bundled from their Node build, end to end', () => {
  let p: RunningPlatform;
  let dir: string;
  before(async () => {
    p = await startPlatform();
    dir = mkdtempSync(join(tmpdir(), 'nimbus-node-build-'));
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A function's directory: the fixture entry as index.mjs, the fake packages as its node_modules, and a nimbus.json when given. */
  function functionDir(name: string, entry: string, declaration?: unknown): string {
    const fn = join(dir, name);
    mkdirSync(fn);
    symlinkSync(join(FIXTURES, 'node_modules'), join(fn, 'node_modules'));
    copyFileSync(join(FIXTURES, entry), join(fn, 'index.mjs'));
    if (declaration !== undefined) writeFileSync(join(fn, 'nimbus.json'), JSON.stringify(declaration));
    return fn;
  }

  it('takes the packages whose browser build fails from their Node build, and says which and why', async () => {
    const out = await cli(p, ['deploy', 'fallback', functionDir('fallback', 'auto.mjs'), '--json']);
    assert.equal(out.code, 0, out.stderr);
    const answer = JSON.parse(out.stdout) as { nodeBuilds: Array<{ package: string; why: string }> };
    assert.deepEqual(answer.nodeBuilds.map((c) => c.package), ['brokenbrowser', 'halfmap', 'httpbrowser', 'nodeonly']);
    assert.match(answer.nodeBuilds[0]!.why, /Could not resolve "\.\/shim-never-published"/);
    const res = await fetch(`${p.url}/fn/fallback`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), ['brokenbrowser:node', 'nodeonly:node', 'a/b', 'halfmap:node', 'optional:browser', 'httpbrowser:node']);
  });

  it('takes a package listed in nimbus.json from its Node build, its dependencies from theirs as usual', async () => {
    const out = await cli(p, ['deploy', 'listed', functionDir('listed', 'asked.mjs', { nodeBuild: ['twoway'] })]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /package twoway bundled from its Node build: listed in nodeBuild/);
    const res = await fetch(`${p.url}/fn/listed`);
    assert.deepEqual(await res.json(), { build: 'twoway:node', colors: false, said: 'n=1', dep: 'dep:browser', helper: 'helper' });
  });

  it('refuses a listed package whose Node build needs a built-in functions do not have, naming the module and the package', async () => {
    const out = await cli(p, ['deploy', 'threads', functionDir('threads', 'threads.mjs'), '--node-build', 'threads']);
    assert.notEqual(out.code, 0);
    assert.match(out.stderr, /NIMBUS_ERR_UNSUPPORTED_MODULE|"worker_threads" imported by package "threads"/);
    assert.match(out.stderr, /worker_threads/);
    assert.match(out.stderr, /package "threads"/);
    const without = await cli(p, ['deploy', 'threads', join(dir, 'threads')]);
    assert.equal(without.code, 0, without.stderr);
    assert.deepEqual(await (await fetch(`${p.url}/fn/threads`)).json(), { build: 'threads:browser' });
  });
});
