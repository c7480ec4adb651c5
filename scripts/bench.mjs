#!/usr/bin/env node
// `npm run bench`: the benchmark harness (bench/run.ts) with its own packages (autocannon,
// workerd, aws-local-stepfunctions), which only benchmarks need: they are installed into
// bench/node_modules on the first run, not by the platform's `npm install`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bench = join(root, 'bench');
// Installed again when bench/package.json names a package bench/node_modules lacks (the compat suite's packages were added later).
const wanted = Object.keys(JSON.parse(readFileSync(join(bench, 'package.json'), 'utf8')).devDependencies ?? {});
const absent = wanted.filter((name) => !existsSync(join(bench, 'node_modules', name, 'package.json')));
if (absent.length > 0) {
  process.stderr.write(`bench: installing the benchmarks' own packages into bench/node_modules (autocannon, workerd, aws-local-stepfunctions, the compat suite's npm packages; missing: ${absent.slice(0, 5).join(', ')}${absent.length > 5 ? ', …' : ''})…\n`);
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const install = spawnSync(npm, ['install', '--no-audit', '--no-fund'], { cwd: bench, stdio: 'inherit' });
  if (install.status !== 0) {
    process.stderr.write('bench: `npm install` in bench/ failed (above); fix it and run `npm run bench` again\n');
    process.exit(install.status ?? 1);
  }
}
const run = spawnSync(process.execPath, ['--no-node-snapshot', '--import', 'tsx', join(bench, 'run.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
