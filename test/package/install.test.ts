/**
 * The package as a user gets it: `npm pack`, `npm install -g` into an empty prefix with no
 * checkout nearby (native modules compile there, as on a user's machine), then the
 * installed `nimbus` runs the platform from an empty folder, deploys and invokes a function
 * from a sub-folder, and stops on SIGINT to its process group. Slow (the compile), so
 * `npm test` runs it after the rest of the suite.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT } from '../helpers/platform.ts';

const NATIVE = 'better-sqlite3,isolated-vm,esbuild';
const top = mkdtempSync(join(tmpdir(), 'nimbus-package-'));
let tarball = '';

/**
 * The native modules compile through ccache where it is installed (.ci/run installs it and
 * compiles the checkout's own through it): the same compile, but a second one is a cache hit.
 * Paths are hashed relative to the folder the install happens in (CCACHE_BASEDIR, and not the
 * build directory itself), as .ci/run does for the checkout, so that this compile, in a new
 * temporary folder each run, hits what the checkout's or an earlier run's left.
 */
const CCACHE = spawnSync('ccache', ['--version']).status === 0;
const COMPILE_ENV: Record<string, string> = CCACHE
  ? { ...(process.env.CC === undefined ? { CC: 'ccache gcc', CXX: 'ccache g++' } : {}), CCACHE_BASEDIR: top, CCACHE_NOHASHDIR: '1' }
  : {};

function npm(args: string[], cwd: string): string {
  const run = spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', env: { ...process.env, ...COMPILE_ENV, npm_config_update_notifier: 'false' } });
  assert.equal(run.status, 0, `npm ${args.join(' ')} failed:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

function nimbus(prefix: string, args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(join(prefix, 'bin', 'nimbus'), args, { cwd, encoding: 'utf8', env: { ...process.env, NIMBUS_FROM_SOURCE: '', NIMBUS_URL: '', NIMBUS_DATA: '' } });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

before(() => {
  npm(['pack', '--pack-destination', top], ROOT);
  const file = readdirSync(top).find((f) => f.endsWith('.tgz'));
  assert.ok(file, 'npm pack made no tarball');
  tarball = join(top, file);
});

after(() => rmSync(top, { recursive: true, force: true }));

test('installed globally, nimbus runs from any folder and stops cleanly on SIGINT to its group', { timeout: 900_000 }, async () => {
  const prefix = join(top, 'global');
  npm(['install', '-g', '--prefix', prefix, `--allow-scripts=${NATIVE}`, tarball], top);
  const home = join(top, 'project');
  const sub = join(home, 'src', 'fns');
  mkdirSync(sub, { recursive: true });

  const up = spawn(join(prefix, 'bin', 'nimbus'), ['up', '--port', '0', '--log-level', 'warn'], { cwd: home, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NIMBUS_FROM_SOURCE: '' } });
  let out = '';
  up.stdout.on('data', (d: Buffer) => (out += d));
  up.stderr.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<number | null>((resolve) => up.on('exit', (code) => resolve(code)));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      up.stdout.on('data', () => {
        const m = /Nimbus ready on (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]);
      });
      void exited.then((code) => reject(new Error(`nimbus up exited with ${code}:\n${out}`)));
    });
    assert.ok(existsSync(join(home, '.nimbus', 'token')), 'the data directory is ./.nimbus of the folder it was started in');
    assert.equal(await (await fetch(`${url}/fn/hello/world`)).text(), 'Hello, world!\n', 'the packaged examples are deployed');
    assert.match(await (await fetch(`${url}/fn/hono-app/users/1`)).text(), /Ada Lovelace/, 'the Hono example bundles against the installed hono');
    const consolePage = await fetch(`${url}/console/`);
    assert.equal(consolePage.status, 200, 'the package ships the built console (dist/console)');
    assert.match(consolePage.headers.get('content-security-policy') ?? '', /script-src 'self'/);

    writeFileSync(join(sub, 'greet.ts'), "export default { fetch: (r: Request) => Response.json({ hi: new URL(r.url).searchParams.get('name') }) };\n");
    const deployed = nimbus(prefix, ['deploy', 'greet', './greet.ts'], sub);
    assert.equal(deployed.code, 0, `deploy from a sub-folder: ${deployed.stderr}`);
    assert.deepEqual(await (await fetch(`${url}/fn/greet/?name=Ada`)).json(), { hi: 'Ada' });
    const listed = nimbus(prefix, ['--json', 'ls'], sub);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as Array<{ name: string }>).some((f) => f.name === 'greet'));

    process.kill(-up.pid!, 'SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /SIGINT: draining in-flight work/);
    assert.equal(existsSync(join(home, '.nimbus', 'url')), false, 'the url file is removed on a clean stop');
    await assert.rejects(fetch(`${url}/fn/hello/world`), 'nothing listens after the stop');
  } finally {
    if (up.exitCode === null) process.kill(-up.pid!, 'SIGKILL');
  }
});

test('installed without its install scripts, nimbus up says in one line how to build the native modules', { timeout: 300_000 }, () => {
  const prefix = join(top, 'no-scripts');
  npm(['install', '-g', '--prefix', prefix, '--ignore-scripts', tarball], top);
  const folder = join(top, 'empty');
  mkdirSync(folder);
  const run = nimbus(prefix, ['up', '--port', '0'], folder);
  assert.equal(run.code, 1, run.stdout + run.stderr);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0], /^nimbus: better-sqlite3 and isolated-vm have no working compiled binary .*npm rebuild better-sqlite3 isolated-vm/);
});
