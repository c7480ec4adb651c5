#!/usr/bin/env node
// `npm test`: type-check the whole tree, then run every *.test.ts under src/, test/ and bench/lib/
// with node:test. Node 20's test runner takes no globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function testFiles(dir) {
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: false })
    .map(String)
    .filter((f) => f.endsWith('.test.ts') && !f.includes('node_modules'))
    .map((f) => join(dir, f))
    .sort();
}

const only = process.argv.slice(2);
if (only.length === 0) {
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '-p', root], {
    stdio: 'inherit',
    cwd: root,
  });
  if (tsc.status !== 0) {
    console.error('type-check failed: fix the errors above (npm run typecheck)');
    process.exit(tsc.status ?? 1);
  }
}
const files = only.length > 0 ? only : [...testFiles('src'), ...testFiles('test'), ...testFiles('bench/lib')];
const run = spawnSync(
  process.execPath,
  // A hung test fails after 3 minutes instead of holding CI until its limit.
  ['--no-node-snapshot', '--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=180000', ...files],
  { stdio: 'inherit', cwd: root },
);
process.exit(run.status ?? 1);
