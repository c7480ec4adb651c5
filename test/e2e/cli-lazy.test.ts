/**
 * `nimbus help` and the client commands, as built (dist/), load the client and their own
 * code only: never the server's packages, isolated-vm, better-sqlite3 or esbuild, which only
 * `nimbus up` (and `deploy`, which bundles) need. (From source, tsx itself loads esbuild.)
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { BIN, FROM_SOURCE, ROOT } from '../helpers/platform.ts';

/** The native modules, the bundler, and packages only the server uses. */
const HEAVY = /\/node_modules\/(isolated-vm|better-sqlite3|esbuild|pino|prom-client|ajv|croner|jsonata|jsonpath-plus|undici)\//;

// Run by hand, the build is made here. Under `npm test` dist/ is built from this tree already,
// and building it again would swap it under the platforms other files run from it.
before(() => {
  if (FROM_SOURCE.NIMBUS_FROM_SOURCE === '0') {
    assert.ok(existsSync(join(ROOT, 'dist/cli.js')), 'NIMBUS_FROM_SOURCE=0 says dist/ is built, and it is not: run npm run build');
    return;
  }
  const build = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/build.ts')], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(build.status, 0, build.stderr);
});

function importsOf(args: string[], exits = [0, 3]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'nimbus-trace-'));
  const file = join(dir, 'imports.txt');
  try {
    const run = spawnSync(process.execPath, ['--import', join(ROOT, 'test/helpers/trace-imports.mjs'), BIN, ...args], {
      cwd: dir,
      encoding: 'utf8',
      // a port nothing listens on: the command fails to connect after loading what it needs
      env: { ...process.env, NIMBUS_FROM_SOURCE: '', NIMBUS_TRACE_IMPORTS: file, NIMBUS_URL: 'http://127.0.0.1:9', NIMBUS_TOKEN: 't' },
    });
    assert.ok(exits.includes(run.status ?? -1), `${args.join(' ')}: exit ${run.status}\n${run.stderr}`);
    return readFileSync(file, 'utf8').trim().split('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const args of [['help'], ['ls'], ['invocations', 'hello'], ['logs', 'hello'], ['wf', 'ls'], ['usage']]) {
  test(`nimbus ${args.join(' ')} loads neither the server nor a native module nor esbuild`, () => {
    const loaded = importsOf(args);
    assert.ok(loaded.some((u) => u.endsWith('/dist/cli.js')), 'the trace saw the built CLI load');
    assert.deepEqual(loaded.filter((u) => HEAVY.test(u)), []);
  });
}

/** What only the build uses: the shim and the layers ship built in dist/. */
const BUILD_ONLY = /\/node_modules\/(terser|acorn)\//;

test('the trace sees the heavy modules where they are loaded (nimbus up), and no module only the build uses', () => {
  const loaded = importsOf(['up', '--port', 'notaport'], [2]);
  assert.ok(loaded.some((u) => HEAVY.test(u)), 'up (stopped by its bad --port after loading) loads them: the pattern matches what it should');
  assert.deepEqual(loaded.filter((u) => BUILD_ONLY.test(u)), []);
});
