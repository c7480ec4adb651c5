#!/usr/bin/env node
// The `nimbus` command. The platform (`nimbus up`) runs V8 isolates through
// isolated-vm, which needs Node started with --no-node-snapshot: when that flag is
// missing we start Node again with it. Every other command runs in this process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const args = process.argv.slice(2);

if (args[0] === 'up' && !process.execArgv.includes('--no-node-snapshot')) {
  const child = spawn(process.execPath, ['--no-node-snapshot', '--import', 'tsx', main, ...args], { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(main);
}
