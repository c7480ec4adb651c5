#!/usr/bin/env node
// `npm run bench`: the benchmark harness (bench/run.ts) with its own packages (autocannon,
// workerd, aws-local-stepfunctions), which only benchmarks need: they are installed into
// bench/node_modules on the first run, not by the platform's `npm install`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const bench = join(root, 'bench');
if (!existsSync(join(bench, 'node_modules', 'autocannon'))) {
  process.stderr.write('bench: installing the benchmarks\' own packages into bench/node_modules (once; autocannon, workerd, aws-local-stepfunctions)…\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const install = spawnSync(npm, ['install', '--no-audit', '--no-fund'], { cwd: bench, stdio: 'inherit' });
  if (install.status !== 0) {
    process.stderr.write('bench: `npm install` in bench/ failed (above); fix it and run `npm run bench` again\n');
    process.exit(install.status ?? 1);
  }
}
const run = spawnSync(process.execPath, ['--no-node-snapshot', '--import', 'tsx', join(bench, 'run.ts'), ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
process.exit(run.status ?? 1);
