/**
 * Native addons in `--runtime node` functions: a package with a compiled addon (better-sqlite3)
 * is shipped as files beside the bundle, unpacked read-only, and required from there; one
 * built for another Node refuses the deploy naming the package; the upload stays within
 * --api-body-limit.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultAppsDir } from '../../src/runtime/process/app-archive.ts';
import { cli, ROOT, startPlatform, type RunningPlatform } from '../helpers/platform.ts';
import { canBuildOldAddon, writeOldAddon } from '../helpers/old-addon.ts';

const SOURCE = `
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';

const db = new Database(':memory:');
db.exec("create table notes (id integer primary key, text text); insert into notes (text) values ('first'), ('second')");

function attempt(f: () => unknown): { ok: true; value: unknown } | { ok: false; code: string } {
  try {
    return { ok: true, value: f() };
  } catch (e) {
    return { ok: false, code: (e as { code?: string }).code ?? String(e) };
  }
}

export default {
  async fetch(request: Request) {
    const url = new URL(request.url);
    if (url.pathname.endsWith('/escape')) {
      // Where Node found the package: the unpacked directory, which must be read-only.
      const dir = dirname(require.resolve('better-sqlite3/package.json'));
      return Response.json({
        dir,
        write: attempt(() => writeFileSync(dir + '/lib/index.js', 'module.exports = 1')),
        create: attempt(() => writeFileSync(dir + '/planted.js', 'x')),
        mkdir: attempt(() => mkdirSync(dir + '/planted')),
        token: attempt(() => readFileSync(url.searchParams.get('token') ?? '', 'utf8')),
      });
    }
    const rows = db.prepare('select id, text from notes where id >= ? order by id').all(1);
    const { version } = db.prepare('select sqlite_version() as version').get() as { version: string };
    return Response.json({ rows, version });
  },
};
`;

/** A directory with the function and a node_modules that holds better-sqlite3 (a link to the platform's own copy). */
function functionDir(source: string, packages: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-addons-'));
  writeFileSync(join(dir, 'index.ts'), source);
  mkdirSync(join(dir, 'node_modules'));
  for (const [name, target] of Object.entries(packages)) symlinkSync(target, join(dir, 'node_modules', name));
  return dir;
}

async function json(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('native addons in node functions, end to end', () => {
  let p: RunningPlatform;
  let sandbox = 'none';
  const dirs: string[] = [];
  before(async () => {
    p = await startPlatform({ args: ['--api-body-limit', '6m'] });
    const { items } = (await json(await p.api('/api/v1/runtimes'))) as { items: Array<{ kind: string; isolation?: { sandbox: string } }> };
    sandbox = items.find((r) => r.kind === 'app')?.isolation?.sandbox ?? 'none';
  });
  after(async () => {
    await p.stop();
    p.cleanup();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('a function using better-sqlite3 deploys with the package shipped as files, and queries an in-memory database', async () => {
    const dir = functionDir(SOURCE, { 'better-sqlite3': join(ROOT, 'node_modules/better-sqlite3') });
    dirs.push(dir);
    const deployed = await cli(p, ['deploy', 'notes', dir, '--runtime', 'node', '--json']);
    assert.equal(deployed.code, 0, deployed.stderr + deployed.stdout);
    const shipped = (JSON.parse(deployed.stdout) as { shippedPackages: Array<{ name: string; why: string }> }).shippedPackages;
    assert.match(shipped.find((s) => s.name === 'better-sqlite3')?.why ?? '', /native addon build\/Release\/better_sqlite3\.node/);
    assert.equal(shipped.find((s) => s.name === 'bindings')?.why, 'a dependency of better-sqlite3');
    const res = await fetch(`${p.url}/fn/notes/`);
    const body = await json(res);
    assert.equal(res.status, 200, JSON.stringify(body));
    assert.deepEqual(body.rows, [{ id: 1, text: 'first' }, { id: 2, text: 'second' }]);
    assert.match(String(body.version), /^3\.\d+/);
    // Unpacked once, beside the apps.
    assert.equal(readdirSync(join(defaultAppsDir(p.dataDir), '.node-packages')).filter((d) => !d.startsWith('.')).length, 1);
  });

  it('without --json the deploy says which packages were shipped as files', async () => {
    const again = await cli(p, ['deploy', 'notes', dirs[0]!, '--runtime', 'node']);
    assert.equal(again.code, 0, again.stderr + again.stdout);
    assert.match(again.stderr + again.stdout, /package better-sqlite3@[\d.]+ shipped as files beside the bundle \([\d.]+ MB\): native addon/);
    assert.match(again.stderr + again.stdout, /with \d+ package\(s\) it depends on .*bindings/);
  });

  it("the unpacked packages are read-only to the function, and it still cannot read the platform's data directory", async (t) => {
    if (sandbox !== 'bubblewrap') return t.skip('needs bubblewrap (apt-get install bubblewrap)');
    const body = await json(await fetch(`${p.url}/fn/notes/escape?token=${encodeURIComponent(join(p.dataDir, 'token'))}`));
    assert.equal(body.dir, '/packages/node_modules/better-sqlite3');
    assert.deepEqual([body.write, body.create, body.mkdir], [{ ok: false, code: 'EROFS' }, { ok: false, code: 'EROFS' }, { ok: false, code: 'EROFS' }]);
    assert.deepEqual(body.token, { ok: false, code: 'ENOENT' });
    // And the platform's copy is untouched.
    assert.equal(existsSync(join(ROOT, 'node_modules/better-sqlite3/planted.js')), false);
  });

  it('an addon built for another Node refuses the deploy, naming its package and both versions', async (t) => {
    if (!canBuildOldAddon()) return t.skip('needs a C compiler (cc) to build an addon for another Node');
    const pkg = mkdtempSync(join(tmpdir(), 'nimbus-old-addon-'));
    dirs.push(pkg);
    writeOldAddon(pkg);
    const dir = functionDir("import old from 'old-addon';\nexport default { fetch: () => Response.json(typeof old) };\n", { 'old-addon': pkg });
    dirs.push(dir);
    const refused = await cli(p, ['deploy', 'old', dir, '--runtime', 'node']);
    assert.notEqual(refused.code, 0);
    const said = refused.stderr + refused.stdout;
    assert.match(said, /package "old-addon": its native addon build\/Release\/old\.node cannot be loaded by this Node v[\d.]+ \(NODE_MODULE_VERSION \d+\)/);
    assert.match(said, /NODE_MODULE_VERSION 108/);
    assert.match(said, /npm rebuild/);
  });

  it('packages over --api-body-limit refuse the deploy, saying what they weigh', async () => {
    const pkg = mkdtempSync(join(tmpdir(), 'nimbus-big-addon-'));
    dirs.push(pkg);
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'big-addon', version: '1.0.0', main: 'index.js', gypfile: true }));
    writeFileSync(join(pkg, 'index.js'), 'module.exports = 1;');
    writeFileSync(join(pkg, 'data.bin'), randomBytes(5 * 1024 * 1024));
    const dir = functionDir("import big from 'big-addon';\nexport default { fetch: () => Response.json(big) };\n", { 'big-addon': pkg });
    dirs.push(dir);
    const refused = await cli(p, ['deploy', 'big', dir, '--runtime', 'node']);
    assert.notEqual(refused.code, 0);
    const said = refused.stderr + refused.stdout;
    assert.match(said, /--api-body-limit/);
    assert.match(said, /largest: big-addon 5\.0 MB/);
  });
});
