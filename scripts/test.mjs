#!/usr/bin/env node
// `npm test`: build dist/, type-check the whole tree (and the console's) while the tests run, run every *.test.ts under src/, test/, bench/lib/ and bench/compat/
// with node:test, then the package test (test/package/: npm pack, a global install that
// compiles the native modules, the installed command), which is slow and CPU-heavy, so it
// runs alone after the rest. Node 20's test runner takes no globs, so the files are listed here.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function testFiles(dir) {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: false })
    .map(String)
    .filter((f) => f.endsWith('.test.ts') && !f.includes('node_modules'))
    .map((f) => join(dir, f))
    .sort();
}

/**
 * Runs node:test on the files; the summary's counts are read from a TAP copy of its report.
 * `timeoutMs` bounds each test, and each file as a whole (Node 20's runner applies it to both).
 */
function runTests(files, tapFile, timeoutMs) {
  const run = spawnSync(
    process.execPath,
    [
      '--no-node-snapshot',
      // ArrayBuffer.prototype.transfer in isolates (structuredClone transfer, BYOB detaching), as `nimbus up` has it
      '--harmony-rab-gsab-transfer',
      '--import',
      'tsx',
      '--test',
      '--test-concurrency=2',
      `--test-timeout=${timeoutMs}`,
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tapFile}`,
      ...files,
    ],
    { stdio: 'inherit', cwd: root },
  );
  const tap = readFileSync(tapFile, 'utf8');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  return { status: run.status ?? 1, passed: count('pass'), failed: count('fail'), skipped: count('skipped') };
}

/**
 * Type-checks a project in the background at a low priority, so that it runs on what the tests
 * leave of the cores; resolves with its status and what it printed.
 */
function typeCheck(project) {
  const child = spawn(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', project], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    setPriority(child.pid, 10);
  } catch {
    // not allowed here: it runs at the tests' priority
  }
  let printed = '';
  child.stdout.on('data', (chunk) => (printed += chunk));
  child.stderr.on('data', (chunk) => (printed += chunk));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status: status ?? 1, printed })));
}

const only = process.argv.slice(2);
// The platform and the CLI the tests start run dist/, built from this tree now: the build that
// ships, which starts without bundling the shim and the Node layers at every start
// (test/helpers/platform.ts). The in-process tests import src/ as before.
const build = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'scripts/build.ts')], { stdio: 'inherit', cwd: root });
if (build.status !== 0) {
  console.error('npm test: the build failed (npm run build shows why); no test was run');
  process.exit(build.status ?? 1);
}
process.env.NIMBUS_FROM_SOURCE = '0';
// The platform's tree and the console's (browser code: its own tsconfig, with the DOM).
const typeChecks = only.length === 0 ? [root, join(root, 'console')].map(typeCheck) : [];
const reports = mkdtempSync(join(tmpdir(), 'nimbus-test-report-'));
// The end-to-end files (test/) take up to ~40 s each and the unit files a second or two: run in
// that order, two at a time, the short ones fill in at the end instead of one long file running alone.
const phases =
  only.length > 0
    ? [only]
    : [[...testFiles('test').filter((f) => !f.startsWith('test/package/')), ...testFiles('src'), ...testFiles('bench/lib'), ...testFiles('bench/compat')], testFiles('test/package')];
// A hung test fails after 3 minutes instead of holding CI until its limit; the package test
// compiles the native modules (minutes on a slow machine without a ccache hit), so it has longer.
const timeoutFor = (files) => (files.some((f) => f.includes('test/package/')) ? 900_000 : 180_000);
const results = phases.map((files, i) => runTests(files, join(reports, `phase-${i}.tap`), timeoutFor(files)));
rmSync(reports, { recursive: true, force: true });
const sum = (key) => results.reduce((n, r) => n + r[key], 0);
console.log(`\ntests: ${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped`);
const typeFailed = (await Promise.all(typeChecks)).filter((check) => check.status !== 0);
for (const check of typeFailed) process.stderr.write(check.printed);
if (typeFailed.length > 0) console.error('type-check failed: fix the errors above (npm run typecheck)');
process.exit(results.find((r) => r.status !== 0)?.status ?? (typeFailed.length > 0 ? 1 : 0));
