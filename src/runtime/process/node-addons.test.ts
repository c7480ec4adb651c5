/**
 * The node runtime with packages shipped as files (native addons): started from the unpacked
 * directory, an addon built for another Node failing the start as FUNCTION_INIT naming its
 * package, the directory removed once the store no longer has the code and nothing runs from it.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../core/clock.ts';
import { bundlePath } from '../../deploy/bundle.ts';
import { canBuildOldAddon, writeOldAddon } from '../../../test/helpers/old-addon.ts';
import { eventCall, rejectsWith, startWith } from '../contract.ts';
import { probeIsolation } from './isolation.ts';
import { packNodeFunction } from './node-pack.ts';
import type { NodeInstance } from './node-instance.ts';
import { createNodeRuntime, type NodeRuntime } from './node-runtime.ts';

const MODULES = fileURLToPath(new URL('../../../node_modules/', import.meta.url));

/** The stored code of a function in `dir` as the deployer makes it: the bundle with its shipped packages. */
async function packed(dir: string): Promise<string> {
  const built = await bundlePath(join(dir, 'index.ts'), 'node');
  assert.ok(built.shipped, 'packages are shipped as files');
  return packNodeFunction(built.code, { files: built.shipped.files, executable: built.shipped.executable });
}

function functionDir(root: string, name: string, source: string, packages: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  writeFileSync(join(dir, 'index.ts'), source);
  for (const [pkg, target] of Object.entries(packages)) symlinkSync(target, join(dir, 'node_modules', pkg));
  return dir;
}

describe('node runtime: packages shipped as files', () => {
  let root: string;
  let packagesDir: string;
  let runtime: NodeRuntime;
  before(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'nimbus-node-addons-')));
    packagesDir = join(root, 'packages');
    const probed = probeIsolation();
    runtime = createNodeRuntime({ clock: systemClock, isolation: probed.network === 'namespace' ? probed : probeIsolation({ allowHostNetwork: true }), spares: 1, packagesDir });
  });
  after(async () => {
    await runtime.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('a handler queries better-sqlite3 from the unpacked packages, which go once unused and not stored', async () => {
    const dir = functionDir(root, 'sq', "import Database from 'better-sqlite3';\nexport async function handler(n: number) { return new Database(':memory:').prepare('select ? * 2 as twice').get(n); }\n", { 'better-sqlite3': join(MODULES, 'better-sqlite3') });
    const code = await packed(dir);
    const h = await startWith(runtime, code);
    assert.deepEqual(await h.instance.invoke(eventCall('sq-1', 21)).then((r) => (r.mode === 'handler' ? r.value : r)), { twice: 42 });
    const name = createHash('sha256').update(code).digest('hex').slice(0, 32);
    assert.deepEqual(readdirSync(packagesDir), [name]);
    // The store no longer has it: it stays while its instance runs, and goes when it has exited.
    runtime.keepCode!(new Set());
    assert.ok(existsSync(join(packagesDir, name)));
    const instance = h.instance as NodeInstance;
    instance.dispose();
    await instance.whenExited();
    assert.equal(existsSync(join(packagesDir, name)), false);
  });

  it("a process with the function's packages is started ahead while it has instances: the next instance is that process, and it goes with the last one", async () => {
    const dir = functionDir(root, 'ahead', "import Database from 'better-sqlite3';\nexport async function handler() { return new Database(':memory:').prepare('select 1 as one').get(); }\n", { 'better-sqlite3': join(MODULES, 'better-sqlite3') });
    const code = await packed(dir);
    assert.deepEqual(runtime.aheadPids(), []);
    const first = (await startWith(runtime, code)).instance as NodeInstance;
    const [readied] = runtime.aheadPids();
    assert.equal(typeof readied, 'number');
    const second = await startWith(runtime, code);
    const secondInstance = second.instance as NodeInstance;
    assert.equal(secondInstance.pid, readied, 'the second instance runs in the process started ahead');
    assert.deepEqual(await second.instance.invoke(eventCall('ahead-1', null)).then((r) => (r.mode === 'handler' ? r.value : r)), { one: 1 });
    const [next] = runtime.aheadPids();
    assert.notEqual(next, readied);
    const nextExited = new Promise<void>((resolve) => {
      const poll = () => (existsSync(`/proc/${next}`) ? setTimeout(poll, 10) : resolve());
      poll();
    });
    first.dispose();
    await first.whenExited();
    assert.deepEqual(runtime.aheadPids(), [next], 'kept while an instance is left');
    secondInstance.dispose();
    await secondInstance.whenExited();
    assert.deepEqual(runtime.aheadPids(), []);
    await nextExited;
  });

  it('an addon built for another Node fails the start with FUNCTION_INIT naming its package', async (t) => {
    if (!canBuildOldAddon()) return t.skip('needs a C compiler (cc) to build an addon for another Node');
    const pkg = join(root, 'old-addon');
    mkdirSync(pkg);
    writeOldAddon(pkg);
    const dir = functionDir(root, 'old', "import old from 'old-addon';\nexport async function handler() { return typeof old; }\n", { 'old-addon': pkg });
    const extra = await rejectsWith(startWith(runtime, await packed(dir)), 'NIMBUS_ERR_FUNCTION_INIT');
    assert.equal(extra.errorName, 'NativeAddonError');
    assert.match(String(extra.errorMessage), /^package "old-addon": its native addon build\/Release\/old\.node cannot be loaded by this Node v[\d.]+ \(NODE_MODULE_VERSION \d+\): .*NODE_MODULE_VERSION 108\b/);
  });
});
